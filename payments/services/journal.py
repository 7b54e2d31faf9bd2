"""Posting to the double-entry journal. Every posting is balanced and idempotent by its key."""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction

from payments.models import ASSET_ACCOUNTS, Account, JournalEntry, JournalLine, Payment, PaymentMethod


def asset_account_for(method: str) -> str:
    if method in (PaymentMethod.VIRTUAL_ACCOUNT, PaymentMethod.EWALLET, PaymentMethod.QRIS, PaymentMethod.CARD):
        return Account.GATEWAY_CLEARING
    return Account.BANK


def journal_post(
    *,
    key: str,
    kind: str,
    booked_on: date,
    lines: list[tuple[str, int, int]],
    description: str = "",
    order_id: int | None = None,
    payment_id: int | None = None,
    actor=None,
    fresh: bool = False,
) -> JournalEntry | None:
    """Post one entry of (account, debit, credit) lines; a key posted before is a no-op (None).

    `fresh=True` says the key cannot exist yet (the payment was created in this transaction).
    """
    lines = [(account, debit, credit) for account, debit, credit in lines if debit or credit]
    if not lines:
        return None
    if sum(d for _a, d, _c in lines) != sum(c for _a, _d, c in lines):
        raise ValueError(f"journal entry {key} does not balance: {lines}")
    if fresh:
        entry = JournalEntry.objects.create(
            key=key, kind=kind, booked_on=booked_on, description=description[:255], order_id=order_id,
            payment_id=payment_id, created_by=actor if getattr(actor, "pk", None) else None,
        )
        JournalLine.objects.bulk_create(
            [JournalLine(entry=entry, account=a, debit_amount=d, credit_amount=c) for a, d, c in lines]
        )
        return entry
    if JournalEntry.objects.filter(key=key).exists():
        return None
    try:
        with transaction.atomic():
            entry = JournalEntry.objects.create(
                key=key,
                kind=kind,
                booked_on=booked_on,
                description=description[:255],
                order_id=order_id,
                payment_id=payment_id,
                created_by=actor if getattr(actor, "pk", None) else None,
            )
    except IntegrityError:
        return None
    JournalLine.objects.bulk_create(
        [JournalLine(entry=entry, account=a, debit_amount=d, credit_amount=c) for a, d, c in lines]
    )
    return entry


def post_charge(*, payment: Payment, booked_on: date, key_suffix: str = "", fresh: bool = False) -> None:
    journal_post(
        fresh=fresh,
        key=f"charge:{payment.pk}{key_suffix}",
        kind=JournalEntry.Kind.CHARGE,
        booked_on=booked_on,
        lines=[(Account.RECEIVABLE, payment.amount, 0), (Account.SALES, 0, payment.amount)],
        description=f"Due for {payment.reference}",
        order_id=payment.order_id,
        payment_id=payment.pk,
    )


def post_charge_reversal(*, payment: Payment, booked_on: date, key_suffix: str = "") -> None:
    journal_post(
        key=f"charge_reversal:{payment.pk}{key_suffix}",
        kind=JournalEntry.Kind.CHARGE_REVERSAL,
        booked_on=booked_on,
        lines=[(Account.SALES, payment.amount, 0), (Account.RECEIVABLE, 0, payment.amount)],
        description=f"No longer due: {payment.reference}",
        order_id=payment.order_id,
        payment_id=payment.pk,
    )


def post_receipt(
    *,
    payment: Payment,
    key: str,
    booked_on: date,
    amount: int,
    fee_amount: int = 0,
    asset_account: str | None = None,
    actor=None,
    description: str = "",
) -> JournalEntry | None:
    """Money arrived for a payment: Dr asset (net) + Dr fees / Cr receivable (gross).

    A marketplace's settlement is booked as a payout (its deductions as fees)."""
    asset = asset_account or asset_account_for(payment.method)
    return journal_post(
        key=key,
        kind=JournalEntry.Kind.PAYOUT if payment.method == PaymentMethod.MARKETPLACE else JournalEntry.Kind.RECEIPT,
        booked_on=booked_on,
        lines=[(asset, amount - fee_amount, 0), (Account.FEES, fee_amount, 0), (Account.RECEIVABLE, 0, amount)],
        description=description or f"Received for {payment.reference}",
        order_id=payment.order_id,
        payment_id=payment.pk,
        actor=actor,
    )


def post_refund(*, payment: Payment, key: str, booked_on: date, amount: int, actor=None, description: str = "") -> None:
    journal_post(
        key=key,
        kind=JournalEntry.Kind.REFUND,
        booked_on=booked_on,
        lines=[(Account.REFUNDS, amount, 0), (asset_account_for(payment.method), 0, amount)],
        description=description or f"Refund on {payment.reference}",
        order_id=payment.order_id,
        payment_id=payment.pk,
        actor=actor,
    )


__all__ = [
    "ASSET_ACCOUNTS",
    "asset_account_for",
    "journal_post",
    "post_charge",
    "post_charge_reversal",
    "post_receipt",
    "post_refund",
]
