"""Posting to the double-entry journal. Every posting is balanced and idempotent by its key.

One writer, `journal_post_many`, books any number of postings set-based (one read of the keys
already booked, one INSERT of entries, one of lines); the single-entry helpers are a batch of one.
The posting builders (`receipt_posting`, `charge_posting`...) are shared by the per-payment
services and the batch paths (statement matching), so both book the same entries.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from payments.models import ASSET_ACCOUNTS, Account, JournalEntry, JournalLine, Payment, PaymentMethod


@dataclass(frozen=True)
class Posting:
    """One balanced entry to book: (account, debit, credit) lines, zero lines left out."""

    key: str
    kind: str
    booked_on: date
    lines: tuple[tuple[str, int, int], ...]
    description: str = ""
    order_id: int | None = None
    payment_id: int | None = None
    actor_id: int | None = None


def posting(
    *,
    key: str,
    kind: str,
    booked_on: date,
    lines: Iterable[tuple[str, int, int]],
    description: str = "",
    order_id: int | None = None,
    payment_id: int | None = None,
    actor=None,
) -> Posting:
    """A checked posting: zero lines dropped, debits equal to credits (else ValueError)."""
    kept = tuple((account, debit, credit) for account, debit, credit in lines if debit or credit)
    if sum(d for _a, d, _c in kept) != sum(c for _a, _d, c in kept):
        raise ValueError(f"journal entry {key} does not balance: {kept}")
    return Posting(key=key, kind=kind, booked_on=booked_on, lines=kept, description=description[:255],
                   order_id=order_id, payment_id=payment_id, actor_id=getattr(actor, "pk", None))


def journal_post_many(postings: Iterable[Posting], *, fresh: bool = False) -> dict[str, JournalEntry]:
    """Book postings set-based; a key booked before (or twice in the batch) is skipped.

    `fresh=True` says no key can exist yet (their payments were created in this transaction).
    Callers hold the lock of the payment a key belongs to, so two writers never race on a key.
    Returns the entries written, by key.
    """
    wanted: dict[str, Posting] = {}
    for item in postings:
        if item.lines:
            wanted.setdefault(item.key, item)
    if not wanted:
        return {}
    if not fresh:
        for key in JournalEntry.objects.filter(key__in=list(wanted)).values_list("key", flat=True):
            del wanted[key]
    entries = JournalEntry.objects.bulk_create(
        [
            JournalEntry(key=p.key, kind=p.kind, booked_on=p.booked_on, description=p.description,
                         order_id=p.order_id, payment_id=p.payment_id, created_by_id=p.actor_id)
            for p in wanted.values()
        ],
        batch_size=5_000,
    )
    JournalLine.objects.bulk_create(
        [
            JournalLine(entry=entry, account=account, debit_amount=debit, credit_amount=credit)
            for entry, item in zip(entries, wanted.values(), strict=True)
            for account, debit, credit in item.lines
        ],
        batch_size=10_000,
    )
    return {entry.key: entry for entry in entries}


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
    """Post one entry of (account, debit, credit) lines; a key posted before is a no-op (None)."""
    item = posting(key=key, kind=kind, booked_on=booked_on, lines=lines, description=description,
                   order_id=order_id, payment_id=payment_id, actor=actor)
    return journal_post_many([item], fresh=fresh).get(key)


def asset_account_for(method: str) -> str:
    if method in (PaymentMethod.VIRTUAL_ACCOUNT, PaymentMethod.EWALLET, PaymentMethod.QRIS, PaymentMethod.CARD):
        return Account.GATEWAY_CLEARING
    return Account.BANK


def charge_posting(*, payment: Payment, booked_on: date, key_suffix: str = "") -> Posting:
    return posting(
        key=f"charge:{payment.pk}{key_suffix}",
        kind=JournalEntry.Kind.CHARGE,
        booked_on=booked_on,
        lines=[(Account.RECEIVABLE, payment.amount, 0), (Account.SALES, 0, payment.amount)],
        description=f"Due for {payment.reference}",
        order_id=payment.order_id,
        payment_id=payment.pk,
    )


def receipt_posting(
    *,
    payment: Payment,
    key: str,
    booked_on: date,
    amount: int,
    fee_amount: int = 0,
    asset_account: str | None = None,
    actor=None,
    description: str = "",
) -> Posting:
    """Money arrived for a payment: Dr asset (net) + Dr fees / Cr receivable (gross).

    A marketplace's settlement is booked as a payout (its deductions as fees)."""
    asset = asset_account or asset_account_for(payment.method)
    return posting(
        key=key,
        kind=JournalEntry.Kind.PAYOUT if payment.method == PaymentMethod.MARKETPLACE else JournalEntry.Kind.RECEIPT,
        booked_on=booked_on,
        lines=[(asset, amount - fee_amount, 0), (Account.FEES, fee_amount, 0), (Account.RECEIVABLE, 0, amount)],
        description=description or f"Received for {payment.reference}",
        order_id=payment.order_id,
        payment_id=payment.pk,
        actor=actor,
    )


def post_charge(*, payment: Payment, booked_on: date, key_suffix: str = "", fresh: bool = False) -> None:
    journal_post_many([charge_posting(payment=payment, booked_on=booked_on, key_suffix=key_suffix)], fresh=fresh)


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
    item = receipt_posting(payment=payment, key=key, booked_on=booked_on, amount=amount, fee_amount=fee_amount,
                           asset_account=asset_account, actor=actor, description=description)
    return journal_post_many([item]).get(key)


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
    "Posting",
    "asset_account_for",
    "charge_posting",
    "journal_post",
    "journal_post_many",
    "post_charge",
    "post_charge_reversal",
    "post_receipt",
    "post_refund",
    "posting",
    "receipt_posting",
]
