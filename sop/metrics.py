"""What an SOP target measures, from the events the other apps already record.

Each metric turns a date range into items (one per order, proof or case) with a start, the moment
the work was done (or None while still open), the deadline from the step's threshold, and who did
it. Working-hour thresholds go through the one deadline engine (core.deadlines): lunch breaks,
weekends, holidays and closures do not count. A metric whose source app has not landed reports
itself unavailable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

ITEM_LIMIT = 50_000


@dataclass(frozen=True)
class Item:
    ref: str
    url: str
    start: datetime
    done: datetime | None
    deadline: datetime
    actor_id: int | None

    def met(self, now: datetime) -> bool | None:
        """True/False when decided; None while open and not yet late."""
        if self.done is not None:
            return self.done <= self.deadline
        return False if now > self.deadline else None


@dataclass(frozen=True)
class Metric:
    key: str
    label: Promise
    unit: str  # working_hours | hours | days
    items: Callable[[date, date, Decimal], list[Item]]
    available: Callable[[], str | None]  # None when it can be measured, else why not
    # A metric whose deadline is plain arithmetic on a stored time (no working hours) can also give its
    # items as SQL (columns id, done, deadline, actor_id; %(lo)s/%(hi)s bound the range; ORDER_DETAILS_SQL the rest),
    # so the compliance page aggregates them in the database (sop.selectors) instead of in Python.
    sql: Callable[[Decimal], tuple[str, dict]] | None = None


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    return (timezone.make_aware(datetime.combine(start, time.min), tz),
            timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), tz))


def calendar():
    """The shop's business calendar (core.deadlines), or None while it has not landed."""
    try:
        from core.deadlines import business_calendar
    except ImportError:
        return None
    return business_calendar()


def _calendar_missing() -> str | None:
    return None if calendar() is not None else str(
        _("Waiting for the business calendar (working hours and holidays) to be installed."))


def _app_missing(app_label: str, model: str) -> Callable[[], str | None]:
    def check() -> str | None:
        from django.apps import apps

        try:
            apps.get_model(app_label, model)
        except LookupError:
            return str(_("Not available yet: the %(app)s app has not been installed.") % {"app": app_label})
        return None

    return check


def _working_deadline(start: datetime, threshold: Decimal) -> datetime:
    return calendar().add(start, timedelta(hours=float(threshold)))


def order_confirm_items(start: date, end: date, threshold: Decimal) -> list[Item]:
    """Orders ready to confirm (paid, or placed as cash on delivery) -> confirmed (processing)."""
    from django.db.models import Min, Q

    from orders.models import Order

    lo, hi = _bounds(start, end)
    orders = (
        Order.objects.filter(placed_at__gte=lo, placed_at__lt=hi)
        .exclude(Q(status="awaiting_payment") & ~Q(payment_method="cod"))
        .annotate(
            ready=Min("events__created_at", filter=Q(events__to_status__in=["paid"])),
            confirmed=Min("events__created_at", filter=Q(events__to_status="processing")),
        )
        .values("id", "number", "placed_at", "payment_method", "ready", "confirmed", "status")[:ITEM_LIMIT]
    )
    kept = []
    for o in orders:
        ready = o["ready"] or (o["placed_at"] if o["payment_method"] == "cod" else None)
        if ready is None or (o["status"] == "cancelled" and o["confirmed"] is None):
            continue
        kept.append((o, ready))
    # the confirmers of the orders that are items only (not of every order of the range)
    confirmers = _actors("orders.OrderEvent", "order_id", [o["id"] for o, _r in kept], to_status="processing")
    items = []
    for o, ready in kept:
        items.append(Item(o["number"], reverse("orders:detail", args=[o["id"]]), ready, o["confirmed"],
                          _working_deadline(ready, threshold), confirmers.get(o["id"])))
    return items


def _actors(model_path: str, fk: str, ids: list[int], **filters) -> dict[int, int]:
    from django.apps import apps

    model = apps.get_model(model_path)
    rows = model.objects.filter(**{f"{fk}__in": ids}, **filters).exclude(actor=None).order_by("created_at")
    result: dict[int, int] = {}
    for key, actor in rows.values_list(fk, "actor_id"):
        result.setdefault(key, actor)
    return result


