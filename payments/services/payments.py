"""The payment state machine: opening a payment and one service per transition.

Each transition locks the payment row, returns early when the payment is already where the
caller wants it (so a webhook and a Finance approval racing each other give one result), checks
ALLOWED_TRANSITIONS, writes a PaymentEvent and posts to the journal in the same transaction.
Moving the order forward happens after commit, in `order_payment_sync`.
"""

from __future__ import annotations

import logging
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from core.errors import Conflict, DomainError, InvalidTransition, NotFound
from payments import conf
from payments.models import (
    ALLOWED_TRANSITIONS,
    GATEWAY_METHODS,
    RECEIVED_STATUSES,
    Account,
    JournalEntry,
    JournalLine,
    Payment,
    PaymentEvent,
    PaymentMethod,
    PaymentStatus,
)
from payments.services import journal

logger = logging.getLogger(__name__)

# Namespace of the advisory locks that serialise kode unik allocation per base amount.
UNIQUE_CODE_LOCK_NAMESPACE = 5_005

# Orders moved forward per batched task after a batch of payment transitions.
ORDER_SYNC_CHUNK = 500

# The note on a bank transfer opened without a kode unik (every code of its amount was taken).
NO_CODE_NOTE = "Match by order number, no unique code"


METHOD_ALIASES = {
    "bank_transfer": PaymentMethod.BANK_TRANSFER,
    "transfer": PaymentMethod.BANK_TRANSFER,
    "bank": PaymentMethod.BANK_TRANSFER,
    "manual_transfer": PaymentMethod.BANK_TRANSFER,
    "virtual_account": PaymentMethod.VIRTUAL_ACCOUNT,
    "va": PaymentMethod.VIRTUAL_ACCOUNT,
    "bank_transfer_va": PaymentMethod.VIRTUAL_ACCOUNT,
    "echannel": PaymentMethod.VIRTUAL_ACCOUNT,
    "ewallet": PaymentMethod.EWALLET,
    "e_wallet": PaymentMethod.EWALLET,
    "gopay": PaymentMethod.EWALLET,
    "ovo": PaymentMethod.EWALLET,
    "dana": PaymentMethod.EWALLET,
    "shopeepay": PaymentMethod.EWALLET,
    "qris": PaymentMethod.QRIS,
    "card": PaymentMethod.CARD,
    "credit_card": PaymentMethod.CARD,
    "cod": PaymentMethod.COD,
    "cash_on_delivery": PaymentMethod.COD,
    "marketplace": PaymentMethod.MARKETPLACE,
}


def payment_method_for_order(order) -> str:
    """Our payment method for an order: marketplaces collect themselves; else the order's choice."""
    if order.channel.is_marketplace:
        return PaymentMethod.MARKETPLACE
    key = (order.payment_method or "").strip().lower().replace("-", "_").replace(" ", "_")
    return METHOD_ALIASES.get(key, PaymentMethod.BANK_TRANSFER)


def _local_today(moment: datetime | None = None) -> date:
    return timezone.localdate(moment or timezone.now())


def _event(payment: Payment, kind: str, from_status: str, to_status: str, *, actor, source: str, note: str = "",
           data: dict | None = None) -> PaymentEvent:
    return PaymentEvent.objects.create(
        payment=payment,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        actor=actor if getattr(actor, "pk", None) else None,
        source=source,
        note=note,
        data=data or {},
    )


def _lock(payment_id: int) -> Payment:
    try:
        return Payment.objects.select_for_update(of=("self",)).get(pk=payment_id)
    except Payment.DoesNotExist:
        raise NotFound(f"Payment {payment_id} does not exist.") from None


def _check(payment: Payment, target: str) -> None:
    if target not in ALLOWED_TRANSITIONS.get(payment.status, set()):
        raise InvalidTransition(entity="Payment", current=payment.status, target=target)


def _schedule_order_sync(order_id: int) -> None:
    from payments.tasks import order_payment_sync_task

    order_payment_sync_task.delay_on_commit(order_id)


# --- Opening ----------------------------------------------------------------------------------


def _lock_base_amount(base_amount: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, %s)", [UNIQUE_CODE_LOCK_NAMESPACE, base_amount % 2_000_000_000]
        )


def _code_space(base_amount: int) -> tuple[int, int]:
    """(raising, lowering): codes +1..+raising, then -1..-lowering (a lowered amount stays at or
    above the floor)."""
    top = conf.unique_code_max()
    lowering = max(0, min(top, base_amount - conf.unique_code_floor_amount()))
    return top, lowering


def _free_unique_codes(base_amount: int) -> list[int]:
    """The codes still free for this base amount: raising ones first, then lowering ones."""
    raising, lowering = _code_space(base_amount)
    used = set(
        Payment.objects.filter(
            method=PaymentMethod.BANK_TRANSFER,
            status=PaymentStatus.PENDING,
            amount__gte=base_amount - lowering,
            amount__lte=base_amount + raising,
        ).values_list("amount", flat=True)
    )
    codes = [*range(1, raising + 1), *range(-1, -lowering - 1, -1)]
    return [code for code in codes if base_amount + code not in used]


