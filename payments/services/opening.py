"""Opening the payment an order expects, with its kode unik for a bank transfer.

Used by the order-created hook (payments.services.hooks) and by staff opening a further payment.
"""

from __future__ import annotations

import logging
import random
from datetime import date, datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from core.db import mark_saved
from core.errors import Conflict, DomainError, NotFound
from payments import conf
from payments.models import GATEWAY_METHODS, Payment, PaymentMethod, PaymentStatus
from payments.services import journal
from payments.services.transitions import _local_today

logger = logging.getLogger(__name__)


# Namespace of the advisory locks that serialise kode unik allocation per base amount.
UNIQUE_CODE_LOCK_NAMESPACE = 5_005


# The note on a bank transfer opened without a kode unik (every code of its amount was taken).
NO_CODE_NOTE = "Match by order number, no unique code"


METHOD_ALIASES = {
    "bank_transfer": PaymentMethod.BANK_TRANSFER, "transfer": PaymentMethod.BANK_TRANSFER,
    "bank": PaymentMethod.BANK_TRANSFER, "manual_transfer": PaymentMethod.BANK_TRANSFER,
    "virtual_account": PaymentMethod.VIRTUAL_ACCOUNT, "va": PaymentMethod.VIRTUAL_ACCOUNT,
    "bank_transfer_va": PaymentMethod.VIRTUAL_ACCOUNT, "echannel": PaymentMethod.VIRTUAL_ACCOUNT,
    "ewallet": PaymentMethod.EWALLET, "e_wallet": PaymentMethod.EWALLET, "gopay": PaymentMethod.EWALLET,
    "ovo": PaymentMethod.EWALLET, "dana": PaymentMethod.EWALLET, "shopeepay": PaymentMethod.EWALLET,
    "qris": PaymentMethod.QRIS, "card": PaymentMethod.CARD, "credit_card": PaymentMethod.CARD, "cod": PaymentMethod.COD,
    "cash_on_delivery": PaymentMethod.COD, "marketplace": PaymentMethod.MARKETPLACE,
}


def payment_method_for_order(order) -> str:
    """Our payment method for an order: marketplaces collect themselves; else the order's choice."""
    if order.channel.is_marketplace:
        return PaymentMethod.MARKETPLACE
    key = (order.payment_method or "").strip().lower().replace("-", "_").replace(" ", "_")
    return METHOD_ALIASES.get(key, PaymentMethod.BANK_TRANSFER)


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
            method=PaymentMethod.BANK_TRANSFER, status=PaymentStatus.PENDING, amount__gte=base_amount - lowering,
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


def _insert_payment(payment: Payment, *, pick_code: bool, guess: bool = False) -> bool:
    """INSERT the payment ... ON CONFLICT DO NOTHING, one statement, no savepoint. With `pick_code`
    the same statement picks a code no open transfer's amount uses (raising at random while free,
    then lowering, never below the floor); the caller holds the base amount's advisory lock. With
    `guess` a random raising code is tried as it is (nearly always free, far cheaper). False when
    nothing was inserted: the reference exists, no code is free, or the partial unique index refused."""
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
            raising, lowering, payment.base_amount, PaymentMethod.BANK_TRANSFER, PaymentStatus.PENDING,
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
    mark_saved(payment, row[0])
    payment.unique_code, payment.amount = row[1], row[2]
    return True


def _write_opened(payment: Payment, *, actor, source: str, booked_on: date) -> None:
    """The 'opened' event and the charge journal entry with its two lines, in one statement."""
    data = {"amount": payment.amount, "unique_code": payment.unique_code}
    note = ""
    if payment.match_by_order_number:
        data["match_by_order_number"] = True
        note = NO_CODE_NOTE
    event = journal.Event(payment.pk, "opened", "", payment.status, getattr(actor, "pk", None), source, note, data)
    journal.journal_post_many([journal.charge_posting(payment=payment, booked_on=booked_on)], events=[event])


def _payment_open(
        *, order, method: str, amount: int | None, actor, source: str, expires_at: datetime | None, first: bool
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
    if bank:
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


def payment_open(*, order_id: int, method: str | None = None, amount: int | None = None, actor=None,
        source: str = "system", expires_at: datetime | None = None) -> Payment:
    """Open the payment we expect for an order. A bank transfer gets a kode unik (+1..+999, then
    -1..-999) unique among open transfers (an advisory lock per base amount, a partial unique index as
    backstop); with every code taken it expects the plain amount and is matched by order number."""
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
