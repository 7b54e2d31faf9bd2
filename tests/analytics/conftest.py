"""A small shop built by hand for the analytics tests, and its expected figures computed independently.

Every order is placed through orders.services at a frozen Jakarta time; the expected numbers are
computed here from the specification below (prices, quantities, discounts, the cost valid at the
time of sale, fees, packing, refunds), never read back from the facts or rollups.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from catalog.models import ChannelCatalogSettings
from catalog.services import stock_receive, variant_cost_set
from channels.models import Channel
from orders.services import AddressInput, CustomerInput, LineInput, order_cancel, order_create
from tests.catalog.factories import ProductFactory, VariantFactory
from tests.factories import ChannelFactory

WIB = ZoneInfo("Asia/Jakarta")
WEB_PACKING = 2_000
SHOPEE_COMMISSION = Decimal(5)
SHOPEE_FIXED = 1_000
COST_A_BEFORE, COST_A_AFTER, COST_B = 40_000, 45_000, 20_000
COST_CHANGE_AT = datetime(2026, 3, 5, 12, 0, tzinfo=WIB)

PEOPLE = {
    "budi": ("Budi Santoso", "081211110001", "Bandung", "Jawa Barat"),
    "siti": ("Siti Rahma", "081211110002", "Surabaya", "Jawa Timur"),
    "andi": ("Andi Wijaya", "081211110003", "Surabaya", "Jawa Timur"),
    "dewi": ("Dewi Lestari", "081211110004", "Denpasar", "Bali"),
}


@dataclass
class OrderSpec:
    key: str
    who: str
    channel: str  # web | shp
    at: datetime
    lines: list[tuple[str, int, int, int]]  # (variant, qty, unit price, line discount)
    discount: int = 0
    shipping: int = 0
    cancel: bool = False
    refunds: list[tuple[int, str]] = field(default_factory=list)  # (amount, kind)


SPECS = [
    OrderSpec("o_ly", "dewi", "web", datetime(2025, 3, 3, 11, 0, tzinfo=WIB), [("B", 1, 50_000, 0)]),
    OrderSpec("o_prev", "andi", "web", datetime(2026, 2, 28, 23, 59, tzinfo=WIB), [("A", 1, 85_000, 0)]),
    OrderSpec("o1", "budi", "web", datetime(2026, 3, 1, 10, 0, tzinfo=WIB), [("A", 2, 85_000, 5_000)],
              discount=10_000, shipping=15_000),
    OrderSpec("o2", "budi", "shp", datetime(2026, 3, 1, 23, 59, tzinfo=WIB),
              [("B", 1, 50_000, 0), ("A", 1, 85_000, 0)]),
    OrderSpec("o3", "siti", "web", datetime(2026, 3, 2, 0, 5, tzinfo=WIB), [("B", 2, 50_000, 0)], cancel=True),
    OrderSpec("o4", "siti", "shp", datetime(2026, 3, 6, 9, 0, tzinfo=WIB), [("A", 3, 80_000, 0)],
              refunds=[(30_000, "return"), (5_000, "overpayment")]),
    OrderSpec("o5", "budi", "web", datetime(2026, 3, 7, 23, 30, tzinfo=WIB), [("B", 1, 21_000, 1_000)],
              shipping=10_000),
    OrderSpec("o_next", "andi", "web", datetime(2026, 3, 8, 0, 10, tzinfo=WIB), [("B", 1, 50_000, 0)]),
]
RANGE = (date(2026, 3, 1), date(2026, 3, 7))


def unit_cost(variant: str, at: datetime) -> int:
    if variant == "B":
        return COST_B
    return COST_A_AFTER if at >= COST_CHANGE_AT else COST_A_BEFORE


def half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def expected_order(spec: OrderSpec) -> dict:
    """The order's figures by the definitions of the reports (see analytics.models.Measures)."""
    gross = sum(q * p for _v, q, p, _d in spec.lines)
    line_discount = sum(d for *_x, d in spec.lines)
    subtotal = gross - line_discount
    fee = half_up(Decimal(subtotal) * SHOPEE_COMMISSION / 100) + SHOPEE_FIXED if spec.channel == "shp" else 0
    refund = sum(a for a, kind in spec.refunds if kind != "overpayment")
    cogs = sum(q * unit_cost(v, spec.at) for v, q, _p, _d in spec.lines)
    packing = WEB_PACKING if spec.channel == "web" else 0
    discount = line_discount + spec.discount
    net = gross - discount - refund - fee
    return {"gross": gross, "discount": discount, "fee": fee, "refund": refund, "net": net, "cogs": cogs,
            "packing": packing, "margin": net - cogs - packing,
            "units": sum(q for _v, q, _p, _d in spec.lines), "shipping": spec.shipping}


