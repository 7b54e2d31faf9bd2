"""Refunds: money given back on a payment, full or partial, with its journal entry."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from core.errors import DomainError
from core.money import format_idr
from payments.models import PaymentStatus
from payments.services import journal
from payments.services.transitions import PaymentPlan, _check, _local_today, _lock, payments_write


def refund_create(*, payment_id: int, amount: int, reason: str, kind: str = "other", reference: str = "", actor=None,
        source: str = "staff"):
    """Give money back on a payment (full or partial): paid/partially_refunded -> partially_refunded
    or refunded; needs_review -> refunded, in full only. Written by `payments_write` (status, event,
    refund posting; the order follows after commit)."""
    from payments.models import Refund

    reason = (reason or "").strip()
    if not reason:
        raise DomainError("A refund needs a reason.", detail={"reason": "required"})
    if kind not in Refund.Kind.values:
        raise DomainError(f"Unknown refund kind {kind!r}.", detail={"kind": kind})
    if amount <= 0:
        raise DomainError("The refund amount must be positive.", detail={"amount": amount})
    with transaction.atomic():
        payment = _lock(payment_id)
        refundable = payment.received_amount - payment.refunded_amount
        if amount > refundable:
            raise DomainError(
                f"At most {format_idr(refundable)} can be refunded on {payment.reference}.",
                detail={"amount": amount, "refundable": refundable},
            )
        new_refunded = payment.refunded_amount + amount
        target = PaymentStatus.REFUNDED if new_refunded == payment.received_amount else PaymentStatus.PARTIALLY_REFUNDED
        if payment.status == PaymentStatus.NEEDS_REVIEW and target != PaymentStatus.REFUNDED:
            raise DomainError("A payment under review can only be refunded in full.")
        _check(payment, target)
        refund = Refund.objects.create(
            payment=payment, order_id=payment.order_id, amount=amount, kind=kind, reason=reason,
            reference=reference, created_by=actor if getattr(actor, "pk", None) else None,
        )
        now = timezone.now()
        event = journal.Event(payment.pk, "refunded", payment.status, target, getattr(actor, "pk", None), source,
                              reason, {"refund_id": refund.pk, "amount": amount, "kind": kind, "reference": reference})
        posting = journal.refund_posting(
            payment=payment, key=f"refund:{refund.pk}", booked_on=_local_today(now), amount=amount, actor=actor,
            description=f"Refund ({kind}) on {payment.reference}: {reason}"[:255])
        payment.refunded_amount, payment.status, payment.updated_at = new_refunded, target, now
        payments_write([PaymentPlan(payment=payment, fields=("refunded_amount", "status", "updated_at"), event=event,
                                    postings=(posting,))])
    return refund
