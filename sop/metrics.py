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


LINKS = {"order": "orders:detail", "case": "aftersales:case"}


@dataclass(frozen=True)
class Item:
    ref: str
    link: tuple[str, int]  # (kind of LINKS, id): the page the breach links to
    start: datetime
    done: datetime | None
    deadline: datetime
    actor_id: int | None
    subject_id: int = 0  # the order, proof or case measured (one item per subject and target)
    anchor: datetime | None = None  # the moment that puts the item in a date range

    @property
    def url(self) -> str:
        return reverse(LINKS[self.link[0]], args=[self.link[1]])

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
    # A metric whose deadline is plain arithmetic on a stored time (no working hours) gives its items as SQL
    # too (the columns of sop_complianceitem), so storing them for a million orders is one INSERT ... SELECT.
    sql: Callable[[Decimal], tuple[str, dict]] | None = None
    # What one item measures ("order", "proof", "case") and, for the metrics without SQL, the items of the
    # subjects of a Q (sop.services.compliance stores them as each subject changes).
    subject: str = "order"
    build: Callable[..., list[Item]] | None = None


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


def _limited(rows, limit: int | None):
    return rows[:limit] if limit is not None else rows


def order_confirm_items(start: date, end: date, threshold: Decimal) -> list[Item]:
    """Orders ready to confirm (paid, or placed as cash on delivery) -> confirmed (processing)."""
    from django.db.models import Q

    lo, hi = _bounds(start, end)
    return order_confirm_build(Q(placed_at__gte=lo, placed_at__lt=hi), threshold, limit=ITEM_LIMIT)


def order_confirm_build(where, threshold: Decimal, *, limit: int | None = None) -> list[Item]:
    """order_confirm_items for the orders of `where` (a Q on Order)."""
    from django.db.models import Min, Q

    from orders.models import Order

    orders = _limited(
        Order.objects.filter(where)
        .exclude(Q(status="awaiting_payment") & ~Q(payment_method="cod"))
        .annotate(
            ready=Min("events__created_at", filter=Q(events__to_status__in=["paid"])),
            confirmed=Min("events__created_at", filter=Q(events__to_status="processing")),
        )
        .values("id", "number", "placed_at", "payment_method", "ready", "confirmed", "status"), limit)
    kept = []
    for o in orders:
        ready = o["ready"] or (o["placed_at"] if o["payment_method"] == "cod" else None)
        if ready is None or (o["status"] == "cancelled" and o["confirmed"] is None):
            continue
        kept.append((o, ready))
    # the confirmers of the orders that are items only (not of every order of the range)
    confirmers = _actors("orders.OrderEvent", "order_id", [o["id"] for o, _r in kept], to_status="processing")
    return [
        Item(o["number"], ("order", o["id"]), ready, o["confirmed"], _working_deadline(ready, threshold),
             confirmers.get(o["id"]), o["id"], o["placed_at"])
        for o, ready in kept
    ]


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
    from django.db.models import Q

    lo, hi = _bounds(start, end)
    return payment_verify_build(Q(uploaded_at__gte=lo, uploaded_at__lt=hi), threshold, limit=ITEM_LIMIT)


def payment_verify_build(where, threshold: Decimal, *, limit: int | None = None) -> list[Item]:
    """payment_verify_items for the proofs of `where` (a Q on PaymentProof)."""
    from payments.models import PaymentProof

    proofs = _limited(PaymentProof.objects.filter(where).values(
        "id", "uploaded_at", "decided_at", "decided_by_id", "payment__order_id", "payment__order__number"), limit)
    return [
        Item(p["payment__order__number"], ("order", p["payment__order_id"]), p["uploaded_at"],
             p["decided_at"], _working_deadline(p["uploaded_at"], threshold), p["decided_by_id"], p["id"],
             p["uploaded_at"])
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
        Item(o["number"], ("order", o["id"]), o["paid_at"] or o["placed_at"], o["shipped_at"],
             o["ship_by"] + grace, shippers.get(o["id"]), o["id"], o["ship_by"])
        for o in orders
    ]


# The SQL metrics give their items with the columns of sop_complianceitem, for every subject or for the
# ids in %(ids)s (%(all)s true for every one); %(tz)s is the shop's time zone for the anchor's day.
def ship_by_sql(threshold: Decimal) -> tuple[str, dict]:
    """ship_by_items as SQL: the same orders, deadline and shipper (the first shipped event with an actor)."""
    return (
        """
        SELECT o.id AS subject_id, (o.ship_by AT TIME ZONE %(tz)s)::date AS anchor_day,
               COALESCE(o.paid_at, o.placed_at) AS start, o.shipped_at AS done, o.ship_by + %(grace)s AS deadline,
               (SELECT e.actor_id FROM orders_orderevent e
                WHERE e.order_id = o.id AND e.to_status = 'shipped' AND e.actor_id IS NOT NULL
                ORDER BY e.created_at LIMIT 1) AS actor_id,
               o.number AS ref, 'order' AS link_kind, o.id AS link_id
        FROM orders_order o
        WHERE o.ship_by IS NOT NULL AND NOT (o.status = 'cancelled') AND (%(all)s OR o.id = ANY(%(ids)s))
        """,
        {"grace": timedelta(hours=float(threshold))},
    )