def kept_in(start: date, end: date, *, channel: str | None = None) -> list[OrderSpec]:
    return [s for s in SPECS if not s.cancel and start <= s.at.date() <= end
            and (channel is None or s.channel == channel)]


def expected_totals(start: date, end: date, *, channel: str | None = None) -> dict:
    rows = [expected_order(s) for s in kept_in(start, end, channel=channel)]
    total = {k: sum(r[k] for r in rows) for k in ("gross", "discount", "fee", "refund", "net", "cogs", "packing",
                                                  "margin", "units", "shipping")}
    total["orders"] = len(rows)
    total["cancelled"] = sum(1 for s in SPECS if s.cancel and start <= s.at.date() <= end
                             and (channel is None or s.channel == channel))
    return total


@dataclass
class Shop:
    web: Channel
    shp: Channel
    variants: dict
    orders: dict


@pytest.fixture
def shop(db, django_capture_on_commit_callbacks) -> Shop:
    """The hand-built shop, with every order's rollup key marked through the orders hooks."""
    web = ChannelFactory(kind=Channel.Kind.WEBSITE, name="Toko Web", code="WEB")
    shp = ChannelFactory(kind=Channel.Kind.SHOPEE, name="Shopee", code="SHP", shop_id="shp-1",
                         commission_percent=SHOPEE_COMMISSION, fixed_fee_amount=SHOPEE_FIXED)
    ChannelCatalogSettings.objects.create(channel=web, packaging_cost_amount=WEB_PACKING)
    variants = {
        "A": VariantFactory(sku="KAOS-A", product=ProductFactory(name="Kaos A", category="Pakaian"),
                            price_amount=85_000, cost_amount=COST_A_BEFORE),
        "B": VariantFactory(sku="TOPI-B", product=ProductFactory(name="Topi B", category="Aksesoris"),
                            price_amount=50_000, cost_amount=COST_B),
    }
    for variant in variants.values():
        stock_receive(variant_id=variant.pk, quantity=100, reason="stok awal")
    orders = {}
    with django_capture_on_commit_callbacks(execute=True):
        for spec in sorted(SPECS, key=lambda s: s.at):
            orders[spec.key] = _place(spec, web=web, shp=shp, variants=variants)
        with time_machine.travel(COST_CHANGE_AT, tick=False):
            variant_cost_set(variant_id=variants["A"].pk, cost_amount=COST_A_AFTER, note="harga beli naik")
    return Shop(web=web, shp=shp, variants=variants, orders=orders)


def _place(spec: OrderSpec, *, web, shp, variants):
    from payments.models import Payment, Refund

    name, phone, city, province = PEOPLE[spec.who]
    with time_machine.travel(spec.at, tick=False):
        order = order_create(
            channel_id=(web if spec.channel == "web" else shp).pk,
            lines=[LineInput(variant_id=variants[v].pk, quantity=q, unit_price_amount=p, discount_amount=d)
                   for v, q, p, d in spec.lines],
            customer=CustomerInput(name=name, phone=phone),
            shipping=AddressInput(name=name, phone=phone, address="Jl. Melati 5", city=city, province=province),
            shipping_amount=spec.shipping, discount_amount=spec.discount, payment_method="bank_transfer",
        )
        if spec.cancel:
            order_cancel(order_id=order.pk, reason="Pembeli membatalkan")
    for amount, kind in spec.refunds:
        payment = Payment.objects.filter(order=order).first()
        Payment.objects.filter(pk=payment.pk).update(status="paid", received_amount=payment.amount,
                                                     refunded_amount=sum(a for a, _k in spec.refunds))
        Refund.objects.create(payment=payment, order=order, amount=amount, kind=kind, reason="retur")
    return order