def _next_reference(order) -> str:
    count = Payment.objects.filter(order_id=order.pk).count()
    return f"{order.number}-P{count + 1}"


def _insert_parts(obj) -> tuple[list[str], list]:
    """Quoted columns and parameters of an INSERT of `obj` (auto_now fields filled, no pk)."""
    quote = connection.ops.quote_name
    fields = [f for f in type(obj)._meta.concrete_fields if not f.primary_key]
    columns = [quote(f.column) for f in fields]
    params = [f.get_db_prep_save(f.pre_save(obj, add=True), connection) for f in fields]
    return columns, params


def _mark_saved(obj, pk: int) -> None:
    obj.pk = pk
    obj._state.adding = False
    obj._state.db = connection.alias


def _insert_payment(payment: Payment, *, pick_code: bool, guess: bool = False) -> bool:
    """INSERT the payment ... ON CONFLICT DO NOTHING: one statement, no savepoint.

    With `pick_code` the kode unik is chosen in the same statement: a code whose amount no open
    bank transfer expects, a raising one (+1..+999) at random while any is free, else a lowering
    one (-1..-999, never below the floor amount). The caller holds the base amount's advisory lock,
    taken in an earlier statement, so this statement's snapshot sees every committed allocation.
    False when nothing was inserted: the reference exists, no code is free, or the amount clashed
    with another base amount's allocation at the same moment (the partial unique index decided).
    With `guess` the code is a random raising one tried as it is: nearly always free in a real
    shop, and far cheaper than looking at the taken ones; a clash returns False and the caller looks.
    """
    quote = connection.ops.quote_name
    table = quote(Payment._meta.db_table)
    raising, lowering = _code_space(payment.base_amount)
    if pick_code and guess:
        payment.unique_code = random.randint(1, raising)
        payment.amount = payment.base_amount + payment.unique_code
        pick_code = False
    columns, params = _insert_parts(payment)
    values = ["%s"] * len(columns)
    if not pick_code:
        source = f"VALUES ({', '.join(values)})"
    else:
        values[columns.index(quote("amount"))] = "%s + c.code"
        params[columns.index(quote("amount"))] = payment.base_amount
        code_at = columns.index(quote("unique_code"))
        values[code_at] = "c.code"
        del params[code_at]
        source = (
            f"SELECT {', '.join(values)} FROM ("  # noqa: S608
            # The taken codes come from one range scan of the open-amount index, bounded to this
            # base amount's slots: the cost does not grow with the shop's other open payments.
            f"SELECT code FROM (SELECT generate_series(1, %s) AS code "
            f"UNION ALL SELECT -generate_series(1, %s)) AS codes WHERE code NOT IN ("
            f"SELECT p.{quote('amount')} - %s FROM {table} p WHERE p.{quote('method')} = %s "
            f"AND p.{quote('status')} = %s AND p.{quote('amount')} >= %s AND p.{quote('amount')} <= %s) "
            f"ORDER BY code < 0, random() LIMIT 1) AS c"
        )
        params += [
            raising, lowering,
            payment.base_amount, PaymentMethod.BANK_TRANSFER, PaymentStatus.PENDING,
            payment.base_amount - lowering, payment.base_amount + raising,
        ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) {source} "
            f"ON CONFLICT DO NOTHING RETURNING {quote('id')}, {quote('unique_code')}, {quote('amount')}",
            params,
        )
        row = cursor.fetchone()
    if row is None:
        return False
    _mark_saved(payment, row[0])
    payment.unique_code, payment.amount = row[1], row[2]
    return True


def _write_opened(payment: Payment, *, actor, source: str, booked_on: date) -> None:
    """The 'opened' event and the charge journal entry with its two lines, in one statement.

    The charge's key is new (the payment was inserted in this transaction), so no lookup first.
    """
    quote = connection.ops.quote_name
    data = {"amount": payment.amount, "unique_code": payment.unique_code}
    note = ""
    if payment.match_by_order_number:
        data["match_by_order_number"] = True
        note = NO_CODE_NOTE
    event = PaymentEvent(
        payment=payment, kind="opened", from_status="", to_status=payment.status,
        actor=actor if getattr(actor, "pk", None) else None, source=source, note=note, data=data,
    )
    entry = JournalEntry(
        key=f"charge:{payment.pk}", kind=JournalEntry.Kind.CHARGE, booked_on=booked_on,
        description=f"Due for {payment.reference}"[:255], order_id=payment.order_id, payment_id=payment.pk,
    )
    lines = [(Account.RECEIVABLE, payment.amount, 0), (Account.SALES, 0, payment.amount)]
    if sum(d for _a, d, _c in lines) != sum(c for _a, _d, c in lines):
        raise ValueError(f"journal entry {entry.key} does not balance: {lines}")
    event_columns, event_params = _insert_parts(event)
    entry_columns, entry_params = _insert_parts(entry)
    line_columns = ", ".join(quote(c) for c in ("entry_id", "account", "debit_amount", "credit_amount"))
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH ev AS (INSERT INTO {quote(PaymentEvent._meta.db_table)} ({', '.join(event_columns)}) "  # noqa: S608
            f"VALUES ({', '.join(['%s'] * len(event_columns))})), "
            f"je AS (INSERT INTO {quote(JournalEntry._meta.db_table)} ({', '.join(entry_columns)}) "
            f"VALUES ({', '.join(['%s'] * len(entry_columns))}) RETURNING {quote('id')}) "
            f"INSERT INTO {quote(JournalLine._meta.db_table)} ({line_columns}) "
            f"SELECT je.{quote('id')}, v.account, v.debit, v.credit FROM je CROSS JOIN "
            f"(VALUES (%s, %s::bigint, %s::bigint), (%s, %s::bigint, %s::bigint)) AS v(account, debit, credit)",
            [*event_params, *entry_params, *(value for line in lines for value in line)],
        )


