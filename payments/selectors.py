"""Read side of payments: summaries, instructions for customers, queues and lists."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from payments import conf
from payments.models import (
    GATEWAY_METHODS,
    Account,
    BankAccount,
    JournalEntry,
    JournalLine,
    LineMatch,
    Payment,
    PaymentMethod,
    PaymentProof,
    PaymentStatus,
    Refund,
    StatementImport,
    StatementLine,
)
from payments.statements.references import description_tokens, plain_reference
from payments.states import PaymentFigures, derive_order_payment_state


def order_payment_summary(*, order_id: int) -> dict:
    """What is expected, received, withheld as fees, refunded and still outstanding for an order.

    expected comes from the journal (what is due: charges minus reversals and short payments
    Finance accepted); received is net of fees and refunds, so expected = received + fees +
    (refunds - overpayments given back) + outstanding always holds.
    """
    return order_payment_summaries(order_ids=[order_id])[order_id]


def order_payment_summaries(*, order_ids) -> dict[int, dict]:
    """order_payment_summary for many orders in four queries whatever their number (an order
    that does not exist gets the summary of an order with nothing due)."""
    from orders.models import Order

    ids = sorted({int(pk) for pk in order_ids})
    payments: dict[int, list[dict]] = {pk: [] for pk in ids}
    for row in (Payment.objects.filter(order_id__in=ids)
                .values("id", "order_id", "status", "amount", "received_amount", "refunded_amount", "fee_amount")):
        payments[row["order_id"]].append(row)
    with_payments = [pk for pk in ids if payments[pk]]
    due = dict.fromkeys(ids, 0)
    for order_id, debit, credit in (
        JournalLine.objects.filter(entry__order_id__in=with_payments, account=Account.RECEIVABLE,
                                   entry__kind__in=[JournalEntry.Kind.CHARGE, JournalEntry.Kind.CHARGE_REVERSAL,
                                                    JournalEntry.Kind.WRITE_OFF])
        .values("entry__order_id").annotate(d=Coalesce(Sum("debit_amount"), 0), c=Coalesce(Sum("credit_amount"), 0))
        .values_list("entry__order_id", "d", "c")
    ) if with_payments else ():
        due[order_id] = debit - credit
    without = [pk for pk in ids if not payments[pk]]
    if without:
        due.update(Order.objects.filter(pk__in=without).values_list("pk", "total_amount"))
    refunding = [pk for pk in with_payments if any(p["refunded_amount"] for p in payments[pk])]
    overpaid_back: dict[int, int] = dict(
        Refund.objects.filter(order_id__in=refunding, kind=Refund.Kind.OVERPAYMENT).values_list("payment_id")
        .annotate(total=Sum("amount")).values_list("payment_id", "total")
    ) if refunding else {}
    return {pk: _summary(due[pk], payments[pk], overpaid_back) for pk in ids}


def _summary(expected: int, payments: list[dict], overpaid_back: dict[int, int]) -> dict:
    gross = sum(p["received_amount"] for p in payments)
    fees = sum(p["fee_amount"] for p in payments)
    refunded = sum(p["refunded_amount"] for p in payments)
    given_back = sum(overpaid_back.get(p["id"], 0) for p in payments)
    state = derive_order_payment_state(
        expected_amount=expected,
        payments=[PaymentFigures(p["status"], p["amount"], p["received_amount"], p["refunded_amount"],
                                 overpaid_back.get(p["id"], 0))
                  for p in payments],
    )
    return {
        "expected": expected,
        "received": gross - fees - refunded,
        "received_gross": gross,
        "fees": fees,
        "refunded": refunded,
        # An overpayment given back is no longer received: it does not count against what is due.
        "outstanding": expected - gross + given_back,
        "state": state,
    }


def match_difference(*, line_amount: int, payment: Payment) -> int:
    """A credit matched by hand against what the payment still expects: > 0 overpaid, < 0 short."""
    return line_amount - max(payment.amount - payment.received_amount, 0)


def order_payment_state(*, order_id: int) -> str:
    return order_payment_summary(order_id=order_id)["state"]


def payment_instructions_for_order(*, order_id: int) -> dict | None:
    """What the customer must do to pay (for the order page and the confirmation message).

    For a bank transfer: the exact amount including the kode unik, the accounts, the deadline and
    whether a proof may be uploaded. None when the order has no payment.
    """
    payment = (
        Payment.objects.filter(order_id=order_id)
        .select_related("order")
        .order_by("-created_at", "-id")
        .first()
    )
    if payment is None:
        return None
    summary = order_payment_summary(order_id=order_id)
    result = {
        "payment": payment,
        "method": payment.method,
        "method_label": payment.get_method_display(),
        "status": payment.status,
        "status_label": payment.get_status_display(),
        "amount": payment.amount,
        "base_amount": payment.base_amount,
        "unique_code": payment.unique_code,
        "unique_code_abs": payment.unique_code_abs,
        "match_by_order_number": payment.match_by_order_number,
        "order_number": payment.order.number,
        "expires_at": payment.expires_at,
        "is_open": payment.status == PaymentStatus.PENDING,
        "state": summary["state"],
        "outstanding": max(summary["outstanding"], 0),
        "bank_accounts": [],
        "can_upload_proof": False,
        "proofs": [],
        "upload_url": "",
        "checkout_url": "",
    }
    if payment.method in GATEWAY_METHODS and payment.status == PaymentStatus.PENDING:
        from django.urls import reverse

        result["checkout_url"] = reverse(
            "payments-pay:checkout", kwargs={"number": payment.order.number, "key": payment.order.access_key}
        )
    if payment.method == PaymentMethod.BANK_TRANSFER:
        result["bank_accounts"] = list(BankAccount.objects.filter(is_active=True))
        result["can_upload_proof"] = payment.status in (PaymentStatus.PENDING, PaymentStatus.EXPIRED)
        result["proofs"] = list(payment.proofs.order_by("-uploaded_at")[:5])
        from django.urls import reverse

        result["upload_url"] = reverse(
            "payments-pay:proof", kwargs={"number": payment.order.number, "key": payment.order.access_key}
        )
    return result


# --- Queues -----------------------------------------------------------------------------------


def proofs_to_verify() -> QuerySet[PaymentProof]:
    return PaymentProof.objects.filter(status=PaymentProof.Status.PENDING).select_related(
        "payment", "payment__order", "payment__order__customer"
    )


def candidate_lines_for_payment(payment: Payment, *, limit: int = 5) -> list[StatementLine]:
    """Open credits that could be this payment: same amount first, then the base amount."""
    open_lines = StatementLine.objects.filter(
        is_credit=True, is_pending=False, match_status__in=[LineMatch.UNMATCHED, LineMatch.AMBIGUOUS]
    )
    since = timezone.localdate(payment.created_at) - timedelta(days=1)
    return list(
        open_lines.filter(Q(amount=payment.amount) | Q(amount=payment.base_amount), booked_on__gte=since)
        .order_by("booked_on")[:limit]
    )


def candidate_lines_for_payments(payments: list[Payment], *, limit: int = 5) -> dict[int, list[StatementLine]]:
    """candidate_lines_for_payment for a page of payments, in one query."""
    if not payments:
        return {}
    amounts = {p.amount for p in payments} | {p.base_amount for p in payments}
    since = min(timezone.localdate(p.created_at) for p in payments) - timedelta(days=1)
    lines = list(
        StatementLine.objects.filter(
            is_credit=True, is_pending=False, match_status__in=[LineMatch.UNMATCHED, LineMatch.AMBIGUOUS],
            amount__in=amounts, booked_on__gte=since,
        ).order_by("booked_on", "id")[:500]
    )
    result = {}
    for payment in payments:
        start = timezone.localdate(payment.created_at) - timedelta(days=1)
        result[payment.pk] = [
            ln for ln in lines if ln.amount in (payment.amount, payment.base_amount) and ln.booked_on >= start
        ][:limit]
    return result


def candidate_payments_for_lines(lines: list[StatementLine], *, limit: int = 10) -> dict[int, list[Payment]]:
    """candidate_payments_for_line for a page of lines, in one query."""
    if not lines:
        return {}
    near = Q()
    for line in lines:
        near |= Q(amount__gt=line.amount - 1000, amount__lt=line.amount + 1000) | Q(base_amount=line.amount)
    payments = list(
        Payment.objects.filter(
            method=PaymentMethod.BANK_TRANSFER,
            status__in=[PaymentStatus.PENDING, PaymentStatus.EXPIRED, PaymentStatus.NEEDS_REVIEW],
        )
        .filter(near)
        .select_related("order")
        .order_by("-created_at")[:1000]
    )
    # Transfers opened without a kode unik are found by their order number in the description.
    by_number: dict[str, list[Payment]] = {}
    for payment in Payment.objects.filter(
        method=PaymentMethod.BANK_TRANSFER, match_by_order_number=True,
        status__in=[PaymentStatus.PENDING, PaymentStatus.EXPIRED, PaymentStatus.NEEDS_REVIEW],
    ).select_related("order"):
        by_number.setdefault(plain_reference(payment.order.number), []).append(payment)
    result = {}
    for line in lines:
        named = [p for token in description_tokens(line.description) for p in by_number.get(token, ())]
        found = [p for p in payments if (abs(p.amount - line.amount) < 1000 or p.base_amount == line.amount)
                 and p not in named]
        found.sort(key=lambda p: (p.amount != line.amount, p.base_amount != line.amount))
        result[line.pk] = (named + found)[:limit]
    return result


def open_lines(status: str) -> QuerySet[StatementLine]:
    return StatementLine.objects.filter(match_status=status, is_credit=True).select_related(
        "statement_import", "payment"
    )


def needs_review_payments() -> QuerySet[Payment]:
    return Payment.objects.filter(status=PaymentStatus.NEEDS_REVIEW).select_related("order", "order__customer")


def overdue_orders():
    from payments.services.order_sync import overdue_orders_queryset

    return overdue_orders_queryset(include_partial=True)


def unsettled_marketplace_payments(*, days: int | None = None) -> QuerySet[Payment]:
    """Marketplace orders whose payout has not come in N days after the order."""
    days = days or conf.unsettled_after_days()
    cutoff = timezone.now() - timedelta(days=days)
    return (
        Payment.objects.filter(method=PaymentMethod.MARKETPLACE, status=PaymentStatus.PENDING, created_at__lt=cutoff)
        .exclude(order__status="cancelled")
        .select_related("order", "order__channel")
    )


def outstanding_cod_payments() -> QuerySet[Payment]:
    """COD payments of delivered orders the courier has not remitted yet."""
    return Payment.objects.filter(
        method=PaymentMethod.COD, status=PaymentStatus.PENDING, order__status__in=["delivered", "completed"]
    ).select_related("order")


def outstanding_cod_by_courier(*, today=None) -> list[dict]:
    """Outstanding COD per courier with ageing buckets (days since the order was delivered)."""
    from orders.models import OrderEvent

    today = today or timezone.localdate()
    delivered_at = (
        OrderEvent.objects.filter(order_id=OuterRef("order_id"), to_status="delivered")
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    rows = outstanding_cod_payments().annotate(delivered_at=delivered_at).values(
        "order__courier", "amount", "delivered_at", "order__updated_at"
    )
    buckets: dict[str, dict] = {}
    for row in rows:
        courier = row["order__courier"] or "-"
        when = row["delivered_at"] or row["order__updated_at"]
        age = (today - timezone.localdate(when)).days if when else 0
        bucket = "0_7" if age <= 7 else "8_14" if age <= 14 else "15_30" if age <= 30 else "over_30"
        entry = buckets.setdefault(courier, {"courier": courier, "count": 0, "amount": 0,
                                             "0_7": 0, "8_14": 0, "15_30": 0, "over_30": 0})
        entry["count"] += 1
        entry["amount"] += row["amount"]
        entry[bucket] += row["amount"]
    return sorted(buckets.values(), key=lambda b: -b["amount"])


def refunds_due() -> QuerySet[Payment]:
    """Money we still hold for cancelled orders (marketplaces refund their buyers themselves)."""
    return (
        Payment.objects.filter(order__status="cancelled", received_amount__gt=F("refunded_amount"))
        .exclude(method=PaymentMethod.MARKETPLACE)
        .select_related("order", "order__customer", "order__channel")
    )


def queue_counts() -> dict[str, int]:
    return {
        "proofs": proofs_to_verify().count(),
        "unmatched": open_lines(LineMatch.UNMATCHED).count(),
        "ambiguous": open_lines(LineMatch.AMBIGUOUS).count(),
        "needs_review": needs_review_payments().count(),
        "overdue": overdue_orders().count(),
        "unsettled": unsettled_marketplace_payments().count(),
        "cod": outstanding_cod_payments().count(),
        "refunds_due": refunds_due().count(),
    }


# --- Lists --------------------------------------------------------------------------------------


def payment_list(*, order_id: int | None = None, status: str | None = None, method: str | None = None,
                 search: str = "") -> QuerySet[Payment]:
    qs = Payment.objects.select_related("order", "order__customer", "order__channel")
    if order_id:
        qs = qs.filter(order_id=order_id)
    if status:
        qs = qs.filter(status=status)
    if method:
        qs = qs.filter(method=method)
    if search:
        qs = qs.filter(Q(reference__icontains=search) | Q(order__number__icontains=search))
    return qs


def statement_import_list() -> QuerySet[StatementImport]:
    return StatementImport.objects.select_related("bank_account", "created_by")


def journal_lines(*, date_from=None, date_to=None) -> QuerySet[JournalLine]:
    qs = JournalLine.objects.select_related("entry", "entry__order", "entry__payment").order_by(
        "entry__booked_on", "entry_id", "id"
    )
    if date_from:
        qs = qs.filter(entry__booked_on__gte=date_from)
    if date_to:
        qs = qs.filter(entry__booked_on__lte=date_to)
    return qs


def journal_daily_totals() -> list[dict]:
    """Per day: total debits and credits (they must be equal)."""
    return list(
        JournalLine.objects.values(day=F("entry__booked_on"))
        .annotate(debit=Sum("debit_amount"), credit=Sum("credit_amount"), lines=Count("id"))
        .order_by("day")
    )


def order_expiry_block_reason(order_id: int) -> str | None:
    """Why an unpaid order must not be cancelled for its passed deadline, or None.

    Registered as an orders expiry guard: money already received (in part), a payment waiting for
    review, or a proof of transfer waiting for Finance means a person decides, not the sweep.
    """
    pending_proof = PaymentProof.objects.filter(payment=OuterRef("pk"), status=PaymentProof.Status.PENDING)
    blocking = (
        Payment.objects.filter(order_id=order_id)
        .filter(Q(received_amount__gt=0) | Q(status=PaymentStatus.NEEDS_REVIEW) | Exists(pending_proof))
        .values_list("status", "received_amount")
        .first()
    )
    if blocking is None:
        return None
    status, received = blocking
    if received:
        return "money received for this order; Finance decides"
    if status == PaymentStatus.NEEDS_REVIEW:
        return "a payment of this order needs review"
    return "a proof of transfer waits for verification"
