"""The set-based batch upsert of marketplace orders keeps every guarantee of the per-order upsert."""

from __future__ import annotations

import pytest
from django.db import connection

from catalog.models import StockMovement
from channels.models import Channel
from notifications.models import Notification, NotificationTrigger
from orders import hooks
from orders.inputs import ExternalOrderLine
from orders.models import Order, OrderStatus
from orders.services import external as external_module
from orders.services import order_upsert_external
from orders.services.external import orders_upsert_external_batch
from payments.models import Payment, PaymentStatus
from tests.concurrency import race

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
S = OrderStatus


def _timeline(order: Order) -> list[tuple]:
    return [
        (e.kind, e.from_status, e.to_status, e.source, e.note, {k: v for k, v in e.data.items() if k != "number"})
        for e in order.events.order_by("id")
    ]


def _now_or(value):
    """Stamps taken from the clock (no marketplace time given) differ by the run's milliseconds."""
    from datetime import datetime, timedelta

    from django.utils import timezone

    if isinstance(value, datetime) and abs(timezone.now() - value) < timedelta(seconds=30):
        return "now"
    return value


def _state(order: Order) -> dict:
    order.refresh_from_db()
    return {
        name: _now_or(getattr(order, name))
        for name in ("status", "marketplace_status", "marketplace_updated_at", "courier", "tracking_number",
                     "ship_by", "marketplace_fee_amount", "paid_at", "shipped_at", "delivered_at",
                     "completed_at", "cancel_reason", "is_oversold", "payment_method", "total_amount",
                     "customer_id", "shipping_name", "shipping_phone", "subtotal_amount", "placed_at")
    }


# Each scenario: the payloads an order receives, one drain pass per inner list.
SCENARIOS = {
    "walks forward": [[("UNPAID", 0, {})], [("READY_TO_SHIP", 5, {"paid_at": True})],
                      [("SHIPPED", 10, {"courier": "SPX", "tracking_number": "SPX1"})], [("COMPLETED", 20, {})]],
    "late statuses first": [[("COMPLETED", 30, {})], [("SHIPPED", 20, {})], [("READY_TO_SHIP", 10, {})]],
    "same payload again": [[("READY_TO_SHIP", 0, {})], [("READY_TO_SHIP", 0, {})], [("READY_TO_SHIP", 0, {})]],
    "cash on delivery": [[("READY_TO_SHIP", 0, {"is_cod": True})], [("SHIPPED", 5, {"is_cod": True})]],
    "record-only and unknown": [[("READY_TO_SHIP", 0, {})], [("IN_CANCEL", 5, {})], [("WEIRD", 6, {})]],
    "cancelled": [[("READY_TO_SHIP", 0, {})], [("CANCELLED", 5, {"cancel_reason": "buyer asked"})]],
    "details change": [[("READY_TO_SHIP", 0, {})],
                       [("READY_TO_SHIP", 3, {"marketplace_fee_amount": 4_000, "tracking_number": "T9"})]],
    "new and shipped at once": [[("SHIPPED", 0, {"courier": "JNE", "tracking_number": "JNE7"})]],
    "unmapped sku": [[("READY_TO_SHIP", 0, {"sku": "NOPE-1"})], [("PROCESSED", 5, {"sku": "NOPE-1"})]],
    "out of stock": [[("READY_TO_SHIP", 0, {"quantity": 500})], [("SHIPPED", 5, {"quantity": 500})]],
    "new and cancelled": [[("CANCELLED", 0, {})]],
    "buyer with a phone": [[("UNPAID", 0, {"buyer_phone": "081234567890", "buyer_email": "siti@example.id"})]],
}


def _payload(external_order, external_id: str, status: str, minutes: int, extra: dict):
    extra = dict(extra)
    sku = extra.pop("sku", "KAOS-L")
    quantity = extra.pop("quantity", 2)
    lines = [ExternalOrderLine(external_line_id="1", sku=sku, name="Kaos", quantity=quantity,
                               unit_price_amount=85_000)]
    if extra.pop("paid_at", False):
        from datetime import timedelta

        from django.utils import timezone

        extra["paid_at"] = timezone.now().replace(microsecond=0) - timedelta(minutes=50)
    if extra.get("is_cod"):
        extra["payment_method"] = "cod"
    return external_order(status, minutes=minutes, external_id=external_id, lines=lines, **extra)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_batch_upsert_writes_what_the_per_order_upsert_writes(name, make_channel, external_order, make_variant):
    # given two identical shops, one fed order by order and one in batches
    make_variant("KAOS-L", stock=100)
    single = make_channel(Channel.Kind.SHOPEE, "ONE")
    batched = make_channel(Channel.Kind.SHOPEE, "BAT")
    # when the same payloads arrive at both
    for passes in SCENARIOS[name]:
        payloads = [_payload(external_order, "ORD1", status, minutes, extra) for status, minutes, extra in passes]
        for payload in payloads:
            order_upsert_external(channel_id=single.id, external=payload)
        result = orders_upsert_external_batch(channel_id=batched.id, externals=payloads)
        assert not result.errors and not result.fell_back
    # then both orders have the same state, timeline and stock movements
    one, two = Order.objects.get(channel=single), Order.objects.get(channel=batched)
    assert _state(two) == _state(one)
    assert _timeline(two) == _timeline(one)

    def moves(order):
        return list(StockMovement.objects.filter(reference=f"order:{order.id}").order_by("id")
                    .values_list("kind", "on_hand_change", "reserved_change"))

    assert moves(two) == moves(one)
    assert list(two.lines.values_list("sku", "quantity", "stock_reserved")) == list(
        one.lines.values_list("sku", "quantity", "stock_reserved"))