def _payment_open(
    *, order, method: str, amount: int | None, actor, source: str, expires_at: datetime | None, first: bool,
    locked: bool = False,
) -> Payment | None:
    """Open the payment inside the caller's transaction. None when `first` and the order's first
    payment exists already (the order-created hook called twice)."""
    if method not in PaymentMethod.values:
        raise DomainError(f"Unknown payment method {method!r}.", detail={"method": method})
    base_amount = order.total_amount if amount is None else amount
    if base_amount <= 0:
        raise DomainError("A payment needs a positive amount.", detail={"amount": base_amount})
    now = timezone.now()
    if expires_at is None and method not in (PaymentMethod.COD, PaymentMethod.MARKETPLACE):
        expires_at = order.payment_due_at or now + timedelta(hours=conf.bank_transfer_window_hours())
    provider = ""
    if method in GATEWAY_METHODS:
        provider = conf.gateway_provider()
    elif method == PaymentMethod.MARKETPLACE:
        provider = order.channel.kind
    reference = f"{order.number}-P1" if first else _next_reference(order)
    bank = method == PaymentMethod.BANK_TRANSFER
    if bank and not locked:
        _lock_base_amount(base_amount)
    payment = None
    for attempt in range(8):
        candidate = Payment(
            order=order, method=method, provider=provider, reference=reference, base_amount=base_amount,
            amount=base_amount, expires_at=expires_at,
        )
        if _insert_payment(candidate, pick_code=bank, guess=attempt == 0):
            payment = candidate
            break
        if Payment.objects.filter(reference=reference).exists():
            if first:
                return None
            raise Conflict(f"Payment {reference} was opened at the same moment; try again.")
        if not bank:
            raise Conflict("Could not open the payment; try again.")
        if not _free_unique_codes(base_amount):
            break
        # Another base amount's order took base+code at the same moment; pick again.
    if payment is None:
        # Every code of this amount is taken (or kept being taken by other amounts at the same
        # moment): the order is never refused for that. The transfer expects the plain amount and
        # is matched by the order number in its description.
        payment = Payment(
            order=order, method=method, provider=provider, reference=reference, base_amount=base_amount,
            amount=base_amount, expires_at=expires_at, match_by_order_number=True,
        )
        if not _insert_payment(payment, pick_code=False):
            raise Conflict(f"Payment {reference} was opened at the same moment; try again.")
        logger.warning("no free kode unik for Rp %s: %s is matched by order number", base_amount, reference)
    _write_opened(payment, actor=actor, source=source, booked_on=_local_today(now))
    return payment


def payment_open(
    *,
    order_id: int,
    method: str | None = None,
    amount: int | None = None,
    actor=None,
    source: str = "system",
    expires_at: datetime | None = None,
) -> Payment:
    """Open the payment we expect for an order.

    Bank transfers get a kode unik added to the amount (+1..+999, then -1..-999 down to the floor
    amount), unique among open bank transfers: allocation is serialised per base amount with a
    transaction-level advisory lock, and the partial unique index on open bank-transfer amounts is
    the backstop (a clash with another base amount is retried with another code). When every code
    of the amount is taken the payment expects the plain amount, flagged `match_by_order_number`:
    the order is never refused for a payment-matching reason.
    """
    from orders.models import Order

    with transaction.atomic():
        try:
            order = Order.objects.select_related("channel").get(pk=order_id)
        except Order.DoesNotExist:
            raise NotFound(f"Order {order_id} does not exist.") from None
        return _payment_open(
            order=order, method=method or payment_method_for_order(order), amount=amount, actor=actor,
            source=source, expires_at=expires_at, first=False,
        )