def review_request_sql(threshold: Decimal) -> tuple[str, dict]:
    """review_request_items as SQL: delivered orders -> the first review invitation of the order."""
    return (
        """
        SELECT o.id AS subject_id, (o.delivered_at AT TIME ZONE %(tz)s)::date AS anchor_day,
               o.delivered_at AS start,
               (SELECT i.sent_at FROM aftersales_invitation i
                WHERE i.order_id = o.id AND i.kind = 'review' AND i.case_id IS NULL
                ORDER BY i.sent_at LIMIT 1) AS done,
               o.delivered_at + %(wait)s AS deadline, NULL::bigint AS actor_id,
               o.number AS ref, 'order' AS link_kind, o.id AS link_id
        FROM orders_order o
        WHERE o.delivered_at IS NOT NULL AND NOT (o.status = 'cancelled') AND (%(all)s OR o.id = ANY(%(ids)s))
        """,
        {"wait": timedelta(days=float(threshold))},
    )


def complaint_first_reply_items(start: date, end: date, threshold: Decimal) -> list[Item]:
    """Complaints opened -> first reply to the customer (working hours), by whoever sent it."""
    from django.db.models import Q

    lo, hi = _bounds(start, end)
    return complaint_first_reply_build(Q(created_at__gte=lo, created_at__lt=hi), threshold, limit=ITEM_LIMIT)


def complaint_first_reply_build(where, threshold: Decimal, *, limit: int | None = None) -> list[Item]:
    """complaint_first_reply_items for the cases of `where` (a Q on Case)."""
    from aftersales.models import Case, CaseKind, CaseMessage, MessageKind

    cases = list(_limited(Case.objects.filter(where, kind=CaseKind.COMPLAINT).values(
        "id", "number", "created_at", "first_responded_at"), limit))
    repliers: dict[int, int] = {}
    for case_id, author_id in (CaseMessage.objects.filter(case_id__in=[c["id"] for c in cases],
                                                          kind=MessageKind.OUTBOUND)
                               .exclude(author=None).order_by("created_at", "id").values_list("case_id", "author_id")):
        repliers.setdefault(case_id, author_id)
    return [
        Item(c["number"], ("case", c["id"]), c["created_at"], c["first_responded_at"],
             _working_deadline(c["created_at"], threshold), repliers.get(c["id"]), c["id"], c["created_at"])
        for c in cases
    ]


def complaint_resolve_items(start: date, end: date, threshold: Decimal) -> list[Item]:
    """Complaints opened -> resolved, by the end of the threshold's working day after opening."""
    from django.db.models import Q

    lo, hi = _bounds(start, end)
    return complaint_resolve_build(Q(created_at__gte=lo, created_at__lt=hi), threshold, limit=ITEM_LIMIT)


def complaint_resolve_build(where, threshold: Decimal, *, limit: int | None = None) -> list[Item]:
    """complaint_resolve_items for the cases of `where` (a Q on Case)."""
    from aftersales.models import Case, CaseKind

    cases = list(_limited(Case.objects.filter(where, kind=CaseKind.COMPLAINT).values(
        "id", "number", "created_at", "resolved_at"), limit))
    resolvers = _actors("aftersales.CaseEvent", "case_id", [c["id"] for c in cases], to_status="resolved")
    cal = calendar()
    days = int(threshold.to_integral_value(rounding="ROUND_CEILING"))

    def deadline(opened: datetime) -> datetime:
        day = timezone.localtime(opened).date()
        while not cal.is_working_day(day):  # opened on a closed day: the clock starts on the next working day
            day += timedelta(days=1)
        return cal.end_of_day(cal.add_working_days(day, days))

    return [
        Item(c["number"], ("case", c["id"]), c["created_at"], c["resolved_at"],
             deadline(c["created_at"]), resolvers.get(c["id"]), c["id"], c["created_at"])
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
        Item(o["number"], ("order", o["id"]), o["delivered_at"], o["invited"], o["delivered_at"] + wait, None,
             o["id"], o["delivered_at"])
        for o in orders
    ]


METRICS: dict[str, Metric] = {
    m.key: m
    for m in [
        Metric("order_confirm", _("Confirm new orders within (working hours)"), "working_hours",
               order_confirm_items, _calendar_missing, build=order_confirm_build),
        Metric("payment_verify", _("Verify proofs of transfer within (working hours)"), "working_hours",
               payment_verify_items, _calendar_missing, subject="proof", build=payment_verify_build),
        Metric("ship_by", _("Ship by the deadline (hours of grace)"), "hours", ship_by_items, lambda: None,
               sql=ship_by_sql),
        Metric("complaint_first_reply", _("First reply to complaints within (working hours)"), "working_hours",
               complaint_first_reply_items, _app_missing("aftersales", "Case"), subject="case",
               build=complaint_first_reply_build),
        Metric("complaint_resolve", _("Resolve complaints within (working days)"), "days",
               complaint_resolve_items, _app_missing("aftersales", "Case"), subject="case",
               build=complaint_resolve_build),
        Metric("review_request", _("Ask for a review after delivery within (days)"), "days",
               review_request_items, _app_missing("aftersales", "Invitation"), sql=review_request_sql),
    ]
}
