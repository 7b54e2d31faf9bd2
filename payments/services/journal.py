"""Posting to the double-entry journal. Every posting is balanced and idempotent by its key.

One writer, `journal_post_many`, books any number of postings (and the payment events that go
with them) in one statement; the posting builders (`receipt_posting`, `charge_posting`...) are
shared by the per-payment services and the batch paths, so both book the same entries.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from django.db import connection
from django.db.models import Model
from django.utils import timezone

from payments.models import Account, JournalEntry, JournalLine, Payment, PaymentEvent, PaymentMethod

ENTRY_COLUMNS = ("key", "kind", "booked_on", "description", "order_id", "payment_id", "created_by_id", "created_at")
EVENT_COLUMNS = ("payment_id", "kind", "from_status", "to_status", "actor_id", "source", "note", "data", "created_at")


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


class Event(NamedTuple):
    """A payment event written with the postings (PaymentEvent's columns; a light row, no model)."""

    payment_id: int
    kind: str
    from_status: str
    to_status: str
    actor_id: int | None
    source: str
    note: str
    data: dict


def posting(*, key: str, kind: str, booked_on: date, lines: Iterable[tuple[str, int, int]], description: str = "",
            order_id: int | None = None, payment_id: int | None = None, actor=None) -> Posting:
    """A checked posting: zero lines dropped, debits equal to credits (else ValueError)."""
    kept = tuple((account, debit, credit) for account, debit, credit in lines if debit or credit)
    if sum(d for _a, d, _c in kept) != sum(c for _a, _d, c in kept):
        raise ValueError(f"journal entry {key} does not balance: {kept}")
    return Posting(key=key, kind=kind, booked_on=booked_on, lines=kept, description=description[:255],
                   order_id=order_id, payment_id=payment_id, actor_id=getattr(actor, "pk", None))


def unnest(model: type[Model], columns: Sequence[str], rows: Sequence[Sequence]) -> tuple[str, list[list]]:
    """`unnest(%s::type[], ...)` over `rows` (tuples in `columns` order) and its parameters: N rows
    in one statement, each column one array typed as the model's field."""
    fields = [model._meta.get_field(column) for column in columns]
    sql = "unnest(" + ", ".join(f"%s::{field.db_type(connection)}[]" for field in fields) + ")"
    return sql, [array_literal(values) for values in zip(*rows, strict=True)] if rows else ["{}" for _f in fields]


def array_literal(values: Iterable) -> str:
    """A PostgreSQL array literal, one parameter: psycopg's list adapter escapes each element in
    Python (1.3 s for 9,000 matches' columns under cProfile, against 0.3 s for this)."""
    return "{" + ",".join(
        "NULL" if v is None else '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values
    ) + "}"


def journal_post_many(postings: Iterable[Posting], *, events: Sequence[Event] = ()) -> None:
    """Book postings, and insert `events`, in one statement: entries from arrays with ON CONFLICT
    (key) DO NOTHING (a key booked before or twice is skipped), their lines joined by key. Measured
    in-process on 9,000 statement matches (cProfile, loaded machine): 2.5 s for the read of booked
    keys and the two `bulk_create`s (events not included), 0.7 s for this statement with events."""
    wanted: dict[str, Posting] = {}
    for item in postings:
        if item.lines:
            wanted.setdefault(item.key, item)
    if not wanted and not events:
        return
    now = timezone.now()
    quote = connection.ops.quote_name
    parts, params = [], []
    if events:
        rows = [(*event[:7], json.dumps(event.data), now) for event in events]
        source, arrays = unnest(PaymentEvent, EVENT_COLUMNS, rows)
        parts.append(f"ev AS (INSERT INTO {quote(PaymentEvent._meta.db_table)} ({', '.join(EVENT_COLUMNS)}) "  # noqa: S608
                     f"SELECT * FROM {source})")
        params += arrays
    if wanted:
        rows = [(p.key, p.kind, p.booked_on, p.description, p.order_id, p.payment_id, p.actor_id, now)
                for p in wanted.values()]
        source, arrays = unnest(JournalEntry, ENTRY_COLUMNS, rows)
        parts.append(f"je AS (INSERT INTO {quote(JournalEntry._meta.db_table)} ({', '.join(ENTRY_COLUMNS)}) "  # noqa: S608
                     f"SELECT * FROM {source} ON CONFLICT (key) DO NOTHING RETURNING id, key)")
        params += arrays
        lines = [(p.key, *line) for p in wanted.values() for line in p.lines]
        params += [array_literal(values) for values in zip(*lines, strict=True)]
        tail = (f"INSERT INTO {quote(JournalLine._meta.db_table)} (entry_id, account, debit_amount, credit_amount) "  # noqa: S608
                "SELECT je.id, l.account, l.debit, l.credit FROM unnest(%s::varchar[], %s::varchar[], "
                "%s::bigint[], %s::bigint[]) WITH ORDINALITY AS l(key, account, debit, credit, n) "
                "JOIN je USING (key) ORDER BY l.n")
    else:
        tail = "SELECT 1"
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {', '.join(parts)} {tail}", params)


def journal_post(*, key: str, kind: str, booked_on: date, lines: list[tuple[str, int, int]], description: str = "",
                 order_id: int | None = None, payment_id: int | None = None, actor=None) -> None:
    """Post one entry of (account, debit, credit) lines; a key posted before is a no-op."""
    journal_post_many([posting(key=key, kind=kind, booked_on=booked_on, lines=lines, description=description,
                               order_id=order_id, payment_id=payment_id, actor=actor)])


def asset_account_for(method: str) -> str:
    if method in (PaymentMethod.VIRTUAL_ACCOUNT, PaymentMethod.EWALLET, PaymentMethod.QRIS, PaymentMethod.CARD):
        return Account.GATEWAY_CLEARING
    return Account.BANK


def charge_posting(*, payment: Payment, booked_on: date, key_suffix: str = "") -> Posting:
    return posting(
        key=f"charge:{payment.pk}{key_suffix}", kind=JournalEntry.Kind.CHARGE, booked_on=booked_on,
        lines=[(Account.RECEIVABLE, payment.amount, 0), (Account.SALES, 0, payment.amount)],
        description=f"Due for {payment.reference}", order_id=payment.order_id, payment_id=payment.pk,
    )


def receipt_posting(*, payment: Payment, key: str, booked_on: date, amount: int, fee_amount: int = 0,
                    actor=None) -> Posting:
    """Money arrived for a payment: Dr asset (net) + Dr fees / Cr receivable (gross).

    A marketplace's settlement is booked as a payout (its deductions as fees)."""
    return posting(
        key=key,
        kind=JournalEntry.Kind.PAYOUT if payment.method == PaymentMethod.MARKETPLACE else JournalEntry.Kind.RECEIPT,
        booked_on=booked_on,
        lines=[(asset_account_for(payment.method), amount - fee_amount, 0), (Account.FEES, fee_amount, 0),
               (Account.RECEIVABLE, 0, amount)],
        description=f"Received for {payment.reference}", order_id=payment.order_id, payment_id=payment.pk,
        actor=actor,
    )


def charge_reversal_posting(*, payment: Payment, booked_on: date) -> Posting:
    return posting(
        key=f"charge_reversal:{payment.pk}", kind=JournalEntry.Kind.CHARGE_REVERSAL, booked_on=booked_on,
        lines=[(Account.SALES, payment.amount, 0), (Account.RECEIVABLE, 0, payment.amount)],
        description=f"No longer due: {payment.reference}", order_id=payment.order_id, payment_id=payment.pk,
    )


def post_refund(*, payment: Payment, key: str, booked_on: date, amount: int, actor=None, description: str = "") -> None:
    journal_post(
        key=key, kind=JournalEntry.Kind.REFUND, booked_on=booked_on,
        lines=[(Account.REFUNDS, amount, 0), (asset_account_for(payment.method), 0, amount)],
        description=description or f"Refund on {payment.reference}", order_id=payment.order_id,
        payment_id=payment.pk, actor=actor,
    )