def _order_with_code_lock(order_id: int):
    """The order with its channel; for an order that will open a bank transfer, the same statement
    takes its base amount's kode unik lock (`code_locked`), saving a statement per order.

    The SQL condition mirrors the checks in `on_order_created`; where it could disagree (unusual
    spellings of a method) the caller takes the lock itself, and an extra lock is harmless.
    """
    from django.db.models.expressions import RawSQL

    from channels.models import Channel
    from orders.models import Order, OrderStatus

    not_bank = sorted(key for key, value in METHOD_ALIASES.items() if value != PaymentMethod.BANK_TRANSFER)
    marketplaces = sorted(Channel.MARKETPLACE_KINDS)
    method = "lower(replace(replace(btrim(orders_order.payment_method), '-', '_'), ' ', '_'))"
    lock = RawSQL(  # noqa: S611 - constants and placeholders only
        "CASE WHEN orders_order.total_amount > 0 AND orders_order.status = %s "  # noqa: S608
        f"AND channels_channel.kind NOT IN ({', '.join(['%s'] * len(marketplaces))}) "
        "AND lower(orders_order.payment_method) <> 'cash' "
        f"AND {method} NOT IN ({', '.join(['%s'] * len(not_bank))}) "
        "THEN (SELECT true FROM pg_advisory_xact_lock(%s, (orders_order.total_amount %% 2000000000)::integer)) "
        "ELSE false END",
        [OrderStatus.AWAITING_PAYMENT, *marketplaces, *not_bank, UNIQUE_CODE_LOCK_NAMESPACE],
    )
    return Order.objects.select_related("channel").annotate(code_locked=lock).get(pk=order_id)


def on_order_created(order_id: int) -> None:
    """orders hook: open the expected payment inside the order's creating transaction.

    Three statements for a bank transfer: the kode unik lock (with a read of the order and its
    channel when the order is not the one being created), the payment INSERT choosing its code,
    and the event with the journal entry. No savepoint: the
    hook runs inside the order's transaction, which any error rolls back whole. Called twice for an
    order, the second call finds the first payment's reference taken and does nothing.
    """
    from orders.models import OrderStatus
    from orders.services.create import order_in_creation

    # From order creation the hook gets the row just written (no read; the kode unik lock, when
    # needed, is then taken by _payment_open); a direct call reads it with the lock in one statement.
    order = order_in_creation(order_id) or _order_with_code_lock(order_id)
    if order.total_amount <= 0 or order.status == OrderStatus.CANCELLED:
        return
    if (order.payment_method or "").lower() == "cash" and not order.channel.is_marketplace:
        return  # paid in cash at the counter: nothing to collect later
    method = payment_method_for_order(order)
    if order.status != OrderStatus.AWAITING_PAYMENT and method not in (PaymentMethod.COD, PaymentMethod.MARKETPLACE):
        return  # already paid elsewhere (an offline sale): nothing to expect
    with transaction.atomic(savepoint=False):
        _payment_open(order=order, method=method, amount=None, actor=None, source="system", expires_at=None,
                      first=True, locked=bool(getattr(order, "code_locked", False)))


def on_orders_status_changed(changes) -> None:
    """orders status-changed hook (batch; a single change is a batch of one).

    Cancelled: the order no longer expects its open payments (frees the kode unik).
    Paid by someone else than payments (staff marked it paid after seeing the transfer, a
    gateway integration in the orders app): the open transfer/gateway payment is recorded as
    received, so the ledger and the order agree. Marketplace and COD orders are paid to the
    marketplace or the courier, not to us, and wait for their payout or remittance.

    One statement finds every payment the changes concern (none for most marketplace steps, and
    none is looked for when payments moved the orders itself); the payments to book as paid are
    locked together and written by one payments_write (the plan of payment_mark_paid); a payment
    to expire goes through payment_expire.
    """
    from django.db.models import Q

    from orders.models import OrderStatus

    paid = [c for c in changes if c.to_status == OrderStatus.PAID and c.source != "payments"]
    cancelled = [c for c in changes if c.to_status == OrderStatus.CANCELLED]
    if not paid and not cancelled:
        return
    wanted = Q(pk__in=[])
    if paid:
        wanted |= Q(order_id__in={c.order_id for c in paid}, method__in=[PaymentMethod.BANK_TRANSFER, *GATEWAY_METHODS])
    if cancelled:
        wanted |= Q(order_id__in={c.order_id for c in cancelled}, received_amount=0)
    found: dict[int, list[tuple[int, str, int]]] = {}
    for pk, order_id, method, received in (
        Payment.objects.filter(wanted, status=PaymentStatus.PENDING).order_by("pk")
        .values_list("pk", "order_id", "method", "received_amount")
    ):
        found.setdefault(order_id, []).append((pk, method, received))
    done: set[int] = set()  # a payment leaves "pending" when handled, so a later change skips it
    to_pay: dict[int, str] = {}  # payment id -> source
    for change in changes:
        is_paid = change.to_status == OrderStatus.PAID and change.source != "payments"
        for payment_id, method, received in found.get(change.order_id, ()):
            if payment_id in done:
                continue
            if is_paid and (method == PaymentMethod.BANK_TRANSFER or method in GATEWAY_METHODS):
                done.add(payment_id)
                to_pay[payment_id] = change.source or "order"
            elif change.to_status == OrderStatus.CANCELLED and received == 0:
                done.add(payment_id)
                payment_expire(payment_id=payment_id, source="system", note="Order cancelled")
    if to_pay:
        _payments_mark_paid_many(to_pay, note="The order was marked paid")


