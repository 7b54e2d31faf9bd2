"""Payment gateway notifications (Midtrans, Xendit): core.inbox verifies and stores the raw delivery
and answers at once; `gateway_delivery_process` (a task) maps the provider's status to our payment
services. A status that would move a payment backwards is recorded as an event and changes nothing."""

from __future__ import annotations

import hashlib
import json
import logging
from decimal import Decimal, InvalidOperation

from core import inbox
from core.errors import DomainError
from core.money import format_idr, round_idr
from core.untrusted import signature_matches
from payments.models import GATEWAY_METHODS, RECEIVED_STATUSES, Payment, PaymentStatus
from payments.services import transitions
from payments.services.refunds import refund_create

logger = logging.getLogger(__name__)

MIDTRANS = "midtrans"
XENDIT = "xendit"


def midtrans_signature(*, order_id: str, status_code: str, gross_amount: str, server_key: str) -> str:
    """Lowercase hex SHA-512 of order_id + status_code + gross_amount + server_key (as sent)."""
    return hashlib.sha512(f"{order_id}{status_code}{gross_amount}{server_key}".encode()).hexdigest()


def midtrans_verify(payload: dict, *, server_key: str) -> bool:
    if not server_key:
        return False
    given = payload.get("signature_key")
    if not isinstance(given, str):
        return False
    fields = [payload.get("order_id"), payload.get("status_code"), payload.get("gross_amount")]
    if not all(isinstance(f, str | int) and not isinstance(f, bool) for f in fields):
        return False
    try:
        expected = midtrans_signature(
            order_id=str(fields[0]), status_code=str(fields[1]), gross_amount=str(fields[2]), server_key=server_key
        )
    except UnicodeEncodeError:  # a lone surrogate: nothing Midtrans could have signed
        return False
    return signature_matches(expected, given.lower())


def xendit_verify(token: str | None, *, expected: str) -> bool:
    if not expected or not token:
        return False
    return signature_matches(expected, token)


