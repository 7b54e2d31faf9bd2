"""End to end with the real order services: each customer-visible step messages the customer once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail

from catalog.services import stock_receive
from channels.models import Channel
from notifications.models import Notification, NotificationTrigger
from notifications.services import notification_sweep
from orders.models import Order
from orders.services import CustomerInput, LineInput, order_cancel, order_create, order_mark_paid
from orders.services.lifecycle import order_confirm, order_mark_delivered, order_mark_packed, order_mark_shipped
from tests.factories import ChannelFactory
from tests.orders.factories import VariantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def web_order(django_capture_on_commit_callbacks):
    channel = ChannelFactory(kind=Channel.Kind.WEBSITE, name="Website", code="WEB")
    variant = VariantFactory(sku="BTK-PRG-L", price_amount=325_000)
    stock_receive(variant_id=variant.id, quantity=10, reason="test stock")
    with django_capture_on_commit_callbacks(execute=True):
        return order_create(
            channel_id=channel.id, lines=[LineInput(sku="BTK-PRG-L", quantity=2)],
            customer=CustomerInput(name="Budi Santoso", phone="0812-3456-7890", email="budi@example.id"),
            shipping_amount=18_000,
        )


def events_sent(order) -> list[tuple[str, str]]:
    return list(
        Notification.objects.filter(order=order, status=Notification.Status.SENT)
        .order_by("id").values_list("event", "channel")
    )


def test_creating_an_order_confirms_it_to_the_customer(web_order):
    assert events_sent(web_order) == [("order_confirmation", "email"), ("order_confirmation", "whatsapp")]
    assert not NotificationTrigger.objects.exists()
    [email] = mail.outbox
    assert email.to == ["budi@example.id"]
    assert "Total pembayaran: Rp 668.000" in email.body
    assert Notification.objects.get(order=web_order, channel="whatsapp").recipient == "+6281234567890"


def test_a_broker_outage_after_the_commit_keeps_the_order_and_the_confirmation(
    django_capture_on_commit_callbacks, monkeypatch
):
    # given the broker refuses the confirmation task when the order commits
    def broker_down(*args, **kwargs):
        raise ConnectionError("redis is away")

    monkeypatch.setattr("notifications.tasks.notification_triggers_drain_task.delay", broker_down)
    channel = ChannelFactory(kind=Channel.Kind.WEBSITE, name="Website", code="WEB")
    variant = VariantFactory(sku="BTK-PRG-L", price_amount=325_000)
    stock_receive(variant_id=variant.id, quantity=10, reason="test stock")

    # when an order is created
    with django_capture_on_commit_callbacks(execute=True):
        order = order_create(
            channel_id=channel.id, lines=[LineInput(sku="BTK-PRG-L", quantity=1)],
            customer=CustomerInput(name="Budi Santoso", phone="0812-3456-7890"), payment_method="cod",
        )

    # then the order stands and its confirmation waits as a trigger for the sweep
    assert Order.objects.filter(pk=order.pk).exists()
    assert not Notification.objects.filter(order=order).exists()
    trigger = NotificationTrigger.objects.get(order=order)
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        notification_sweep(stale_after=timedelta(0))
    trigger_gone = not NotificationTrigger.objects.filter(pk=trigger.pk).exists()
    assert trigger_gone and events_sent(order) == [("order_confirmation", "whatsapp")]


def test_the_whole_lifecycle_sends_one_message_per_visible_step(web_order, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        order_mark_paid(order_id=web_order.id)
    with django_capture_on_commit_callbacks(execute=True):
        order_mark_paid(order_id=web_order.id)  # a gateway callback delivered twice
    with django_capture_on_commit_callbacks(execute=True):
        order_confirm(order_id=web_order.id)
    with django_capture_on_commit_callbacks(execute=True):
        order_mark_packed(order_id=web_order.id)
    with django_capture_on_commit_callbacks(execute=True):
        order_mark_shipped(order_id=web_order.id, courier="JNE REG", tracking_number="JNE0123456789")
    with django_capture_on_commit_callbacks(execute=True):
        order_mark_delivered(order_id=web_order.id)

    assert [event for event, channel in events_sent(web_order) if channel == "email"] == [
        "order_confirmation", "order_paid", "order_processing", "order_shipped", "order_delivered",
    ]
    shipped = mail.outbox[3]
    assert "JNE REG" in shipped.body and "Nomor resi: JNE0123456789" in shipped.body


def test_cancelling_an_order_tells_the_customer(web_order, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order_id=web_order.id, reason="Customer asked")

    assert ("order_cancelled", "email") in events_sent(web_order)
    assert mail.outbox[-1].subject == f"Pesanan {web_order.number} dibatalkan"


def test_the_confirmation_carries_the_exact_transfer_amount_and_the_shops_accounts(
    django_capture_on_commit_callbacks, settings
):
    import json

    from payments.models import BankAccount, Payment

    BankAccount.objects.create(bank="BCA", account_number="8800123456", holder_name="PT Batik Sari")
    channel = ChannelFactory(kind=Channel.Kind.WEBSITE, name="Website", code="WEB")
    variant = VariantFactory(sku="KOPI-250", price_amount=200_000)
    stock_receive(variant_id=variant.id, quantity=5, reason="test stock")

    with django_capture_on_commit_callbacks(execute=True):
        order = order_create(
            channel_id=channel.id, lines=[LineInput(sku="KOPI-250", quantity=1)],
            customer=CustomerInput(name="Sari", phone="0813-1111-2222"), payment_method="bank_transfer",
        )

    payment = Payment.objects.get(order=order)
    [line] = (settings.NOTIFY_FILE_DIR / "whatsapp.jsonl").read_text().splitlines()
    body = json.loads(line)["body"]
    assert f"Transfer tepat Rp {payment.amount:,}".replace(",", ".") in body
    if payment.unique_code:
        assert f"kode unik {payment.unique_code}" in body
    assert "- BCA 8800123456 a.n. PT Batik Sari" in body
    assert "Batas pembayaran:" in body


def test_status_messages_do_not_look_up_payments(web_order, django_capture_on_commit_callbacks, monkeypatch):
    calls = []
    monkeypatch.setattr("payments.selectors.payment_instructions_for_order", lambda **kw: calls.append(kw))

    with django_capture_on_commit_callbacks(execute=False):
        order_mark_paid(order_id=web_order.id)

    assert calls == []