def _payments_mark_paid_many(sources: dict[int, str], *, note: str) -> None:
    """payment_mark_paid for many payments (id -> source) in one lock, one read and one write."""
    now = timezone.now()
    booked_on = _local_today(now)
    with transaction.atomic():
        rows = list(Payment.objects.select_for_update(of=("self",)).filter(pk__in=sources).order_by("pk"))
        reversed_ = charges_reversed([p.pk for p in rows])
        plans = [
            plan_payment_paid(payment, now=now, booked_on=booked_on, source=sources[payment.pk], note=note,
                              charge_reversed=payment.pk in reversed_)
            for payment in rows
            if payment.status not in RECEIVED_STATUSES and PaymentStatus.PAID in ALLOWED_TRANSITIONS.get(payment.status, ())
        ]
        payments_write(plans)


# --- Transitions ------------------------------------------------------------------------------


@dataclass
class PaymentPlan:
    """One planned payment transition: the row with its new values, the fields to write, the
    event and the journal postings. Made by `plan_payment_transition`, written by `payments_write`."""

    payment: Payment
    fields: tuple[str, ...]
    event: PaymentEvent
    postings: list[journal.Posting] = field(default_factory=list)


def plan_payment_transition(
    payment: Payment,
    *,
    target: str,
    kind: str,
    now: datetime,
    booked_on: date,
    actor=None,
    source: str,
    note: str = "",
    received_amount: int | None = None,
    fee_amount: int | None = None,
    receipt_fee: int = 0,
    receipt_key: str | None = None,
    provider_reference: str = "",
    charge_reversed: bool = False,
    data: dict | None = None,
) -> PaymentPlan:
    """The pure planner of every money-in transition (paid, flagged for review, received).

    From the payment row as it is (locked by the caller) and the input: the new status (checked
    against ALLOWED_TRANSITIONS unless it stays), `received_amount` as the new total received
    (the increase is booked as a receipt, `receipt_fee` of it as fees), `fee_amount` as the new
    total fee, paid_at on becoming paid, the charge booked again when a late payment of an expired
    one is accepted, and the event. Reads nothing, writes nothing: the row object is updated in
    memory and `payments_write` writes any number of plans at once.
    """
    old = payment.status
    if target != old:
        _check(payment, target)
    fields = ["updated_at"]
    postings: list[journal.Posting] = []
    if target == PaymentStatus.PAID and charge_reversed:
        # Reinstated after expiry (a late transfer Finance accepted): due again.
        postings.append(journal.charge_posting(payment=payment, booked_on=booked_on, key_suffix=":reinstated"))
    if received_amount is not None and received_amount > payment.received_amount:
        delta = received_amount - payment.received_amount
        postings.append(journal.receipt_posting(
            payment=payment, key=receipt_key or f"receipt:{payment.pk}:{payment.received_amount}",
            booked_on=booked_on, amount=delta, fee_amount=min(receipt_fee, delta), actor=actor,
        ))
        payment.received_amount = received_amount
        fields.append("received_amount")
    if fee_amount is not None:
        payment.fee_amount = fee_amount
        fields.append("fee_amount")
    if target != old:
        payment.status = target
        fields.append("status")
        if target == PaymentStatus.PAID:
            payment.paid_at = now
            fields.append("paid_at")
    if provider_reference:
        payment.provider_reference = provider_reference
        fields.append("provider_reference")
    payment.updated_at = now
    event = PaymentEvent(
        payment=payment, kind=kind, from_status=old, to_status=payment.status,
        actor=actor if getattr(actor, "pk", None) else None, source=source, note=note,
        data={"received_amount": payment.received_amount, **(data or {})},
    )
    return PaymentPlan(payment=payment, fields=tuple(sorted(fields)), event=event, postings=postings)


def payments_write(plans: list[PaymentPlan]) -> None:
    """Write N planned transitions set-based, inside the caller's transaction (rows locked):
    one UPDATE per distinct set of fields, one INSERT of events, the journal postings through
    `journal.journal_post_many`; the orders move forward after commit, in batches."""
    if not plans:
        return
    by_fields: dict[tuple[str, ...], list[Payment]] = defaultdict(list)
    for plan in plans:
        by_fields[plan.fields].append(plan.payment)
    for fields, rows in by_fields.items():
        _update_rows(rows, fields)
    PaymentEvent.objects.bulk_create([plan.event for plan in plans], batch_size=5_000)
    journal.journal_post_many([item for plan in plans for item in plan.postings])
    order_ids = sorted({plan.payment.order_id for plan in plans})
    if len(order_ids) == 1:
        _schedule_order_sync(order_ids[0])
    else:
        _schedule_order_syncs(order_ids)


