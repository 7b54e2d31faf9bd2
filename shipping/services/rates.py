"""Shipping rates: chargeable weight per service, offline quotes from rate tables, live quotes from
aggregators, and the free-shipping/subsidy rules. Weights are grams, sizes centimetres.

The quote for an order lists every option (price, ETA range, COD, insurance) with the cheapest and
the fastest marked; `sort="price"` puts the cheapest first, `sort="eta"` the fastest.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass, field, replace
from decimal import Decimal

from django.db.models import Q
from django.utils.translation import gettext as _

from core.money import percent_of
from shipping.models import CourierService, Rate, ShippingAccount, ShippingRule

logger = logging.getLogger(__name__)

GRAMS_PER_KG = 1000
MAX_WEIGHT_GRAMS = 1_000_000  # a tonne: beyond anything a parcel service takes
MAX_SIDE_CM = 1_000


@dataclass(frozen=True)
class Parcel:
    weight_grams: int
    length_cm: int = 0
    width_cm: int = 0
    height_cm: int = 0
    value_amount: int = 0


def volumetric_grams(*, length_cm: int, width_cm: int, height_cm: int, divisor: int) -> int:
    """L×W×H / divisor kilograms, in grams rounded up (6000 cm³/kg: 30×20×10 cm is 1,000 g)."""
    volume = int(length_cm) * int(width_cm) * int(height_cm)
    if volume <= 0:
        return 0
    return -(-volume * GRAMS_PER_KG // int(divisor))


def chargeable_weight(
    *,
    weight_grams: int,
    length_cm: int = 0,
    width_cm: int = 0,
    height_cm: int = 0,
    divisor: int = 6000,
    min_weight_grams: int = 1000,
    rounding_threshold_grams: int = 0,
) -> int:
    """The weight a courier charges, in whole kilograms (as grams).

    The larger of actual and volumetric weight; the part above a whole kilogram is dropped when it
    is at most `rounding_threshold_grams` (JNE: 1.3 kg is 1 kg, 1.31 kg is 2 kg), otherwise it
    counts as a whole kilogram; never below the service's minimum.
    """
    if weight_grams < 0 or min(length_cm, width_cm, height_cm) < 0:
        raise ValueError("weight and sizes cannot be negative")
    heaviest = max(
        int(weight_grams),
        volumetric_grams(length_cm=length_cm, width_cm=width_cm, height_cm=height_cm, divisor=divisor),
    )
    kilos, rest = divmod(heaviest, GRAMS_PER_KG)
    if rest > rounding_threshold_grams:
        kilos += 1
    return max(kilos * GRAMS_PER_KG, int(min_weight_grams))


def service_chargeable_weight(service: CourierService, parcel: Parcel) -> int:
    return chargeable_weight(
        weight_grams=parcel.weight_grams, length_cm=parcel.length_cm, width_cm=parcel.width_cm,
        height_cm=parcel.height_cm, divisor=service.volumetric_divisor, min_weight_grams=service.min_weight_grams,
        rounding_threshold_grams=service.rounding_threshold_grams,
    )


# --- areas ----------------------------------------------------------------------------------------

_PREFIXES = (
    (re.compile(r"^(kabupaten|kab\.?)\s+"), "kab "),
    (re.compile(r"^(kota administrasi|kota adm\.?|kotamadya|kota)\s+"), "kota "),
    (re.compile(r"^(kecamatan|kec\.?)\s+"), ""),
    (re.compile(r"^(provinsi|prov\.?)\s+"), ""),
)


def area_key(name: str) -> str:
    """A comparable form of an area name: lower case, single spaces, "Kabupaten"/"Kab." as "kab ",
    "Kota"/"Kota Adm." as "kota ", "Kecamatan"/"Provinsi" dropped. Kota Bandung and Kabupaten
    Bandung stay different areas."""
    text = " ".join(re.sub(r"[^\w\s.]", " ", (name or "").lower()).split())
    for pattern, replacement in _PREFIXES:
        text = pattern.sub(replacement, text)
    return text.replace(".", "").strip()


def _bare(key: str) -> str:
    return re.sub(r"^(kab|kota) ", "", key)


@dataclass(frozen=True)
class Destination:
    province: str = ""
    city: str = ""
    district: str = ""
    postal_code: str = ""
    area_id: str = ""  # Biteship area id
    kecamatan_id: str = ""  # KiriminAja


# --- quotes ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class QuoteOption:
    courier_code: str
    courier_name: str
    service_code: str
    service_name: str
    price_amount: int
    etd_min_days: int | None
    etd_max_days: int | None
    cod_available: bool
    insurance_available: bool
    source: str  # "table", "biteship", "kiriminaja"
    service_id: int | None = None
    chargeable_weight_grams: int = 0
    insurance_amount: int = 0
    cod_fee_amount: int = 0
    subsidy_amount: int = 0
    rule: str = ""
    cheapest: bool = False
    fastest: bool = False

    @property
    def buyer_pays_amount(self) -> int:
        return max(self.price_amount - self.subsidy_amount, 0)

    @property
    def etd_text(self) -> str:
        if self.etd_min_days is None:
            return "-"
        if self.etd_max_days in (None, self.etd_min_days):
            return _("%(n)s days") % {"n": self.etd_min_days}
        return _("%(a)s-%(b)s days") % {"a": self.etd_min_days, "b": self.etd_max_days}


@dataclass
class Quote:
    options: list[QuoteOption]
    errors: list[str] = field(default_factory=list)  # providers that did not answer, in words


def _rate_rows(origin: str, dest: Destination, service_ids: set[int] | None) -> list[Rate]:
    """The candidate rows of active tables: same origin, same province, the city's or the province's."""
    province = area_key(dest.province)
    city = area_key(dest.city)
    cities = {"", city, _bare(city)} if city else {""}
    qs = Rate.objects.filter(table__is_active=True, origin_key=area_key(origin), city_key__in=cities).select_related(
        "service__courier"
    )
    if province:
        qs = qs.filter(province_key=province)
    elif city:
        qs = qs.exclude(city_key="")
    else:
        return []
    if service_ids is not None:
        qs = qs.filter(service_id__in=service_ids)
    return list(qs.filter(service__is_active=True, service__courier__is_active=True).order_by("-table__created_at"))


def _best_rate_per_service(rows: list[Rate], dest: Destination) -> dict[int, Rate]:
    """The most specific row per service: the district's, then the city's, then the province's."""
    district = area_key(dest.district)
    city = area_key(dest.city)

    def score(rate: Rate) -> int:
        if rate.district_key:
            return 3 if district and rate.district_key == district else -1
        if rate.city_key:
            return 2 if rate.city_key == city else 1  # "Bandung" in the file matches "Kota Bandung"
        return 0

    best: dict[int, tuple[int, Rate]] = {}
    for rate in rows:
        points = score(rate)
        if points < 0:
            continue
        if rate.service_id not in best or points > best[rate.service_id][0]:
            best[rate.service_id] = (points, rate)
    return {service_id: rate for service_id, (_points, rate) in best.items()}


