"""Orders and payments for payment tests, created directly (fast, no stock involved)."""

from __future__ import annotations

import itertools
from datetime import timedelta

from django.utils import timezone

from channels.models import Channel
from orders.models import Order, OrderStatus
from tests.factories import ChannelFactory, CustomerFactory

_numbers = itertools.count(1)


def make_order(
    *,
    total: int = 125_000,
    method: str = "bank_transfer",
    channel: Channel | None = None,
    status: str = OrderStatus.AWAITING_PAYMENT,
    due_in: timedelta | None = timedelta(hours=24),
    courier: str = "",
    placed_at=None,
) -> Order:
    now = timezone.now()
    return Order.objects.create(
        channel=channel or ChannelFactory(code="web", name="Website"),
        number=f"ORD-T{next(_numbers):06d}",
        customer=CustomerFactory(),
        status=status,
        placed_at=placed_at or now,
        subtotal_amount=total,
        total_amount=total,
        payment_method=method,
        payment_due_at=(now + due_in) if due_in is not None else None,
        courier=courier,
    )


def marketplace_channel(kind: str = Channel.Kind.SHOPEE, code: str = "shopee1") -> Channel:
    return ChannelFactory(kind=kind, code=code, name=f"Shop {code}", commission_percent="5.00",
                          fixed_fee_amount=1000)