def _update_rows(rows: list[Payment], fields: tuple[str, ...], *, batch_size: int = 2_000) -> None:
    """bulk_update for payments as one `UPDATE ... FROM (VALUES ...)` per batch.

    Django's bulk_update writes a CASE WHEN per field whose size grows with the batch: for 9,000
    matched payments it took 15 s where this takes 1 s. Values are prepared by the fields
    themselves (get_db_prep_save) and cast to their column types, as Django would.
    """
    quote = connection.ops.quote_name
    pk = Payment._meta.pk
    columns = [pk, *(Payment._meta.get_field(name) for name in fields)]
    row = "(" + ", ".join(f"%s::{column.db_type(connection)}" for column in columns) + ")"
    assignments = ", ".join(f"{quote(c.column)} = v.{quote(c.column)}" for c in columns[1:])
    names = ", ".join(quote(c.column) for c in columns)
    for start in range(0, len(rows), batch_size):
        part = rows[start : start + batch_size]
        params = [column.get_db_prep_save(getattr(obj, column.attname), connection) for obj in part
                  for column in columns]
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {quote(Payment._meta.db_table)} AS p SET {assignments} "  # noqa: S608 - column names only
                f"FROM (VALUES {', '.join([row] * len(part))}) AS v({names}) "
                f"WHERE p.{quote(pk.column)} = v.{quote(pk.column)}",
                params,
            )


def _schedule_order_syncs(order_ids: list[int]) -> None:
    def queue() -> None:
        from payments.tasks import order_payment_sync_batch_task

        for start in range(0, len(order_ids), ORDER_SYNC_CHUNK):
            order_payment_sync_batch_task.delay(order_ids[start : start + ORDER_SYNC_CHUNK])

    transaction.on_commit(queue)


def charges_reversed(payment_ids: list[int]) -> set[int]:
    """The payments among these whose charge was reversed (expired or failed), in one query."""
    if not payment_ids:
        return set()
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for payment_id, kind, count in (
        JournalEntry.objects.filter(payment_id__in=payment_ids,
                                    kind__in=[JournalEntry.Kind.CHARGE, JournalEntry.Kind.CHARGE_REVERSAL])
        .values("payment_id", "kind").annotate(n=Count("id")).values_list("payment_id", "kind", "n")
    ):
        counts[payment_id][kind] = count
    return {pid for pid, c in counts.items()
            if c[JournalEntry.Kind.CHARGE] > 0 and c[JournalEntry.Kind.CHARGE_REVERSAL] >= c[JournalEntry.Kind.CHARGE]}


def _charge_reversed(payment: Payment) -> bool:
    return payment.pk in charges_reversed([payment.pk])


def plan_payment_paid(
    payment: Payment, *, now: datetime, booked_on: date, actor=None, source: str, note: str = "",
    received_amount: int | None = None, fee_amount: int = 0, provider_reference: str = "",
    charge_reversed: bool = False, data: dict | None = None,
) -> PaymentPlan:
    """pending/needs_review -> paid, the whole expected amount received unless told otherwise.

    The one plan behind a Finance approval, a gateway callback and a statement credit matched to
    a pending transfer."""
    target = max(payment.received_amount, payment.amount) if received_amount is None else received_amount
    if target < 0 or fee_amount < 0 or fee_amount > target:
        raise DomainError("Amounts must not be negative and the fee must not exceed the amount.")
    return plan_payment_transition(
        payment, target=PaymentStatus.PAID, kind="paid", now=now, booked_on=booked_on, actor=actor, source=source,
        note=note, received_amount=target, fee_amount=fee_amount, receipt_fee=fee_amount,
        provider_reference=provider_reference, charge_reversed=charge_reversed,
        data={"fee_amount": fee_amount, **(data or {})},
    )


def plan_payment_flagged(
    payment: Payment, *, now: datetime, booked_on: date, reason: str, actor=None, source: str,
    received_amount: int | None = None, data: dict | None = None,
) -> PaymentPlan:
    """pending/expired -> needs_review, booking money received with it (a late transfer...)."""
    return plan_payment_transition(
        payment, target=PaymentStatus.NEEDS_REVIEW, kind="flagged", now=now, booked_on=booked_on, actor=actor,
        source=source, note=reason, received_amount=received_amount, data=data,
    )


def payment_mark_paid(
    *,
    payment_id: int,
    actor=None,
    source: str = "staff",
    note: str = "",
    received_amount: int | None = None,
    fee_amount: int = 0,
    provider_reference: str = "",
    booked_on: date | None = None,
) -> Payment:
    """pending/needs_review -> paid, posting the receipt. Safe to call twice: a received payment
    is returned unchanged, so a webhook and a manual approval at once give one receipt."""
    with transaction.atomic():
        payment = _lock(payment_id)
        if payment.status in RECEIVED_STATUSES:
            return payment
        _check(payment, PaymentStatus.PAID)
        now = timezone.now()
        plan = plan_payment_paid(
            payment, now=now, booked_on=booked_on or _local_today(now), actor=actor, source=source, note=note,
            received_amount=received_amount, fee_amount=fee_amount, provider_reference=provider_reference,
            charge_reversed=_charge_reversed(payment),
        )
        payments_write([plan])
    return payment


