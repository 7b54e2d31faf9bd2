"""The stored compliance items, kept current as orders, payments and cases change, equal a from-scratch
computation: every figure of every target, after each kind of change, and after a full rebuild."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from aftersales.services import cases as case_services
from aftersales.services.surveys import invitation_create
from catalog.services import stock_receive
from core import roles
from core.models import CalendarClosure
from orders.services import (
    CustomerInput,
    LineInput,
    order_cancel,
    order_confirm,
    order_create,
    order_mark_delivered,
    order_mark_packed,
    order_mark_paid,
    order_mark_shipped,
)
from payments.services.opening import payment_open
from payments.services.proofs import proof_approve, proof_reject, proof_upload
from sop import selectors
from sop.handbook_id import handbook_load
from sop.models import ComplianceDaily, ComplianceItem, Target
from sop.services import target_set
from sop.services.compliance import compliance_refresh
from tests.catalog.factories import VariantFactory
from tests.factories import ChannelFactory

WIB = ZoneInfo("Asia/Jakarta")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
pytestmark = pytest.mark.django_db


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 4, day, hour, minute, tzinfo=WIB)


def _figures(c):
    return {
        "available": c.available, "total": c.total, "met": c.met, "share": c.share, "meets_goal": c.meets_goal,
        "breaches": [(b["ref"], b["url"], b["start"], b["deadline"], b["done"], b["late_minutes"], b["staff"])
                     for b in c.breaches],
        "by_staff": sorted((r["staff"], r["total"], r["met"], r["share"]) for r in c.by_staff),
        "trend": c.trend,
    }


def _assert_stored_equals_scratch(now: datetime, ranges=((date(2026, 4, 1), date(2026, 4, 30)),
                                                          (date(2026, 4, 6), date(2026, 4, 6)),
                                                          (date(2026, 4, 7), date(2026, 4, 12)))) -> int:
    """Every active target, over each range: the page's figures (after its refresh) equal the Python items."""
    decided = 0
    for target in Target.objects.filter(is_active=True):
        for start, end in ranges:
            stored = selectors.target_compliance(target=target, start=start, end=end, now=now)
            scratch = selectors.target_compliance_from_items(target=target, start=start, end=end, now=now)
            a, b = _figures(stored), _figures(scratch)
            for key in a:
                assert a[key] == b[key], (target.metric, start, end, key, a[key], b[key])
            decided += stored.total
    return decided


def _snapshot():
    items = sorted(ComplianceItem.objects.values_list("target_id", "subject_id", "anchor_day", "start", "done",
                                                      "deadline", "late", "actor_id", "ref", "link_kind", "link_id"))
    daily = sorted(ComplianceDaily.objects.values_list("target_id", "day", "week", "actor_id", "total", "met"),
                   key=repr)
    return items, daily


@pytest.fixture
def shop(make_user):
    handbook_load()
    cs = make_user(roles.CUSTOMER_SERVICE, username="cs-rina", first_name="Rina")
    finance = make_user(roles.FINANCE, username="fin-andi", first_name="Andi")
    channel = ChannelFactory(code="WEB")
    variant = VariantFactory(sku="KAOS-T")
    stock_receive(variant_id=variant.pk, quantity=50, reason="awal")
    return {"cs": cs, "finance": finance, "channel": channel, "variant": variant}


def _order(shop, when: datetime, i: int, method: str = "bank_transfer"):
    with time_machine.travel(when, tick=False):
        return order_create(channel_id=shop["channel"].pk, lines=[LineInput(variant_id=shop["variant"].pk, quantity=1)],
                            customer=CustomerInput(name="Budi", phone=f"0812999900{i:02d}"), payment_method=method)


