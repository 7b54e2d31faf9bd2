"""Refunds: money given back on a payment, full or partial, with its journal entry."""

from __future__ import annotations

from django.db import transaction

from core.errors import DomainError
from payments.models import PaymentStatus
from payments.services import journal
from payments.services.transitions import _check, _local_today, _lock, _schedule_order_sync, payment_event_write


def refund_create(*, payment_id: int, amount: int, reason: str, kind: str = "other", reference: str = "", actor=None,
        source: str = "staff"):
    """Give money back on a payment (full or partial): paid/partially_refunded -> partially_refunded
    or refunded; needs_review -> refunded, in full only."""
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
                f"At most Rp {refundable} can be refunded on {payment.reference}.",
                detail={"amount": amount, "refundable": refundable},
            )
        new_refunded = payment.refunded_amount + amount
        target = PaymentStatus.REFUNDED if new_refunded == payment.received_amount else PaymentStatus.PARTIALLY_REFUNDED
        if payment.status == PaymentStatus.NEEDS_REVIEW and target != PaymentStatus.REFUNDED:
            raise DomainError("A payment under review can only be refunded in full.")
        _check(payment, target)
        old = payment.status
        refund = Refund.objects.create(
            payment=payment, order_id=payment.order_id, amount=amount, kind=kind, reason=reason,
            reference=reference, created_by=actor if getattr(actor, "pk", None) else None,
        )
        journal.post_refund(payment=payment, key=f"refund:{refund.pk}", booked_on=_local_today(), amount=amount,
                            actor=actor, description=f"Refund ({kind}) on {payment.reference}: {reason}"[:255])
        payment.refunded_amount = new_refunded
        payment.status = target
        payment.save(update_fields=["refunded_amount", "status", "updated_at"])
        payment_event_write(payment, "refunded", old, target, actor=actor, source=source, note=reason,
               data={"refund_id": refund.pk, "amount": amount, "kind": kind, "reference": reference})
        _schedule_order_sync(payment.order_id)
    return refund
