"""Order creation, customers and every transition service."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from catalog.errors import OutOfStock
from catalog.models import StockMovement
from core.errors import Conflict, InvalidTransition
from orders import hooks
from orders.models import Customer, Order, OrderEvent, OrderStatus
from orders.services import (
    AddressInput,
    CustomerInput,
    LineInput,
    customer_get_or_create,
    order_add_note,
    order_cancel,
    order_complete,
    order_confirm,
    order_create,
    order_expire,
    order_mark_delivered,
    order_mark_packed,
    order_mark_paid,
    order_mark_shipped,
    order_set_tags,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


# --- customers ----------------------------------------------------------------------------------


def test_customer_is_found_by_phone_in_any_format():
    first = customer_get_or_create(customer=CustomerInput(name="Budi", phone="0812-3456-7890"))
    again = customer_get_or_create(customer=CustomerInput(name="Budi S.", phone="+62 812 3456 7890"))
    assert again.pk == first.pk
    assert first.phone == "+6281234567890"


def test_customer_is_found_by_email_and_gets_the_missing_phone():
    first = customer_get_or_create(customer=CustomerInput(name="Ayu", email="Ayu@Example.id"))
    again = customer_get_or_create(customer=CustomerInput(name="Ayu", phone="081398765432", email="ayu@example.id"))
    assert again.pk == first.pk
    first.refresh_from_db()
    assert first.phone == "+6281398765432"


def test_customer_with_a_bad_phone_is_refused_with_the_field():
    with pytest.raises(ValidationError) as exc:
        customer_get_or_create(customer=CustomerInput(name="X", phone="12"))
    assert "phone" in exc.value.message_dict


def test_customer_needs_a_phone_or_an_email():
    with pytest.raises(ValidationError) as exc:
        customer_get_or_create(customer=CustomerInput(name="X"))
    assert "phone" in exc.value.message_dict
    assert Customer.objects.count() == 0


# --- order_create -------------------------------------------------------------------------------


def test_create_order_reserves_stock_writes_event_and_numbers_it(web_channel, buyer, make_variant, stock_of):
    # given two products in stock
    kaos = make_variant("KAOS-L", price=85_000, stock=10)
    topi = make_variant("TOPI", price=40_000, stock=5)
    # when an order is created
    order = order_create(
        channel_id=web_channel.id,
        lines=[LineInput(sku="KAOS-L", quantity=2, discount_amount=5_000), LineInput(variant_id=topi.id, quantity=1)],
        customer=buyer,
        shipping=AddressInput(name="Budi", phone="0812-3456-7890", address="Jl. Mawar 1", city="Jakarta",
                              postal_code="12345"),
        shipping_amount=15_000,
        discount_amount=10_000,
        tags=["VIP", "vip", " Reseller "],
    )
    # then totals, number, stock, event and tags are right
    order.refresh_from_db()
    assert order.subtotal_amount == 2 * 85_000 - 5_000 + 40_000
    assert order.total_amount == order.subtotal_amount + 15_000 - 10_000
    assert order.number == f"WEB-{timezone.localtime(order.placed_at):%y%m%d}-{order.id:06d}"
    assert order.status == OrderStatus.AWAITING_PAYMENT
    assert order.payment_due_at is not None
    assert order.tags == ["vip", "reseller"]
    assert order.shipping_phone == "+6281234567890"
    assert stock_of(kaos) == (10, 2) and stock_of(topi) == (5, 1)
    assert all(line.stock_reserved for line in order.lines.all())
    assert StockMovement.objects.filter(reference=f"order:{order.id}", kind="reserve").count() == 2
    assert list(order.events.values_list("kind", flat=True)) == ["created"]


def test_create_order_uses_the_channel_listing_price(web_channel, buyer, make_variant):
    from catalog.models import ChannelListing

    kaos = make_variant("KAOS-L", price=85_000)
    ChannelListing.objects.create(channel=web_channel, variant=kaos, price_amount=79_000)
    order = order_create(channel_id=web_channel.id, lines=[LineInput(sku="KAOS-L", quantity=1)], customer=buyer)
    assert order.lines.get().unit_price_amount == 79_000


def test_create_order_out_of_stock_writes_nothing(web_channel, buyer, make_variant, stock_of):
    kaos = make_variant("KAOS-L", stock=1)
    with pytest.raises(OutOfStock):
        order_create(channel_id=web_channel.id, lines=[LineInput(sku="KAOS-L", quantity=3)], customer=buyer)
    assert Order.objects.count() == 0 and Customer.objects.count() == 0
    assert stock_of(kaos) == (1, 0)


def test_create_order_with_unknown_sku_names_the_line(web_channel, buyer, make_variant):
    make_variant("KAOS-L")
    with pytest.raises(ValidationError) as exc:
        order_create(channel_id=web_channel.id, lines=[LineInput(sku="KAOS-L", quantity=1),
                                                       LineInput(sku="NOPE", quantity=1)], customer=buyer)
    assert "Line 2" in exc.value.message_dict["lines"][0]
    assert Order.objects.count() == 0


def test_create_order_runs_the_created_hook_inside_the_transaction(place_order, monkeypatch):
    seen = []
    monkeypatch.setattr(hooks, "_created", [])
    hooks.register_order_created(lambda order_id: seen.append(Order.objects.get(pk=order_id).number))
    order = place_order()
    assert seen == [order.number]


def test_create_order_with_a_reused_external_id_is_a_conflict(place_order):
    place_order(external_id="WEB-1001")
    with pytest.raises(Conflict):
        place_order(external_id="WEB-1001")


def test_cod_order_has_no_payment_deadline(place_order):
    assert place_order(payment_method="cod").payment_due_at is None


# --- transitions --------------------------------------------------------------------------------


def test_happy_path_walks_every_status_and_commits_stock(place_order, stock_of, owner):
    order = place_order(qty=2)
    variant = order.lines.get().variant
    order_mark_paid(order_id=order.id, actor=owner)
    order_confirm(order_id=order.id, actor=owner)
    order_mark_packed(order_id=order.id, actor=owner)
    order_mark_shipped(order_id=order.id, actor=owner, courier="JNE", tracking_number="JNE123")
    assert stock_of(variant) == (8, 0)
    order_mark_delivered(order_id=order.id, source="courier")
    order = order_complete(order_id=order.id, source="system")
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    assert order.courier == "JNE" and order.tracking_number == "JNE123"
    assert order.paid_at and order.shipped_at and order.delivered_at and order.completed_at
    events = list(order.events.filter(kind="status_changed").values_list("from_status", "to_status", "source"))
    assert events == [
        ("awaiting_payment", "paid", "staff"),
        ("paid", "processing", "staff"),
        ("processing", "packed", "staff"),
        ("packed", "shipped", "staff"),
        ("shipped", "delivered", "courier"),
        ("delivered", "completed", "system"),
    ]
    assert order.events.filter(kind="status_changed", actor=owner).count() == 4


def test_transition_to_the_same_status_is_a_no_op(place_order):
    order = place_order()
    order_mark_paid(order_id=order.id)
    order_mark_paid(order_id=order.id)
    assert order.events.filter(kind="status_changed").count() == 1


def test_disallowed_transition_raises_and_changes_nothing(place_order):
    order = place_order()
    with pytest.raises(InvalidTransition):
        order_mark_packed(order_id=order.id)
    with pytest.raises(InvalidTransition):
        order_confirm(order_id=order.id)  # not paid and not COD
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_PAYMENT


def test_cod_order_is_confirmed_before_payment(place_order):
    order = order_confirm(order_id=place_order(payment_method="cod").id)
    assert order.status == OrderStatus.PROCESSING


def test_confirm_does_not_move_a_packed_order_back(place_order):
    order = place_order(payment_method="cod")
    order_confirm(order_id=order.id)
    order_mark_packed(order_id=order.id)
    with pytest.raises(InvalidTransition):
        order_confirm(order_id=order.id)


def test_cancel_releases_reserved_stock_and_keeps_the_reason(place_order, stock_of):
    order = place_order(qty=3)
    variant = order.lines.get().variant
    order_cancel(order_id=order.id, reason="Buyer changed their mind")
    order_cancel(order_id=order.id, reason="again")  # idempotent
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED and order.cancel_reason == "Buyer changed their mind"
    assert stock_of(variant) == (10, 0)
    assert order.events.filter(kind="status_changed", to_status="cancelled").count() == 1


def test_cancel_needs_a_reason(place_order):
    with pytest.raises(ValidationError):
        order_cancel(order_id=place_order().id, reason=" ")


def test_shipped_order_cannot_be_cancelled(place_order):
    order = place_order(payment_method="cod")
    order_confirm(order_id=order.id)
    order_mark_packed(order_id=order.id)
    order_mark_shipped(order_id=order.id)
    with pytest.raises(InvalidTransition):
        order_cancel(order_id=order.id, reason="late")


def test_status_changed_hook_gets_every_transition(place_order, monkeypatch):
    changes = []
    monkeypatch.setattr(hooks, "_status_changed", [])
    hooks.register_status_changed(changes.append)
    order = place_order()
    order_mark_paid(order_id=order.id, source="gateway")
    assert len(changes) == 1
    change = changes[0]
    assert (change.order_id, change.from_status, change.to_status, change.source) == (
        order.id, "awaiting_payment", "paid", "gateway")
    assert OrderEvent.objects.get(pk=change.event_id).to_status == "paid"


def test_expire_cancels_an_unpaid_order_past_its_deadline(place_order, stock_of):
    order = place_order()
    variant = order.lines.get().variant
    Order.objects.filter(pk=order.pk).update(payment_due_at=timezone.now() - timedelta(minutes=1))
    order_expire(order_id=order.id)
    order_expire(order_id=order.id)
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED and order.cancel_reason == "payment_expired"
    assert stock_of(variant) == (10, 0)


def test_expire_leaves_paid_and_not_yet_due_orders_alone(place_order):
    due_later = place_order()
    paid = place_order()
    Order.objects.filter(pk=paid.pk).update(payment_due_at=timezone.now() - timedelta(minutes=1))
    order_mark_paid(order_id=paid.id)
    assert order_expire(order_id=due_later.id).status == OrderStatus.AWAITING_PAYMENT
    assert order_expire(order_id=paid.id).status == OrderStatus.PAID


def test_expire_sweep_task_cancels_due_orders(place_order):
    from orders.tasks import orders_expire_sweep

    due = place_order()
    fresh = place_order()
    Order.objects.filter(pk=due.pk).update(payment_due_at=timezone.now() - timedelta(minutes=20))
    assert orders_expire_sweep.delay().get() == 1
    assert Order.objects.get(pk=due.pk).status == OrderStatus.CANCELLED
    assert Order.objects.get(pk=fresh.pk).status == OrderStatus.AWAITING_PAYMENT


def test_notes_and_tags_are_recorded_on_the_timeline(place_order, owner):
    order = place_order()
    order_add_note(order_id=order.id, actor=owner, note="Bungkus kado")
    order_set_tags(order_id=order.id, actor=owner, tags=["Gift", "gift", "urgent"])
    order_set_tags(order_id=order.id, actor=owner, tags=["gift", "urgent"])  # unchanged: no event
    order.refresh_from_db()
    assert order.tags == ["gift", "urgent"]
    assert list(order.events.values_list("kind", flat=True)) == ["created", "note", "tags_changed"]
    with pytest.raises(ValidationError):
        order_add_note(order_id=order.id, note="  ")


def test_cod_payment_after_delivery_is_stamped_without_moving_the_order(place_order):
    order = place_order(payment_method="cod")
    order_confirm(order_id=order.id)
    order_mark_packed(order_id=order.id)
    order_mark_shipped(order_id=order.id)
    order_mark_delivered(order_id=order.id)
    order = order_mark_paid(order_id=order.id, source="gateway")
    order_mark_paid(order_id=order.id, source="gateway")
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED and order.paid_at is not None
    assert order.events.filter(kind="payment_received").count() == 1


def test_paying_a_cancelled_order_is_refused(place_order):
    order = place_order()
    order_cancel(order_id=order.id, reason="x")
    with pytest.raises(InvalidTransition):
        order_mark_paid(order_id=order.id)


def test_sweep_leaves_orders_just_past_their_deadline_for_a_grace_period(place_order):
    from orders.tasks import orders_expire_sweep

    just_due = place_order()
    Order.objects.filter(pk=just_due.pk).update(payment_due_at=timezone.now() - timedelta(minutes=1))
    assert orders_expire_sweep.delay().get() == 0


def test_an_expiry_guard_keeps_an_order_with_money_received(place_order, monkeypatch):
    order = place_order()
    Order.objects.filter(pk=order.pk).update(payment_due_at=timezone.now() - timedelta(hours=1))
    monkeypatch.setattr(hooks, "_expiry_guards", [lambda order_id: "partial transfer needs review"])
    assert order_expire(order_id=order.id).status == OrderStatus.AWAITING_PAYMENT
    monkeypatch.setattr(hooks, "_expiry_guards", [lambda order_id: None])
    assert order_expire(order_id=order.id).status == OrderStatus.CANCELLED


def test_order_number_fits_with_a_long_channel_code(buyer, make_variant):
    from tests.factories import ChannelFactory

    channel = ChannelFactory(code="rumah-kita-official-store-jakarta-2026")
    make_variant("KAOS-L")
    order = order_create(channel_id=channel.id, lines=[LineInput(sku="KAOS-L", quantity=1)], customer=buyer)
    order.refresh_from_db()
    assert order.number.startswith("RUMAH-KITA-OFFICIAL-") and len(order.number) <= 40