def payment_receive(
    *,
    payment_id: int,
    amount: int,
    key: str,
    actor=None,
    source: str = "staff",
    note: str = "",
    booked_on: date | None = None,
    fee_amount: int = 0,
    data: dict | None = None,
) -> Payment:
    """Money arrived for a payment (a statement line matched by hand, part of a split...).

    Received in full -> paid; less -> stays pending (order partially paid); for an expired
    payment -> needs_review, since its order may already be cancelled. `key` makes it idempotent.
    """
    if amount <= 0:
        raise DomainError("The amount received must be positive.", detail={"amount": amount})
    with transaction.atomic():
        payment = _lock(payment_id)
        if JournalEntry.objects.filter(key=key).exists():
            return payment
        if payment.status not in (PaymentStatus.PENDING, PaymentStatus.NEEDS_REVIEW, PaymentStatus.EXPIRED):
            raise InvalidTransition(
                entity="Payment", current=payment.status, target=PaymentStatus.PAID,
                message=f"Payment {payment.reference} is {payment.status} and takes no more money.",
            )
        now = timezone.now()
        target = payment.status
        if payment.status == PaymentStatus.EXPIRED:
            target = PaymentStatus.NEEDS_REVIEW
        elif payment.status == PaymentStatus.PENDING and payment.received_amount + amount >= payment.amount:
            target = PaymentStatus.PAID
        plan = plan_payment_transition(
            payment, target=target, kind="received", now=now, booked_on=booked_on or _local_today(now), actor=actor,
            source=source, note=note, received_amount=payment.received_amount + amount,
            fee_amount=payment.fee_amount + fee_amount, receipt_fee=fee_amount, receipt_key=key,
            data={"amount": amount, **(data or {})},
        )
        payments_write([plan])
    return payment


def payment_accept_short(
    *, payment_id: int, shortfall: int, reason: str, key: str, actor, source: str = "staff",
) -> Payment:
    """Finance accepts less than expected as the whole payment: the shortfall is written off (no
    longer due, so the order counts as paid) and the payment goes pending/needs_review -> paid.

    Only for holders of payments.accept_short_payment (the Finance role). `key` makes it idempotent.
    """
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Accepting a short payment needs a reason.", detail={"fields": {"reason": ["required"]}})
    if shortfall <= 0:
        raise DomainError("The shortfall must be positive.", detail={"shortfall": shortfall})
    if not (actor is not None and actor.has_perm("payments.accept_short_payment")):
        raise DomainError("Only Finance may accept a short payment as paid.",
                          detail={"fields": {"decision": ["finance only"]}})
    with transaction.atomic():
        payment = _lock(payment_id)
        _check(payment, PaymentStatus.PAID)
        journal.journal_post(
            key=key, kind=JournalEntry.Kind.WRITE_OFF, booked_on=_local_today(),
            lines=[(Account.SALES, shortfall, 0), (Account.RECEIVABLE, 0, shortfall)],
            description=f"Short payment accepted on {payment.reference}: {reason}",
            order_id=payment.order_id, payment_id=payment.pk, actor=actor,
        )
        return payment_mark_paid(payment_id=payment.pk, actor=actor, source=source, note=reason,
                                 received_amount=payment.received_amount, fee_amount=payment.fee_amount)


def payment_flag_for_review(
    *, payment_id: int, reason: str, actor=None, source: str = "system", received_amount: int | None = None,
    booked_on: date | None = None,
) -> Payment:
    """pending/expired -> needs_review (amount mismatch, fraud challenge, late transfer)."""
    with transaction.atomic():
        payment = _lock(payment_id)
        if payment.status == PaymentStatus.NEEDS_REVIEW:
            return payment
        now = timezone.now()
        plan = plan_payment_flagged(payment, now=now, booked_on=booked_on or _local_today(now), reason=reason,
                                    actor=actor, source=source, received_amount=received_amount)
        payments_write([plan])
    return payment


def payment_mark_failed(*, payment_id: int, reason: str, actor=None, source: str = "staff") -> Payment:
    """pending/needs_review -> failed (denied, cancelled, rejected). Money received must be refunded instead."""
    with transaction.atomic():
        payment = _lock(payment_id)
        if payment.status == PaymentStatus.FAILED:
            return payment
        _check(payment, PaymentStatus.FAILED)
        if payment.received_amount > payment.refunded_amount:
            raise Conflict(
                f"Payment {payment.reference} has money received; refund it instead of failing it."
            )
        old = payment.status
        payment.status = PaymentStatus.FAILED
        payment.save(update_fields=["status", "updated_at"])
        if not _charge_reversed(payment):
            journal.post_charge_reversal(payment=payment, booked_on=_local_today())
        _event(payment, "failed", old, payment.status, actor=actor, source=source, note=reason)
        _schedule_order_sync(payment.order_id)
    return payment


def payment_expire(*, payment_id: int, actor=None, source: str = "system", note: str = "") -> Payment:
    """pending -> expired: the payment window passed with nothing received. Frees the kode unik."""
    with transaction.atomic():
        payment = _lock(payment_id)
        if payment.status == PaymentStatus.EXPIRED:
            return payment
        _check(payment, PaymentStatus.EXPIRED)
        old = payment.status
        payment.status = PaymentStatus.EXPIRED
        payment.save(update_fields=["status", "updated_at"])
        if not _charge_reversed(payment):
            journal.post_charge_reversal(payment=payment, booked_on=_local_today())
        _event(payment, "expired", old, payment.status, actor=actor, source=source,
               note=note or "Payment window passed")
    return payment