def payment_verify_items(start: date, end: date, threshold: Decimal) -> list[Item]:
    """Proofs of transfer uploaded -> approved or rejected by Finance."""
    from payments.models import PaymentProof

    lo, hi = _bounds(start, end)
    proofs = PaymentProof.objects.filter(uploaded_at__gte=lo, uploaded_at__lt=hi).values(
        "id", "uploaded_at", "decided_at", "decided_by_id", "payment__order_id", "payment__order__number")[:ITEM_LIMIT]
    return [
        Item(p["payment__order__number"], reverse("orders:detail", args=[p["payment__order_id"]]), p["uploaded_at"],
             p["decided_at"], _working_deadline(p["uploaded_at"], threshold), p["decided_by_id"])
        for p in proofs
    ]


def ship_by_items(start: date, end: date, threshold: Decimal) -> list[Item]:
    """Orders with a ship-by time -> shipped (threshold: hours of grace after the ship-by time)."""
    from orders.models import Order

    lo, hi = _bounds(start, end)
    orders = list(Order.objects.filter(ship_by__gte=lo, ship_by__lt=hi).exclude(status="cancelled").values(
        "id", "number", "ship_by", "shipped_at", "paid_at", "placed_at")[:ITEM_LIMIT])
    shippers = _actors("orders.OrderEvent", "order_id", [o["id"] for o in orders], to_status="shipped")
    grace = timedelta(hours=float(threshold))
    return [
        Item(o["number"], reverse("orders:detail", args=[o["id"]]), o["paid_at"] or o["placed_at"], o["shipped_at"],
             o["ship_by"] + grace, shippers.get(o["id"]))
        for o in orders
    ]


def ship_by_sql(threshold: Decimal) -> tuple[str, dict]:
    """ship_by_items as SQL: the same orders, deadline and shipper (the first shipped event with an actor)."""
    return (
        """
        SELECT o.id, o.shipped_at AS done, o.ship_by + %(grace)s AS deadline,
               (SELECT e.actor_id FROM orders_orderevent e
                WHERE e.order_id = o.id AND e.to_status = 'shipped' AND e.actor_id IS NOT NULL
                ORDER BY e.created_at LIMIT 1) AS actor_id
        FROM orders_order o
        WHERE o.ship_by >= %(lo)s AND o.ship_by < %(hi)s AND NOT (o.status = 'cancelled')
        """,
        {"grace": timedelta(hours=float(threshold))},
    )


def review_request_sql(threshold: Decimal) -> tuple[str, dict]:
    """review_request_items as SQL: delivered orders -> the first review invitation of the order."""
    return (
        """
        SELECT o.id,
               (SELECT i.sent_at FROM aftersales_invitation i
                WHERE i.order_id = o.id AND i.kind = 'review' AND i.case_id IS NULL
                ORDER BY i.sent_at LIMIT 1) AS done,
               o.delivered_at + %(wait)s AS deadline, NULL::bigint AS actor_id
        FROM orders_order o
        WHERE o.delivered_at >= %(lo)s AND o.delivered_at < %(hi)s AND NOT (o.status = 'cancelled')
        """,
        {"wait": timedelta(days=float(threshold))},
    )


# The breach rows' details (read for at most 100 items): reference, order for the link, start.
ORDER_DETAILS_SQL = {
    "ship_by": "SELECT o.id, o.number, o.id, COALESCE(o.paid_at, o.placed_at) FROM orders_order o WHERE o.id = ANY(%s)",
    "review_request": "SELECT o.id, o.number, o.id, o.delivered_at FROM orders_order o WHERE o.id = ANY(%s)",
}