def _to_rupiah(value) -> int | None:
    if value is None or value == "":
        return None
    try:
        return round_idr(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return None


def _find_payment(reference: str) -> Payment | None:
    """A gateway's order id is our payment reference; an order number also finds its latest gateway payment."""
    if not reference:
        return None
    # A Snap page asked again after a lost answer carries "<reference>~<attempt>" (services.checkout).
    reference = reference.split("~", 1)[0]
    payment = Payment.objects.filter(reference=reference).first()
    if payment is not None:
        return payment
    return (
        Payment.objects.filter(order__number=reference, method__in=list(GATEWAY_METHODS))
        .order_by("-created_at", "-id")
        .first()
    )


def gateway_delivery_process(*, delivery_id: int) -> None:
    """Apply one stored delivery; claimed through core.inbox so it runs once."""
    delivery = inbox.delivery_claim(delivery_id=delivery_id)
    if delivery is None:
        return
    try:
        payload = json.loads(bytes(delivery.body))
        if delivery.provider == MIDTRANS:
            _apply_midtrans(payload)
        elif delivery.provider == XENDIT:
            _apply_xendit(payload)
        else:
            raise DomainError(f"unknown provider {delivery.provider}")
    except (DomainError, ValueError) as exc:
        inbox.delivery_finish(delivery_id=delivery_id, error=str(exc))
        return
    except Exception as exc:
        inbox.delivery_release(delivery_id=delivery_id, error=f"{type(exc).__name__}: {exc}")
        raise
    inbox.delivery_finish(delivery_id=delivery_id)


MIDTRANS_PAID = {"settlement"}
MIDTRANS_FAILED = {"deny", "cancel", "failure"}


def _midtrans_target(transaction_status: str, fraud_status: str) -> str | None:
    """Our target status for a Midtrans notification, or None for 'nothing to do'."""
    if transaction_status in MIDTRANS_PAID or (transaction_status == "capture" and fraud_status in ("accept", "")):
        return PaymentStatus.PAID
    if transaction_status == "challenge" or (transaction_status == "capture" and fraud_status == "challenge"):
        return PaymentStatus.NEEDS_REVIEW
    if transaction_status in MIDTRANS_FAILED or (transaction_status == "capture" and fraud_status == "deny"):
        return PaymentStatus.FAILED
    if transaction_status == "expire":
        return PaymentStatus.EXPIRED
    if transaction_status in ("refund", "partial_refund"):
        return PaymentStatus.REFUNDED
    return None  # pending, authorize: waiting


def _apply_midtrans(payload: dict) -> str:
    payment = _find_payment(str(payload.get("order_id", "")))
    if payment is None:
        raise DomainError(f"no payment for Midtrans order_id {payload.get('order_id')!r}")
    status = str(payload.get("transaction_status", "")).lower()
    fraud = str(payload.get("fraud_status", "") or "").lower()
    target = _midtrans_target(status, fraud)
    gross = _to_rupiah(payload.get("gross_amount"))
    reference = str(payload.get("transaction_id", ""))[:128]
    return _apply(payment, target=target, amount=gross, provider_status=f"{status}/{fraud}".strip("/"),
                  provider_reference=reference, source="midtrans",
                  refund_amount=_to_rupiah(payload.get("refund_amount")))


def _apply_xendit(payload: dict) -> str:
    payment = _find_payment(str(payload.get("external_id", "")))
    if payment is None:
        raise DomainError(f"no payment for Xendit external_id {payload.get('external_id')!r}")
    status = str(payload.get("status", "")).upper()
    target = {"PAID": PaymentStatus.PAID, "SETTLED": PaymentStatus.PAID, "EXPIRED": PaymentStatus.EXPIRED}.get(status)
    amount = _to_rupiah(payload.get("paid_amount")) if status in ("PAID", "SETTLED") else None
    if amount is None:
        amount = _to_rupiah(payload.get("amount"))
    return _apply(payment, target=target, amount=amount, provider_status=status.lower(),
                  provider_reference=str(payload.get("id", ""))[:128], source="xendit")


def _apply(payment: Payment, *, target: str | None, amount: int | None, provider_status: str,
           provider_reference: str, source: str, refund_amount: int | None = None) -> str:
    if target is None:
        transitions.payment_note_provider_status(payment_id=payment.pk, status=provider_status, source=source)
        return f"{provider_status}: waiting"
    if target == PaymentStatus.PAID:
        if payment.status in RECEIVED_STATUSES:
            transitions.payment_note_provider_status(
                payment_id=payment.pk, status=provider_status, source=source, note="Already paid; duplicate ignored."
            )
            return "already paid"
        reviewable = payment.can_transition_to(PaymentStatus.NEEDS_REVIEW) or payment.status == "needs_review"
        if amount is not None and amount != payment.amount and reviewable:
            transitions.payment_flag_for_review(
                payment_id=payment.pk, source=source, received_amount=amount,
                reason=f"Gateway paid {format_idr(amount)}, expected {format_idr(payment.amount)}.",
            )
            return "amount mismatch: needs review"
        if not payment.can_transition_to(PaymentStatus.PAID):
            return _ignored(payment, provider_status, source)
        transitions.payment_mark_paid(
            payment_id=payment.pk, source=source, received_amount=amount if amount is not None else payment.amount,
            provider_reference=provider_reference, note=f"Gateway status {provider_status}",
        )
        return "paid"
    if target == PaymentStatus.NEEDS_REVIEW:
        if not payment.can_transition_to(target):
            return _ignored(payment, provider_status, source)
        transitions.payment_flag_for_review(payment_id=payment.pk, source=source,
                                            reason=f"Gateway status {provider_status}")
        return "needs review"
    if target == PaymentStatus.FAILED:
        if not payment.can_transition_to(target) or payment.received_amount > payment.refunded_amount:
            return _ignored(payment, provider_status, source)
        transitions.payment_mark_failed(payment_id=payment.pk, source=source,
                                        reason=f"Gateway status {provider_status}")
        return "failed"
    if target == PaymentStatus.EXPIRED:
        if not payment.can_transition_to(target):
            return _ignored(payment, provider_status, source)
        transitions.payment_expire(payment_id=payment.pk, source=source, note=f"Gateway status {provider_status}")
        return "expired"
    # Refund notifications: record what the gateway refunded beyond what we already know of.
    if payment.status not in RECEIVED_STATUSES:
        return _ignored(payment, provider_status, source)
    total_refunded = refund_amount if refund_amount is not None else payment.received_amount
    delta = min(total_refunded, payment.received_amount) - payment.refunded_amount
    if delta <= 0:
        return _ignored(payment, provider_status, source)
    refund_create(payment_id=payment.pk, amount=delta, kind="other", source=source,
                  reason=f"Refunded at the gateway ({provider_status})")
    return "refunded"


def _ignored(payment: Payment, provider_status: str, source: str) -> str:
    transitions.payment_note_provider_status(
        payment_id=payment.pk, status=provider_status, source=source,
        note=f"Late or out-of-order gateway status {provider_status}; the payment stays {payment.status}.",
    )
    return f"ignored {provider_status}"