def test_stored_figures_equal_a_from_scratch_computation_after_each_change(shop):
    cs, finance = shop["cs"], shop["finance"]
    # Monday 6 April: five orders, two proofs of transfer, two complaints
    orders = [_order(shop, at(6, 8 + i), i) for i in range(4)] + [_order(shop, at(6, 11, 30), 9, method="cod")]
    for order in orders[:3]:
        with time_machine.travel(at(6, 9, 5), tick=False):
            order_mark_paid(order_id=order.pk, source="gateway")
    with time_machine.travel(at(6, 9), tick=False):
        proofs = [proof_upload(payment_id=payment_open(order_id=orders[3].pk).pk, data=PDF)]
    with time_machine.travel(at(6, 11, 45), tick=False):
        proofs.append(proof_upload(payment_id=payment_open(order_id=orders[3].pk).pk, data=PDF))
    cases = []
    for opened in (at(6, 9), at(6, 11, 30)):
        with time_machine.travel(opened, tick=False):
            cases.append(case_services.case_open(subject="Paket rusak", description="Kardus penyok", actor=cs))

    assert _assert_stored_equals_scratch(at(8, 9)) > 0

    # then the work happens, some of it late: confirmations, a proof approved and one rejected, replies,
    # a resolution, shipping and delivery, a review invitation, a cancellation
    with time_machine.travel(at(6, 9, 40), tick=False):
        order_confirm(order_id=orders[0].pk, actor=cs)
    with time_machine.travel(at(6, 14, 30), tick=False):
        order_confirm(order_id=orders[1].pk, actor=cs)
        order_confirm(order_id=orders[4].pk, actor=cs)
    with time_machine.travel(at(6, 10, 30), tick=False):
        proof_reject(proof_id=proofs[0].pk, actor=finance, reason="Buram")
    with time_machine.travel(at(6, 15), tick=False):
        proof_approve(proof_id=proofs[1].pk, actor=finance)
    with time_machine.travel(at(6, 9, 30), tick=False):
        case_services.case_reply(case_id=cases[0].pk, body="Mohon maaf, kami cek dulu.", actor=cs, send=False)
    with time_machine.travel(at(6, 13, 45), tick=False):
        case_services.case_reply(case_id=cases[1].pk, body="Kami cek.", actor=cs, send=False)
    with time_machine.travel(at(9, 10), tick=False):
        case_services.case_resolve(case_id=cases[0].pk, resolution="explanation", note="Dijelaskan", actor=cs,
                                   invite_csat=False)
    with time_machine.travel(at(7, 10), tick=False):
        order_mark_packed(order_id=orders[0].pk)
        order_mark_shipped(order_id=orders[0].pk, courier="JNE", tracking_number="CM-SOP-1", actor=cs)
    with time_machine.travel(at(8, 10), tick=False):
        order_mark_delivered(order_id=orders[0].pk)
    with time_machine.travel(at(9, 10), tick=False):
        invitation_create(kind="review", order=orders[0])
    with time_machine.travel(at(7, 9), tick=False):
        order_cancel(order_id=orders[2].pk, reason="customer asked")

    assert ComplianceItem.objects.filter(done__isnull=False).count() == 0  # nothing refreshed since
    assert _assert_stored_equals_scratch(at(10, 9)) > 0
    assert ComplianceItem.objects.filter(done__isnull=False).count() >= 6
    incremental = _snapshot()
    compliance_refresh(sweep=True)  # the beat's sweep changes nothing more
    assert _snapshot() == incremental
    compliance_refresh(rebuild=True)
    assert _snapshot() == incremental  # the incremental rows equal a rebuild

    # a new threshold, and a holiday in the calendar: the targets concerned are measured again
    confirm = Target.objects.get(metric="order_confirm")
    target_set(step_id=confirm.step_id, metric="order_confirm", threshold=Decimal(3))
    CalendarClosure.objects.create(date=date(2026, 4, 6), kind=CalendarClosure.Kind.SHOP_CLOSURE, name="Tutup")
    assert _assert_stored_equals_scratch(at(10, 9)) > 0


def test_the_page_reads_the_stored_rows_without_measuring_again(shop, django_assert_max_num_queries):
    _order(shop, at(6, 8), 1, method="cod")
    selectors.compliance(start=date(2026, 4, 1), end=date(2026, 4, 30))  # builds the items
    assert ComplianceItem.objects.exists()
    targets = Target.objects.filter(is_active=True).count()
    # the refresh (state, targets, calendar, source maxima) and three reads plus names per target
    with django_assert_max_num_queries(12 + 5 * targets):
        selectors.compliance(start=date(2026, 4, 1), end=date(2026, 4, 30))


def test_a_row_committed_after_a_newer_one_is_still_measured(shop):
    """An order event whose transaction took its id first but committed after a later one was seen."""
    from django.db import connection

    from orders.models import OrderEvent

    late, other = _order(shop, at(6, 8), 1), _order(shop, at(6, 8), 2)
    with time_machine.travel(at(6, 9), tick=False):
        order_mark_paid(order_id=late.pk, source="gateway")
    compliance_refresh()
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence('orders_orderevent', 'id'))")
        reserved = cursor.fetchone()[0]
    with time_machine.travel(at(6, 9, 30), tick=False):
        order_mark_paid(order_id=other.pk, source="gateway")  # a newer event, seen first
    compliance_refresh()
    confirm = Target.objects.get(metric="order_confirm")
    assert ComplianceItem.objects.get(target=confirm, subject_id=late.pk).done is None

    with time_machine.travel(at(6, 9, 40), tick=False):  # the older transaction commits now
        OrderEvent.objects.create(id=reserved, order=late, kind="status", from_status="paid", to_status="processing",
                                  actor=shop["cs"])
    compliance_refresh()

    assert ComplianceItem.objects.get(target=confirm, subject_id=late.pk).done == at(6, 9, 40)
    assert _assert_stored_equals_scratch(at(10, 9)) > 0


def test_the_beat_keeps_the_stored_items_current(settings):
    from sop.tasks import compliance_refresh_task

    entry = settings.CELERY_BEAT_SCHEDULE["sop.compliance_refresh"]
    assert entry["task"] == compliance_refresh_task.name
    assert entry["schedule"] <= 60  # a change shows within a minute