def test_five_duplicate_pushes_in_one_batch_make_one_order_and_one_reservation(
    shopee_channel, external_order, make_variant, stock_of
):
    kaos = make_variant("KAOS-L", stock=10)
    payload = external_order("READY_TO_SHIP")
    result = orders_upsert_external_batch(channel_id=shopee_channel.id, externals=[payload] * 5)
    # and five more batches of it later
    for _ in range(5):
        orders_upsert_external_batch(channel_id=shopee_channel.id, externals=[payload])
    order = Order.objects.get()
    assert result.order_ids == {payload.external_id: order.id}
    assert StockMovement.objects.filter(reference=f"order:{order.id}", kind="reserve").count() == 1
    assert stock_of(kaos) == (10, 2)
    assert [e[0] for e in _timeline(order)] == ["created", "status_changed"]


def test_out_of_order_payloads_of_one_order_in_one_batch_apply_the_latest(shopee_channel, external_order,
                                                                           make_variant, stock_of):
    kaos = make_variant("KAOS-L", stock=10)
    orders_upsert_external_batch(channel_id=shopee_channel.id, externals=[external_order("READY_TO_SHIP")])
    # the latest status arrives before an older one in the same batch
    orders_upsert_external_batch(channel_id=shopee_channel.id, externals=[
        external_order("SHIPPED", minutes=20), external_order("PROCESSED", minutes=10),
    ])
    # and the older one again on its own later: recorded, not applied
    orders_upsert_external_batch(channel_id=shopee_channel.id, externals=[external_order("PROCESSED", minutes=10)])
    order = Order.objects.get()
    assert order.status == S.SHIPPED
    assert [e[2] for e in _timeline(order) if e[0] == "status_changed"] == ["paid", "processing", "packed", "shipped"]
    assert order.events.filter(kind="marketplace_status", data__stale=True).count() == 1
    assert stock_of(kaos) == (8, 0)


def test_a_failing_order_does_not_lose_the_others_of_its_batch(shopee_channel, external_order, make_variant,
                                                                monkeypatch):
    make_variant("KAOS-L", stock=10)
    real = external_module.customer_for_contact

    def customer_for_contact(*, name, **kwargs):
        if name == "Broken":
            raise RuntimeError("broken payload")
        return real(name=name, **kwargs)

    # the batch path and the per-order fallback both meet the broken buyer
    monkeypatch.setattr(external_module, "customer_for_contact", customer_for_contact)
    orders_upsert_external_batch(channel_id=shopee_channel.id, externals=[external_order("READY_TO_SHIP",
                                                                                         external_id="OLD")])
    payloads = [
        external_order("READY_TO_SHIP", external_id="GOOD1"),
        external_order("READY_TO_SHIP", external_id="BAD", buyer_name="Broken"),
        external_order("SHIPPED", minutes=5, external_id="OLD"),
        external_order("READY_TO_SHIP", external_id="GOOD2"),
    ]

    result = orders_upsert_external_batch(channel_id=shopee_channel.id, externals=payloads)

    assert result.fell_back
    assert list(result.errors) == ["BAD"] and "broken payload" in str(result.errors["BAD"])
    assert sorted(Order.objects.values_list("external_id", "status")) == [
        ("GOOD1", S.PAID), ("GOOD2", S.PAID), ("OLD", S.SHIPPED)]


