"""The order's payment state, derived from its payments and refunds by a pure function."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from payments.models import OrderPaymentState


@dataclass(frozen=True)
class PaymentFigures:
    status: str
    amount: int
    received_amount: int
    refunded_amount: int
    # The part of refunded_amount that gave back money paid on top of what was due (an overpayment):
    # it lowers what was received but, unlike a refund for a cancelled item, not what is owed.
    overpayment_refunded_amount: int = 0


def derive_order_payment_state(*, expected_amount: int, payments: Iterable[PaymentFigures]) -> str:
    """unpaid / partially_paid / paid / overpaid / refunded from what was received and refunded.

    A refund lowers what the customer still owes (a partial refund of a paid order leaves it
    paid); when everything received has been given back, the order is refunded. Giving back an
    overpayment lowers only what was received.
    """
    received = 0
    refunded = 0
    overpayment = 0
    for p in payments:
        received += p.received_amount
        refunded += p.refunded_amount
        overpayment += p.overpayment_refunded_amount
    net = received - refunded
    if refunded and net <= 0:
        return OrderPaymentState.REFUNDED
    if net <= 0:
        return OrderPaymentState.UNPAID
    owed = max(expected_amount - (refunded - overpayment), 0)
    if net < owed:
        return OrderPaymentState.PARTIALLY_PAID
    if net == owed:
        return OrderPaymentState.PAID
    return OrderPaymentState.OVERPAID
