"""Proof of transfer: a customer uploads it, Finance approves or rejects it with a reason."""

from __future__ import annotations

import secrets

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from core.errors import Conflict, DomainError, NotFound
from core.images import ImageRefused, reencode_image
from payments import conf
from payments.models import LineMatch, Payment, PaymentMethod, PaymentProof, PaymentStatus, StatementLine
from payments.services.transitions import payment_event_write, payment_mark_paid

SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"%PDF-", "application/pdf", "pdf"),
)


def sniff_proof(data: bytes) -> tuple[str, str, bytes]:
    """(content type, extension, bytes to store) judged by the content, never by the browser's name.

    Images are decoded and re-encoded (core.images), so what is stored is only their pixels:
    anything appended (an HTML page, a script) is gone. PDFs must start and end like one; they
    are only ever served as downloads (payments.views.proof_file).
    """
    kind = None
    for magic, content_type, ext in SIGNATURES:
        if data.startswith(magic):
            kind = (content_type, ext)
            break
    if kind is None and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        kind = ("image/webp", "webp")
    if kind is None:
        raise DomainError("Upload a photo (JPEG, PNG, WebP) or a PDF of the transfer.", detail={"file": "type"})
    if kind[0].startswith("image/"):
        try:
            clean = reencode_image(data)
        except ImageRefused:
            raise DomainError("The image is damaged or not an image.", detail={"file": "invalid"}) from None
        return clean.content_type, clean.extension, clean.data
    if b"%%EOF" not in data[-2048:]:
        raise DomainError("The PDF is incomplete.", detail={"file": "invalid"})
    return kind[0], kind[1], data


def proof_upload(
    *, payment_id: int, data: bytes, sender_name: str = "", sender_bank: str = "", declared_amount: int | None = None
) -> PaymentProof:
    """Store a customer's proof for an open bank-transfer payment; it waits in Finance's queue."""
    if not data:
        raise DomainError("Choose a file.", detail={"file": "required"})
    limit = conf.proof_max_bytes()
    if len(data) > limit:
        raise DomainError(f"The file is larger than {limit // (1024 * 1024)} MB.", detail={"file": "size"})
    content_type, ext, data = sniff_proof(data)
    if declared_amount is not None and declared_amount <= 0:
        raise DomainError("The amount must be positive.", detail={"declared_amount": "invalid"})
    with transaction.atomic():
        payment = Payment.objects.select_for_update().filter(pk=payment_id).first()
        if payment is None:
            raise NotFound("Payment not found.")
        if payment.method != PaymentMethod.BANK_TRANSFER:
            raise Conflict("Proof of transfer is only for bank transfers.")
        if payment.status not in (PaymentStatus.PENDING, PaymentStatus.NEEDS_REVIEW, PaymentStatus.EXPIRED):
            raise Conflict("This payment needs no proof any more.")
        if payment.proofs.filter(status=PaymentProof.Status.PENDING).count() >= 3:
            raise Conflict("Three proofs are already waiting; Finance will check them soon.")
        proof = PaymentProof(
            payment=payment, content_type=content_type, size=len(data), sender_name=sender_name.strip()[:120],
            sender_bank=sender_bank.strip()[:60], declared_amount=declared_amount,
        )
        proof.file.save(f"{secrets.token_hex(8)}.{ext}", ContentFile(data), save=False)
        proof.save()
        payment_event_write(payment, "proof_uploaded", payment.status, payment.status, actor=None,
                            source="customer", data={"proof_id": proof.pk})
    return proof


def _lock_pending_proof(proof_id: int) -> PaymentProof:
    proof = PaymentProof.objects.select_for_update().filter(pk=proof_id).first()
    if proof is None:
        raise NotFound(f"Proof {proof_id} does not exist.")
    if proof.status != PaymentProof.Status.PENDING:
        raise Conflict(f"This proof was already {proof.get_status_display().lower()}.")
    return proof


def proof_approve(
        *, proof_id: int, actor, line_id: int | None = None, received_amount: int | None = None, note: str = "",
        decision: str | None = None) -> PaymentProof:
    """Finance accepts a proof: with a statement line, that credit is matched; else the payment is
    marked paid for the received (default: expected) amount. Recorded with who and when."""
    from payments.services.statements import statement_line_match

    with transaction.atomic():
        proof = _lock_pending_proof(proof_id)
        payment = Payment.objects.get(pk=proof.payment_id)
        if line_id is not None:
            line = StatementLine.objects.filter(pk=line_id).first()
            if line is None or line.match_status not in (LineMatch.UNMATCHED, LineMatch.AMBIGUOUS):
                raise Conflict("That statement line is not open for matching.")
            # A credit that differs from the payment needs Finance's decision and reason (note).
            statement_line_match(line_id=line_id, payment_id=payment.pk, actor=actor,
                                 note=note or f"Proof {proof.pk} approved", decision=decision, reason=note)
        else:
            payment_mark_paid(
                payment_id=payment.pk, actor=actor, source="staff", received_amount=received_amount,
                note=note or f"Proof {proof.pk} approved",
            )
        _decide(proof, PaymentProof.Status.APPROVED, payment, actor=actor, reason=note, data={"line_id": line_id})
    return proof


def proof_reject(*, proof_id: int, actor, reason: str) -> PaymentProof:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Give the customer a reason.", detail={"reason": "required"})
    with transaction.atomic():
        proof = _lock_pending_proof(proof_id)
        _decide(proof, PaymentProof.Status.REJECTED, Payment.objects.get(pk=proof.payment_id), actor=actor,
                reason=reason)
    return proof


def _decide(proof: PaymentProof, status: str, payment: Payment, *, actor, reason: str, data: dict | None = None
            ) -> None:
    """Record Finance's decision on the proof, with who and when, and the payment's event."""
    proof.status, proof.decided_by, proof.decided_at, proof.reason = status, actor, timezone.now(), reason
    proof.save(update_fields=["status", "decided_by", "decided_at", "reason"])
    payment_event_write(payment, f"proof_{status}", payment.status, payment.status, actor=actor, source="staff",
                        note=reason, data={"proof_id": proof.pk, **(data or {})})
