"""The compliance figures stored by SQL equal the item-by-item computation in Python.

For the metrics whose deadline is plain arithmetic (ship by, review invitation), the stored items are
written by one INSERT ... SELECT (sop.metrics.*_sql); the Python items (sop.metrics.*_items) stay the
independent computation, and every figure of the page must match: share, met, breaches with their
lateness and staff, by staff, trend.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from aftersales.models import Invitation
from catalog.services import stock_receive
from core import roles
from orders.models import Order, OrderEvent
from orders.services import CustomerInput, LineInput, order_create
from sop import metrics, selectors
from sop.handbook_id import handbook_load
from sop.models import Target
from tests.catalog.factories import VariantFactory
from tests.factories import ChannelFactory

WIB = ZoneInfo("Asia/Jakarta")
NOW = datetime(2026, 4, 20, 12, 0, tzinfo=WIB)
pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(make_user):
    handbook_load()
    rina = make_user(roles.WAREHOUSE, username="wh-rina", first_name="Rina")
    andi = make_user(roles.WAREHOUSE, username="wh-andi", first_name="Andi")
    channel = ChannelFactory(code="WEB")
    variant = VariantFactory(sku="KAOS-S")
    stock_receive(variant_id=variant.pk, quantity=50, reason="awal")
    h = timedelta(hours=1)
    # (ship_by, shipped_at, shipper, delivered_at, invited after delivery, status) over two weeks
    specs = [
        (NOW - 200 * h, NOW - 201 * h, rina, NOW - 150 * h, 10 * h, "delivered"),  # on time; invited in time
        (NOW - 190 * h, NOW - 180 * h, andi, NOW - 120 * h, 60 * h, "delivered"),  # late; invited late
        (NOW - 100 * h, NOW - 99.5 * h, rina, NOW - 60 * h, None, "delivered"),  # late by 30 min; not invited
        (NOW - 50 * h, None, None, None, None, "paid"),  # overdue
        (NOW - 40 * h, NOW - 45 * h, None, NOW - 5 * h, None, "delivered"),  # on time, nobody recorded
        (NOW + 5 * h, None, None, None, None, "paid"),  # not due yet: not decided
        (NOW - 30 * h, NOW - 20 * h, andi, None, None, "cancelled"),  # cancelled: not counted
    ]
    for ship_by, shipped_at, shipper, delivered_at, invited_after, status in specs:
        order = order_create(channel_id=channel.pk, lines=[LineInput(variant_id=variant.pk, quantity=1)],
                             customer=CustomerInput(name="Budi", phone="081299990000"))
        Order.objects.filter(pk=order.pk).update(status=status, ship_by=ship_by, shipped_at=shipped_at,
                                                 paid_at=ship_by - 30 * h, delivered_at=delivered_at)
        if shipped_at is not None:
            event = OrderEvent.objects.create(order=order, kind="status", from_status="packed", to_status="shipped",
                                              actor=shipper)
            OrderEvent.objects.filter(pk=event.pk).update(created_at=shipped_at)
        if invited_after is not None:
            invitation = Invitation.objects.create(order=order, kind=Invitation.Kind.REVIEW,
                                                   token_hash=f"h{order.pk}", expires_at=NOW + 30 * h)
            Invitation.objects.filter(pk=invitation.pk).update(sent_at=delivered_at + invited_after)
    return channel


def _python(target, start, end):
    """The same target through the Python items (the from-scratch definition)."""
    return selectors.target_compliance_from_items(target=target, start=start, end=end, now=NOW)


def _figures(c):
    return {
        "total": c.total, "met": c.met, "share": c.share, "meets_goal": c.meets_goal,
        "breaches": [(b["ref"], b["url"], b["start"], b["deadline"], b["done"], b["late_minutes"], b["staff"])
                     for b in c.breaches],
        "by_staff": sorted((r["staff"], r["total"], r["met"], r["share"]) for r in c.by_staff),
        "trend": c.trend,
    }


@pytest.mark.parametrize("metric", ["ship_by", "review_request"])
@pytest.mark.parametrize("grace", ["0", "1", "48"])
def test_sql_aggregation_equals_the_python_items(shop, metric, grace):
    target = Target.objects.filter(metric=metric).first()
    target.threshold = grace
    target.save()
    target.refresh_from_db()
    start, end = date(2026, 4, 1), date(2026, 4, 30)

    in_sql = selectors.target_compliance(target=target, start=start, end=end, now=NOW)
    in_python = _python(target, start, end)

    assert metrics.METRICS[metric].sql is not None
    assert in_sql.total > 0
    assert _figures(in_sql) == _figures(in_python)


def test_ship_by_figures_by_hand(shop):
    target = Target.objects.filter(metric="ship_by").first()
    target.threshold = 0
    target.save()

    result = selectors.target_compliance(target=target, start=date(2026, 4, 1), end=date(2026, 4, 30), now=NOW)

    # decided: 5 (the cancelled one and the one not yet due are not); met: the 1st and the 5th
    assert (result.total, result.met) == (5, 2)
    assert [b["late_minutes"] for b in result.breaches] == [50 * 60, 30, 10 * 60]  # latest deadline first
    assert [b["staff"] for b in result.breaches] == ["", "Rina", "Andi"]
