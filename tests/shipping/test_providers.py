"""Providers against the fake aggregator over HTTP: request shapes, auth, and every kind of bad answer."""

import pytest

from shipping.models import CourierService, Shipment, ShipmentStatus
from shipping.providers import ProviderError, RateRequest, provider_for
from shipping.services.rates import Destination, Parcel, quote
from tests.fakes.aggregator import BITESHIP_KEY, KIRIMINAJA_KEY, FakeAggregator
from tests.shipping.factories import account

pytestmark = pytest.mark.django_db


@pytest.fixture
def fake():
    with FakeAggregator() as server:
        yield server


def test_biteship_rates_send_grams_and_the_key_and_come_back_as_options(fake):
    biteship = account("biteship", base_url=fake.url, api_key=BITESHIP_KEY, origin_area_id="IDNP6")
    options = provider_for(biteship).quote(RateRequest(
        destination=Destination(postal_code="40115"), parcel=Parcel(weight_grams=1300, value_amount=150_000)))
    method, path, body = fake.requests[-1]
    assert (method, path) == ("POST", "/v1/rates/couriers")
    assert body["items"][0]["weight"] == 1300 and body["origin_area_id"] == "IDNP6"
    assert body["destination_postal_code"] == "40115"
    jne = next(o for o in options if o.courier_code == "jne")
    assert (jne.price_amount, jne.etd_min_days, jne.etd_max_days, jne.cod_available) == (18_000, 1, 2, True)


def test_a_wrong_api_key_is_a_clear_permanent_error(fake):
    biteship = account("biteship", base_url=fake.url, api_key="biteship_test.wrong")
    with pytest.raises(ProviderError, match="HTTP 401 Authorization failed") as caught:
        provider_for(biteship).quote(RateRequest(destination=Destination(postal_code="40115"),
                                                 parcel=Parcel(weight_grams=500)))
    assert caught.value.transient is False


@pytest.mark.parametrize(("mode", "words", "transient"), [
    ("down", "HTTP 500", True),
    ("garbage", "not JSON", False),
    ("bad_price", "price is not a number", False),
])
def test_bad_answers_become_clear_errors(fake, mode, words, transient):
    fake.mode = mode
    biteship = account("biteship", base_url=fake.url, api_key=BITESHIP_KEY, origin_area_id="IDNP6")
    with pytest.raises(ProviderError, match=words) as caught:
        provider_for(biteship).quote(RateRequest(destination=Destination(postal_code="40115"),
                                                 parcel=Parcel(weight_grams=500)))
    assert caught.value.transient is transient


def test_a_provider_that_does_not_answer_in_time_is_transient(fake, monkeypatch):
    from shipping.providers import http

    monkeypatch.setattr(http, "DEFAULT_TIMEOUT", (1, 0.2))
    fake.mode, fake.delay = "slow", 1.0
    biteship = account("biteship", base_url=fake.url, api_key=BITESHIP_KEY, origin_area_id="IDNP6")
    with pytest.raises(ProviderError, match="no answer") as caught:
        provider_for(biteship).quote(RateRequest(destination=Destination(postal_code="40115"),
                                                 parcel=Parcel(weight_grams=500)))
    assert caught.value.transient


def test_kiriminaja_rates_use_the_bearer_key_and_kecamatan_ids(fake):
    ka = account("kiriminaja", base_url=fake.url, api_key=KIRIMINAJA_KEY, origin_kecamatan_id="5780",
                 couriers="jne,sicepat")
    options = provider_for(ka).quote(RateRequest(destination=Destination(kecamatan_id="548"),
                                                 parcel=Parcel(weight_grams=2100, value_amount=90_000)))
    _m, path, body = fake.requests[-1]
    assert path == "/api/mitra/v6.1/shipping_price"
    assert (body["origin"], body["destination"], body["weight"], body["courier"]) == (5780, 548, 2100, ["jne",
                                                                                                    "sicepat"])
    assert {(o.courier_code, o.service_code, o.price_amount) for o in options} == {("jne", "reg", 25_500),
                                                                                   ("sicepat", "gokil", 30_000)}


def test_live_quote_names_the_account_that_failed_and_keeps_the_table_options(fake, jne_reg):
    fake.mode = "down"
    account("biteship", base_url=fake.url, api_key=BITESHIP_KEY, origin_area_id="IDNP6")
    result = quote(origin="Jakarta Barat", destination=Destination(province="Jawa Barat", postal_code="40115"),
                   parcel=Parcel(weight_grams=500), live=True)
    assert result.errors and "HTTP 500" in result.errors[0]


def test_booking_with_biteship_stores_resi_price_and_sort_code(fake, place_order):
    from shipping.services.bookings import shipment_book
    from shipping.services.shipments import shipment_create

    biteship = account("biteship", base_url=fake.url, api_key=BITESHIP_KEY, origin_area_id="IDNP6")
    order = place_order([("KAOS-L", 2)], cod=True)
    shipment = shipment_create(order_id=order.pk)
    service = CourierService.objects.get(courier__code="jne", code="reg")

    shipment_book(shipment_id=shipment.pk, account_id=biteship.pk, service_id=service.pk, quoted_amount=18_000)

    shipment.refresh_from_db()
    _m, path, body = fake.requests[-1]
    assert path == "/v1/orders" and body["destination_cash_on_delivery"] == order.total_amount
    assert body["items"][0]["weight"] == 250 and body["destination_contact_phone"] == "+6281255556666"
    assert shipment.status == ShipmentStatus.BOOKED and shipment.tracking_number.startswith("WYB-")
    assert (shipment.sort_code, shipment.cost_amount, shipment.courier_key) == ("CGK-BDO-01", 18_000, "jne")


def test_a_booking_refused_by_the_provider_changes_nothing(fake, place_order):
    from shipping.services.bookings import ProviderUnavailable, shipment_book
    from shipping.services.shipments import shipment_create

    fake.mode = "down"
    biteship = account("biteship", base_url=fake.url, api_key=BITESHIP_KEY)
    shipment = shipment_create(order_id=place_order().pk)
    with pytest.raises(ProviderUnavailable, match="could not book the parcel: Biteship: HTTP 500"):
        shipment_book(shipment_id=shipment.pk, account_id=biteship.pk,
                      service_id=CourierService.objects.get(courier__code="jne", code="reg").pk)
    shipment.refresh_from_db()
    assert (shipment.status, shipment.provider_order_id, shipment.events.count()) == (ShipmentStatus.CREATED, "", 1)


def test_kiriminaja_booking_sends_a_short_order_id_and_62_phones(fake, place_order):
    from shipping.services.bookings import shipment_book
    from shipping.services.shipments import shipment_create

    ka = account("kiriminaja", base_url=fake.url, api_key=KIRIMINAJA_KEY, origin_kecamatan_id="5780")
    order = place_order()
    shipment = shipment_create(order_id=order.pk)
    Shipment.objects.filter(pk=shipment.pk).update(weight_grams=700)
    shipment_book(shipment_id=shipment.pk, account_id=ka.pk, destination_kecamatan_id="548",
                  service_id=CourierService.objects.get(courier__code="jne", code="reg").pk)
    _m, path, body = fake.requests[-1]
    package = body["packages"][0]
    assert path == "/api/mitra/v6.1/request_pickup"
    assert len(package["order_id"]) <= 20 and package["destination_phone"].startswith("62")
    assert package["weight"] == 700
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.BOOKED and shipment.provider_order_id == package["order_id"]