def test_status_changes_of_a_batch_cost_a_fixed_number_of_statements(shopee_channel, external_order, make_variant,
                                                                      django_assert_max_num_queries):
    make_variant("KAOS-L", stock=1_000)
    ids = [f"N{n:03d}" for n in range(60)]
    orders_upsert_external_batch(channel_id=shopee_channel.id,
                                 externals=[external_order("READY_TO_SHIP", external_id=i) for i in ids])
    # 60 orders paid -> packed (two steps, two events each): channel, order locks, one UPDATE, one
    # event INSERT, notifications' and payments' batch hooks (and a savepoint)
    with django_assert_max_num_queries(8):
        result = orders_upsert_external_batch(channel_id=shopee_channel.id, externals=[
            external_order("PROCESSED", minutes=5, external_id=i) for i in ids])
    assert not result.fell_back
    assert Order.objects.filter(status=S.PACKED).count() == 60
    assert Order.objects.get(external_id="N000").events.filter(kind="status_changed").count() == 3


def test_new_orders_of_a_batch_cost_a_bounded_number_of_statements_each(shopee_channel, external_order,
                                                                         make_variant, django_assert_max_num_queries):
    make_variant("KAOS-L", stock=1_000)
    n = 40
    # per order today: order INSERT, stock reservation (4 with its savepoint), lines INSERT, created
    # event INSERT, payments' order-created hook (3); the rest is per batch
    with django_assert_max_num_queries(11 * n + 15):
        result = orders_upsert_external_batch(
            channel_id=shopee_channel.id,
            externals=[external_order("READY_TO_SHIP", external_id=f"C{k:03d}") for k in range(n)])
    assert not result.fell_back and len(result.order_ids) == n
    assert Order.objects.filter(status=S.PAID).count() == n
    # the number is final at once (the id came from the sequence)
    order = Order.objects.get(external_id="C000")
    assert order.number.endswith(f"{order.id:06d}")


def test_marketplace_orders_of_a_batch_queue_no_notification_triggers(shopee_channel, external_order, make_variant):
    make_variant("KAOS-L", stock=10)
    orders_upsert_external_batch(channel_id=shopee_channel.id, externals=[external_order("READY_TO_SHIP")])
    assert not NotificationTrigger.objects.exists()
    assert not Notification.objects.exists()


def test_batch_hooks_call_apps_without_a_twin_once_per_change(monkeypatch):
    # given an app that registered only a per-change hook, and one with a batch variant
    seen: list = []
    batches: list = []

    def single(change):
        seen.append(change.order_id)

    def per_change(change):  # never called by the batch runner: its batch variant is
        raise AssertionError("the batch variant should have run")

    def twin(changes):
        batches.append([c.order_id for c in changes])

    monkeypatch.setattr(hooks, "_status_changed", [])
    hooks.register_status_changed(single)
    hooks.register_status_changed(per_change, batch=twin)
    changes = [hooks.StatusChange(order_id=n, from_status="paid", to_status="processing", event_id=n, source="x")
               for n in (1, 2, 3)]
    hooks.run_status_changed_batch(changes)
    assert seen == [1, 2, 3]
    assert batches == [[1, 2, 3]]


def test_a_batch_cancellation_expires_the_orders_open_payment(shopee_channel, external_order, make_variant,
                                                              stock_of):
    kaos = make_variant("KAOS-L", stock=10)
    orders_upsert_external_batch(channel_id=shopee_channel.id, externals=[external_order("READY_TO_SHIP")])
    order = Order.objects.get()
    assert Payment.objects.filter(order=order, status=PaymentStatus.PENDING).count() == 1
    orders_upsert_external_batch(channel_id=shopee_channel.id, externals=[external_order("CANCELLED", minutes=5)])
    order.refresh_from_db()
    assert order.status == S.CANCELLED and order.cancel_reason == "Cancelled on the marketplace"
    assert not Payment.objects.filter(order=order, status=PaymentStatus.PENDING).exists()
    assert stock_of(kaos) == (10, 0)


@pytest.mark.django_db(transaction=True)
def test_concurrent_batches_with_the_same_new_orders_make_each_order_once(shopee_channel, external_order,
                                                                         make_variant, stock_of):
    kaos = make_variant("KAOS-L", stock=100)
    payloads = [external_order("READY_TO_SHIP", external_id=f"R{n}") for n in range(10)]
    results = race(4, lambda: orders_upsert_external_batch(channel_id=shopee_channel.id, externals=payloads))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert not [r.errors for r in results if r.errors]
    assert Order.objects.count() == 10
    assert StockMovement.objects.filter(kind="reserve").count() == 10
    assert stock_of(kaos) == (100, 20)


@pytest.mark.django_db(transaction=True)
def test_a_batch_its_caller_flushes_commits_without_changing_the_session(shopee_channel, external_order,
                                                                        make_variant):
    make_variant("KAOS-L", stock=10)
    result = orders_upsert_external_batch(channel_id=shopee_channel.id, externals=[external_order("READY_TO_SHIP")],
                                          flushed_by_caller=True)
    assert not result.errors and not result.fell_back
    assert Order.objects.get().status == S.PAID
    with connection.cursor() as cursor:  # SET LOCAL ended with the batch's transaction
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"