def complaint_first_reply_items(start: date, end: date, threshold: Decimal) -> list[Item]:
    """Complaints opened -> first reply to the customer (working hours), by whoever sent it."""
    from aftersales.models import Case, CaseKind, CaseMessage, MessageKind

    lo, hi = _bounds(start, end)
    cases = list(Case.objects.filter(kind=CaseKind.COMPLAINT, created_at__gte=lo, created_at__lt=hi).values(
        "id", "number", "created_at", "first_responded_at")[:ITEM_LIMIT])
    repliers: dict[int, int] = {}
    for case_id, author_id in (CaseMessage.objects.filter(case_id__in=[c["id"] for c in cases],
                                                          kind=MessageKind.OUTBOUND)
                               .exclude(author=None).order_by("created_at", "id").values_list("case_id", "author_id")):
        repliers.setdefault(case_id, author_id)
    return [
        Item(c["number"], reverse("aftersales:case", args=[c["id"]]), c["created_at"], c["first_responded_at"],
             _working_deadline(c["created_at"], threshold), repliers.get(c["id"]))
        for c in cases
    ]


def complaint_resolve_items(start: date, end: date, threshold: Decimal) -> list[Item]:
    """Complaints opened -> resolved, by the end of the threshold's working day after opening."""
    from aftersales.models import Case, CaseKind

    lo, hi = _bounds(start, end)
    cases = list(Case.objects.filter(kind=CaseKind.COMPLAINT, created_at__gte=lo, created_at__lt=hi).values(
        "id", "number", "created_at", "resolved_at")[:ITEM_LIMIT])
    resolvers = _actors("aftersales.CaseEvent", "case_id", [c["id"] for c in cases], to_status="resolved")
    cal = calendar()
    days = int(threshold.to_integral_value(rounding="ROUND_CEILING"))

    def deadline(opened: datetime) -> datetime:
        day = timezone.localtime(opened).date()
        while not cal.is_working_day(day):  # opened on a closed day: the clock starts on the next working day
            day += timedelta(days=1)
        return cal.end_of_day(cal.add_working_days(day, days))

    return [
        Item(c["number"], reverse("aftersales:case", args=[c["id"]]), c["created_at"], c["resolved_at"],
             deadline(c["created_at"]), resolvers.get(c["id"]))
        for c in cases
    ]


def review_request_items(start: date, end: date, threshold: Decimal) -> list[Item]:
    """Orders delivered -> the review invitation sent (calendar days)."""
    from django.db.models import OuterRef, Subquery

    from aftersales.models import Invitation
    from orders.models import Order

    lo, hi = _bounds(start, end)
    invited = Invitation.objects.filter(order=OuterRef("pk"), kind=Invitation.Kind.REVIEW, case__isnull=True)
    orders = Order.objects.filter(delivered_at__gte=lo, delivered_at__lt=hi).exclude(status="cancelled").annotate(
        invited=Subquery(invited.order_by("sent_at").values("sent_at")[:1]),
    ).values("id", "number", "delivered_at", "invited")[:ITEM_LIMIT]
    wait = timedelta(days=float(threshold))
    return [
        Item(o["number"], reverse("orders:detail", args=[o["id"]]), o["delivered_at"], o["invited"],
             o["delivered_at"] + wait, None)
        for o in orders
    ]


METRICS: dict[str, Metric] = {
    m.key: m
    for m in [
        Metric("order_confirm", _("Confirm new orders within (working hours)"), "working_hours",
               order_confirm_items, _calendar_missing),
        Metric("payment_verify", _("Verify proofs of transfer within (working hours)"), "working_hours",
               payment_verify_items, _calendar_missing),
        Metric("ship_by", _("Ship by the deadline (hours of grace)"), "hours", ship_by_items, lambda: None,
               sql=ship_by_sql),
        Metric("complaint_first_reply", _("First reply to complaints within (working hours)"), "working_hours",
               complaint_first_reply_items, _app_missing("aftersales", "Case")),
        Metric("complaint_resolve", _("Resolve complaints within (working days)"), "days",
               complaint_resolve_items, _app_missing("aftersales", "Case")),
        Metric("review_request", _("Ask for a review after delivery within (days)"), "days",
               review_request_items, _app_missing("aftersales", "Invitation"), sql=review_request_sql),
    ]
}
