import pytest

from shipping.models import Rate, RateTable, ShippingRule
from shipping.services.rates import (
    Destination,
    Parcel,
    area_key,
    chargeable_weight,
    quote,
    rank_options,
    volumetric_grams,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("weight", "threshold", "expected"), [
    (300, 300, 1000),     # below the minimum: the minimum
    (1300, 300, 1000),    # JNE: 300 g above a kilo are not charged
    (1301, 300, 2000),    # 301 g are
    (1300, 0, 2000),      # a service without tolerance charges any excess
    (2000, 0, 2000),      # exact kilos stay
    (0, 0, 1000),
])
def test_chargeable_weight_rounds_per_service_threshold(weight, threshold, expected):
    assert chargeable_weight(weight_grams=weight, rounding_threshold_grams=threshold) == expected


def test_volumetric_weight_wins_when_the_box_is_light_but_large():
    # 40×30×20 cm = 24,000 cm³ / 6000 = 4 kg, the goods weigh 1.2 kg
    assert volumetric_grams(length_cm=40, width_cm=30, height_cm=20, divisor=6000) == 4000
    assert chargeable_weight(weight_grams=1200, length_cm=40, width_cm=30, height_cm=20) == 4000


def test_trucking_divisor_and_minimum_weight():
    # same box on a 4000 divisor is 6 kg, but trucking charges 10 kg at least
    assert chargeable_weight(weight_grams=1200, length_cm=40, width_cm=30, height_cm=20, divisor=4000,
                             min_weight_grams=10_000) == 10_000
    assert chargeable_weight(weight_grams=1200, length_cm=100, width_cm=50, height_cm=40, divisor=4000,
                             min_weight_grams=10_000) == 50_000


def test_actual_weight_wins_when_heavier_than_the_box():
    assert chargeable_weight(weight_grams=5200, length_cm=20, width_cm=15, height_cm=10, rounding_threshold_grams=300) \
        == 5000


def test_negative_weight_is_refused():
    with pytest.raises(ValueError):
        chargeable_weight(weight_grams=-1)


def test_area_keys_keep_kota_and_kabupaten_apart():
    assert area_key("Kota  Bandung") == "kota bandung"
    assert area_key("KAB. BANDUNG") == "kab bandung"
    assert area_key("Kabupaten Bandung") == "kab bandung"
    assert area_key("Kecamatan Coblong") == "coblong"


def _table(jne_reg, sicepat_reg):
    table = RateTable.objects.create(name="Tarif", origin_city="Jakarta Barat")
    rows = [
        (jne_reg, "jawa barat", "", "", 11_000, 2, 3),
        (jne_reg, "jawa barat", "kota bandung", "", 9_000, 1, 2),
        (jne_reg, "jawa barat", "kota bandung", "coblong", 8_500, 1, 1),
        (sicepat_reg, "jawa barat", "kota bandung", "", 8_000, 2, 3),
    ]
    Rate.objects.bulk_create([Rate(table=table, service=s, origin_key="jakarta barat", province_key=p, city_key=c,
                                   district_key=d, destination=f"{d} {c} {p}", price_per_kg_amount=price,
                                   etd_min_days=lo, etd_max_days=hi) for s, p, c, d, price, lo, hi in rows])
    return table


def test_offline_quote_uses_the_most_specific_area_and_marks_cheapest_and_fastest(jne_reg):
    from shipping.models import CourierService

    sicepat = CourierService.objects.get(courier__code="sicepat", code="reg")
    _table(jne_reg, sicepat)

    # 1.3 kg: JNE charges 1 kg (threshold 300 g), SiCepat 2 kg
    result = quote(origin="Jakarta Barat", destination=Destination(province="Jawa Barat", city="Kota Bandung"),
                   parcel=Parcel(weight_grams=1300))

    by = {(o.courier_code, o.service_code): o for o in result.options}
    assert by[("jne", "reg")].price_amount == 9_000
    assert by[("sicepat", "reg")].price_amount == 16_000
    assert [o.courier_code for o in result.options] == ["jne", "sicepat"]
    assert by[("jne", "reg")].cheapest and by[("jne", "reg")].fastest

    # a district row wins over the city row
    district = quote(origin="Jakarta Barat", parcel=Parcel(weight_grams=900),
                     destination=Destination(province="Jawa Barat", city="Kota Bandung", district="Kec. Coblong"))
    assert {(o.courier_code, o.price_amount) for o in district.options} == {("jne", 8_500), ("sicepat", 8_000)}

    # another city of the province falls back to the province row; SiCepat has none there
    other = quote(origin="Jakarta Barat", destination=Destination(province="Jawa Barat", city="Kota Bogor"),
                  parcel=Parcel(weight_grams=2400))  # 2.4 kg: 3 kg
    assert [(o.courier_code, o.price_amount) for o in other.options] == [("jne", 33_000)]


def test_cod_quotes_only_services_that_collect_cash(jne_reg):
    from shipping.models import CourierService

    yes = CourierService.objects.get(courier__code="jne", code="yes")
    table = RateTable.objects.create(name="T", origin_city="Jakarta Barat")
    Rate.objects.create(table=table, service=yes, origin_key="jakarta barat", province_key="bali", destination="Bali",
                        price_per_kg_amount=30_000)
    Rate.objects.create(table=table, service=jne_reg, origin_key="jakarta barat", province_key="bali",
                        destination="Bali", price_per_kg_amount=20_000)
    result = quote(origin="Jakarta Barat", destination=Destination(province="Bali"), parcel=Parcel(weight_grams=500,
                   value_amount=100_000), cod=True)
    assert [(o.service_code, o.cod_fee_amount) for o in result.options] == [("reg", 3_000)]


def test_free_shipping_rule_with_minimum_spend_and_province(jne_reg, web_channel):
    table = RateTable.objects.create(name="T", origin_city="Jakarta Barat")
    Rate.objects.create(table=table, service=jne_reg, origin_key="jakarta barat", province_key="jawa barat",
                        destination="Jawa Barat", price_per_kg_amount=12_000)
    ShippingRule.objects.create(name="Gratis ongkir Jabar", kind=ShippingRule.Kind.FIXED, amount=10_000,
                                min_subtotal_amount=150_000, provinces=["Jawa Barat"], channel=web_channel)
    args = {"origin": "Jakarta Barat", "destination": Destination(province="Jawa Barat"),
            "parcel": Parcel(weight_grams=1000), "channel_id": web_channel.pk}

    small = quote(subtotal_amount=100_000, **args).options[0]
    big = quote(subtotal_amount=200_000, **args).options[0]

    assert small.subsidy_amount == 0 and small.buyer_pays_amount == 12_000
    assert big.subsidy_amount == 10_000 and big.buyer_pays_amount == 2_000 and big.rule == "Gratis ongkir Jabar"


def test_a_parcel_without_weight_is_refused():
    with pytest.raises(ValueError):
        quote(origin="Jakarta", destination=Destination(province="Bali"), parcel=Parcel(weight_grams=0))


def test_ranking_by_eta_puts_the_fastest_first():
    from shipping.services.rates import QuoteOption

    def option(code, price, eta):
        return QuoteOption(courier_code=code, courier_name=code, service_code="x", service_name="x",
                           price_amount=price, etd_min_days=eta, etd_max_days=eta, cod_available=False,
                           insurance_available=False, source="table")

    options = [option("a", 10_000, 3), option("b", 20_000, 1)]
    assert [o.courier_code for o in rank_options(options, sort="eta")] == ["b", "a"]
    assert [o.courier_code for o in rank_options(options)] == ["a", "b"]