def quote_offline(
    *, origin: str, destination: Destination, parcel: Parcel, cod: bool = False, service_ids: set[int] | None = None
) -> list[QuoteOption]:
    """Options priced from the imported rate tables, without any network call."""
    options = []
    for rate in _best_rate_per_service(_rate_rows(origin, destination, service_ids), destination).values():
        service = rate.service
        if cod and not service.cod_available:
            continue
        weight = service_chargeable_weight(service, parcel)
        price = rate.price_per_kg_amount * (weight // GRAMS_PER_KG)
        options.append(
            QuoteOption(
                courier_code=service.courier.code, courier_name=service.courier.name, service_code=service.code,
                service_name=service.name, price_amount=price,
                etd_min_days=rate.etd_min_days if rate.etd_min_days is not None else service.etd_min_days,
                etd_max_days=rate.etd_max_days if rate.etd_max_days is not None else service.etd_max_days,
                cod_available=service.cod_available, insurance_available=service.insurance_available,
                source="table", service_id=service.id, chargeable_weight_grams=weight,
                insurance_amount=percent_of(parcel.value_amount, service.insurance_percent)
                if service.insurance_available else 0,
                cod_fee_amount=percent_of(parcel.value_amount, service.cod_fee_percent) if cod else 0,
            )
        )
    return options


def _service_index() -> dict[tuple[str, str], CourierService]:
    return {
        (s.courier.code, s.code): s
        for s in CourierService.objects.select_related("courier").filter(is_active=True, courier__is_active=True)
    }


def quote_live(*, destination: Destination, parcel: Parcel, cod: bool = False) -> Quote:
    """Options from every active aggregator account; an account that fails is named in `errors`."""
    from shipping.providers import ProviderError, RateRequest, provider_for

    services = _service_index()
    result = Quote(options=[])
    for account in ShippingAccount.objects.filter(is_active=True).order_by("id"):
        provider = provider_for(account)
        try:
            answers = provider.quote(RateRequest(destination=destination, parcel=parcel, cod=cod))
        except ProviderError as exc:
            logger.warning("rates from %s failed: %s", account, exc)
            result.errors.append(_("%(account)s did not answer: %(reason)s") % {"account": account.name,
                                                                                  "reason": exc.message})
            continue
        for answer in answers:
            service = services.get((answer.courier_code, answer.service_code))
            if cod and not answer.cod_available:
                continue
            result.options.append(replace(
                answer, service_id=service.id if service else None,
                chargeable_weight_grams=service_chargeable_weight(service, parcel) if service else 0,
            ))
    return result


def rules_matching(*, channel_id: int | None, subtotal_amount: int, province: str) -> list[ShippingRule]:
    province_key = area_key(province)
    rules = ShippingRule.objects.filter(is_active=True, min_subtotal_amount__lte=subtotal_amount).filter(
        Q(channel_id=channel_id) | Q(channel__isnull=True)
    )
    return [
        rule for rule in rules.order_by("priority", "id")
        if not rule.provinces or province_key in {area_key(p) for p in rule.provinces}
    ]


def subsidy_for(rule: ShippingRule, price_amount: int) -> int:
    """What the seller pays of the postage under a rule (never more than the postage)."""
    if rule.kind == ShippingRule.Kind.FREE:
        subsidy = price_amount
    elif rule.kind == ShippingRule.Kind.FIXED:
        subsidy = rule.amount
    else:
        subsidy = percent_of(price_amount, Decimal(rule.percent))
    if rule.max_amount is not None:
        subsidy = min(subsidy, rule.max_amount)
    return max(min(subsidy, price_amount), 0)


def rank_options(options: list[QuoteOption], *, sort: str = "price") -> list[QuoteOption]:
    """Mark the cheapest and the fastest and sort: by price (then ETA) or by ETA (then price)."""
    if not options:
        return []
    cheapest = min(o.price_amount for o in options)
    fastest = min((o.etd_max_days if o.etd_max_days is not None else math.inf) for o in options)
    marked = [
        replace(o, cheapest=o.price_amount == cheapest,
                fastest=(o.etd_max_days if o.etd_max_days is not None else math.inf) == fastest)
        for o in options
    ]

    def eta(o: QuoteOption) -> float:
        return o.etd_max_days if o.etd_max_days is not None else math.inf

    if sort == "eta":
        return sorted(marked, key=lambda o: (eta(o), o.price_amount, o.courier_code, o.service_code))
    return sorted(marked, key=lambda o: (o.price_amount, eta(o), o.courier_code, o.service_code))


def quote(
    *,
    origin: str,
    destination: Destination,
    parcel: Parcel,
    cod: bool = False,
    live: bool = False,
    channel_id: int | None = None,
    subtotal_amount: int = 0,
    sort: str = "price",
) -> Quote:
    """Every option for a parcel: the rate tables' and, with `live`, the aggregators' (a live price
    replaces the table's for the same service), with the first matching subsidy rule applied."""
    if parcel.weight_grams <= 0:
        raise ValueError(_("The parcel needs a weight above 0 grams."))
    if parcel.weight_grams > MAX_WEIGHT_GRAMS or max(parcel.length_cm, parcel.width_cm, parcel.height_cm) > MAX_SIDE_CM:
        raise ValueError(_("The parcel is larger than any courier service takes."))
    table = quote_offline(origin=origin, destination=destination, parcel=parcel, cod=cod)
    result = Quote(options=table)
    if live:
        fetched = quote_live(destination=destination, parcel=parcel, cod=cod)
        result.errors = fetched.errors
        live_keys = {(o.courier_code, o.service_code) for o in fetched.options}
        result.options = [o for o in table if (o.courier_code, o.service_code) not in live_keys] + fetched.options
    rules = rules_matching(channel_id=channel_id, subtotal_amount=subtotal_amount, province=destination.province)
    if rules:
        rule = rules[0]
        result.options = [replace(o, subsidy_amount=subsidy_for(rule, o.price_amount), rule=rule.name)
                          for o in result.options]
    result.options = rank_options(result.options, sort=sort)
    return result


def order_parcel(order) -> Parcel:
    """The parcel an order makes: its products' weights and the largest product's box; the order's
    lines must be loaded with their variants and products."""
    weight = 0
    sides = [0, 0, 0]
    for line in order.lines.all():
        product = line.variant.product if line.variant_id else None
        if product is None:
            continue
        weight += product.weight_grams * line.quantity
        sides = max(sides, sorted([product.length_cm, product.width_cm, product.height_cm], reverse=True),
                    key=lambda s: s[0] * s[1] * s[2])
    return Parcel(weight_grams=max(weight, 1), length_cm=sides[0], width_cm=sides[1], height_cm=sides[2],
                  value_amount=max(order.subtotal_amount, 0))


def order_quote(*, order, live: bool = False, sort: str = "price") -> Quote:
    """The quote for an order's parcel to its address, with its channel's subsidy rules."""
    from shipping.selectors import shipping_settings

    cfg = shipping_settings()
    return quote(
        origin=cfg.origin_city, destination=Destination(province=order.shipping_province, city=order.shipping_city,
                                                        postal_code=order.shipping_postal_code),
        parcel=order_parcel(order), cod=order.is_cod, live=live, channel_id=order.channel_id,
        subtotal_amount=order.subtotal_amount, sort=sort,
    )