def payment_note_provider_status(*, payment_id: int, status: str, source: str, note: str = "") -> Payment:
    """Record a gateway status that changes nothing (pending, or a late one after paid)."""
    with transaction.atomic():
        payment = _lock(payment_id)
        if payment.status == PaymentStatus.PENDING:
            payment.provider_status = status
            payment.save(update_fields=["provider_status", "updated_at"])
        _event(payment, "provider_status", payment.status, payment.status, actor=None, source=source,
               note=note or f"Gateway said {status}; no change.")
    return payment


# --- Refunds ----------------------------------------------------------------------------------


def refund_create(
    *,
    payment_id: int,
    amount: int,
    reason: str,
    kind: str = "other",
    reference: str = "",
    actor=None,
    source: str = "staff",
):
    """Give money back on a payment (full or partial), linked to a cancellation or return.

    paid/partially_refunded -> partially_refunded or refunded; needs_review -> refunded (money we
    cannot keep, e.g. a late transfer for a cancelled order) only for the whole amount.
    """
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
        _event(payment, "refunded", old, target, actor=actor, source=source, note=reason,
               data={"refund_id": refund.pk, "amount": amount, "kind": kind, "reference": reference})
        _schedule_order_sync(payment.order_id)
    return refund


# --- The order's side -------------------------------------------------------------------------


def order_payment_sync(*, order_id: int) -> str:
    """Move the order forward when its payments cover it; a batch of one of orders_payment_sync_many.

    Returns the derived payment state. Idempotent: called after every payment change.
    """
    return orders_payment_sync_many(order_ids=[order_id])[order_id]


def orders_payment_sync_many(*, order_ids) -> dict[int, str]:
    """Move every order whose payments cover it from awaiting payment to paid, in one batch.

    The payment summaries of all the orders come from a constant number of queries
    (selectors.order_payment_summaries); the orders to move go through orders_mark_paid_many once
    (the order-transition planner and writer: status, paid_at, event, status-changed hooks), each
    with the note "Payments received: Rp <received>". Orders cancelled meanwhile are skipped.
    Returns each order's derived payment state. Idempotent.
    """
    from orders.models import Order, OrderStatus
    from orders.services import orders_mark_paid_many
    from payments.selectors import order_payment_summaries

    summaries = order_payment_summaries(order_ids=order_ids)
    covered = [pk for pk, summary in summaries.items() if summary["state"] in ("paid", "overpaid")]
    waiting = Order.objects.filter(pk__in=covered, status=OrderStatus.AWAITING_PAYMENT).values_list("pk", flat=True)
    notes = {pk: f"Payments received: Rp {summaries[pk]['received']}" for pk in waiting}
    if notes:
        orders_mark_paid_many(order_ids=list(notes), actor=None, source="payments", notes=notes)
    return {pk: summary["state"] for pk, summary in summaries.items()}


def overdue_orders_queryset(now: datetime | None = None, *, include_partial: bool = False):
    """Orders still awaiting a transfer/gateway payment whose window has passed, nothing received.

    `include_partial` also lists those that received part of the money (Finance chases them;
    they are never expired automatically)."""
    from django.db.models import Exists, OuterRef, Q

    from orders.models import Order, OrderStatus

    now = now or timezone.now()
    expired_open = Payment.objects.filter(
        order_id=OuterRef("pk"), status=PaymentStatus.PENDING, expires_at__lt=now,
        method__in=[PaymentMethod.BANK_TRANSFER, *GATEWAY_METHODS],
    )
    blocking = Q(method__in=[PaymentMethod.COD, PaymentMethod.MARKETPLACE]) | Q(status=PaymentStatus.NEEDS_REVIEW)
    if not include_partial:
        blocking |= Q(received_amount__gt=0)
    money_or_cod = Payment.objects.filter(order_id=OuterRef("pk")).filter(blocking)
    return (
        Order.objects.filter(status=OrderStatus.AWAITING_PAYMENT)
        .filter(Q(Exists(expired_open)) | Q(payment_due_at__lt=now, payments__isnull=True))
        .exclude(Exists(money_or_cod))
        .distinct()
    )


def expire_overdue(*, limit: int = 500) -> int:
    """Expire payments and orders past their window (Celery beat). Returns orders expired."""
    from orders import services as order_services

    done = 0
    for order_id in list(overdue_orders_queryset().values_list("pk", flat=True)[:limit]):
        try:
            with transaction.atomic():
                for payment_id in Payment.objects.filter(
                    order_id=order_id, status=PaymentStatus.PENDING, received_amount=0
                ).values_list("pk", flat=True):
                    payment_expire(payment_id=payment_id, source="system")
                order_services.order_expire(order_id=order_id, actor=None, source="system",
                                            note="Payment window passed")
            done += 1
        except DomainError as exc:
            logger.warning("could not expire order %s: %s", order_id, exc)
    return done
