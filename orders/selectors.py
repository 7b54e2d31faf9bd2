"""Order reads: lists with filters, one order with its history, tracking lookups, work queues."""

from __future__ import annotations

import contextlib
import hmac
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from core.phones import normalize_phone
from core.untrusted import parse_id
from orders.models import Customer, Order, OrderEvent, OrderLine, OrderStatus, PaymentMethod

S = OrderStatus

# Work queues on the dashboard home page.
TO_CONFIRM_Q = Q(status=S.PAID) | Q(status=S.AWAITING_PAYMENT, payment_method=PaymentMethod.COD)
TO_PACK_Q = Q(status=S.PROCESSING)
OVERSOLD_Q = Q(is_oversold=True) & ~Q(status=S.CANCELLED)


def _as_list(value) -> list:
    if value in (None, "", []):
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, (list, tuple, set)):
        return [v for v in value if v not in (None, "")]
    return [value]


def _day_start(value) -> datetime:
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    if isinstance(value, str):
        value = date.fromisoformat(value)
    return timezone.make_aware(datetime.combine(value, time.min))


def _truthy(value) -> bool | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        return value
    return str(value).lower() in ("1", "true", "yes", "on")


def order_list(*, filters: dict | None = None, with_lines: bool = False) -> QuerySet[Order]:
    """Orders matching `filters`, newest first, with channel and customer joined (one query).

    `with_lines=True` also prefetches the lines (one more query, whatever the page size); callers
    that add their own Prefetch("lines", ...) leave it False.

    Filters (all optional): channel (id, code or a list of them), status (value or list),
    date_from / date_to (dates, inclusive, in local time; or aware datetimes), payment_method,
    sku (any line), customer (a customer id, or text matched against name, phone and e-mail),
    q (number, external id, customer name/phone/e-mail, recipient, resi), oversold (bool),
    tags / tag (a tag or a list: orders having all of them), external_id, number,
    queue ("to_confirm", "to_pack", "oversold").
    """
    filters = filters or {}
    qs = Order.objects.select_related("channel", "customer")
    if with_lines:
        qs = qs.prefetch_related(Prefetch("lines", queryset=OrderLine.objects.order_by("id")))
    channels = _as_list(filters.get("channel"))
    if channels:
        ids = [parse_id(c) for c in channels if parse_id(c)]
        codes = [str(c) for c in channels if not parse_id(c)]
        qs = qs.filter(Q(channel_id__in=ids) | Q(channel__code__in=codes))
    statuses = _as_list(filters.get("status"))
    if statuses:
        qs = qs.filter(status__in=statuses)
    if filters.get("date_from"):
        qs = qs.filter(placed_at__gte=_day_start(filters["date_from"]))
    if filters.get("date_to"):
        end = filters["date_to"]
        if isinstance(end, datetime):
            qs = qs.filter(placed_at__lte=end)
        else:
            end_day = date.fromisoformat(end) if isinstance(end, str) else end
            qs = qs.filter(placed_at__lt=_day_start(end_day) + timedelta(days=1))
    methods = _as_list(filters.get("payment_method"))
    if methods:
        qs = qs.filter(payment_method__in=methods)
    if filters.get("sku"):
        sku = str(filters["sku"]).strip()
        qs = qs.filter(Exists(OrderLine.objects.filter(order=OuterRef("pk"), sku__iexact=sku)))
    customer = filters.get("customer")
    if isinstance(customer, int) or (isinstance(customer, str) and parse_id(customer)
                                     and len(customer.strip()) < 9):
        qs = qs.filter(customer_id=parse_id(customer) or 0)
    elif customer:
        text = str(customer).strip()
        match = Q(customer__name__icontains=text) | Q(customer__email__icontains=text)
        with contextlib.suppress(ValueError):
            match |= Q(customer__phone=normalize_phone(text))
        qs = qs.filter(match)
    if filters.get("external_id"):
        qs = qs.filter(external_id=str(filters["external_id"]).strip())
    if filters.get("number"):
        qs = qs.filter(number=str(filters["number"]).strip().upper())  # numbers are upper case
    oversold = _truthy(filters.get("oversold"))
    if oversold is not None:
        qs = qs.filter(is_oversold=oversold)
    for tag in [*_as_list(filters.get("tags")), *_as_list(filters.get("tag"))]:
        qs = qs.filter(tags__contains=[str(tag).strip().lower()])
    text = str(filters.get("q") or "").strip()
    if text:
        match = (
            Q(number__icontains=text)
            | Q(external_id__icontains=text)
            | Q(customer__name__icontains=text)
            | Q(customer__email__icontains=text)
            | Q(shipping_name__icontains=text)
            | Q(tracking_number__iexact=text)
        )
        with contextlib.suppress(ValueError):
            match |= Q(customer__phone=normalize_phone(text)) | Q(shipping_phone=normalize_phone(text))
        qs = qs.filter(match)
    queue = filters.get("queue")
    if queue == "to_confirm":
        qs = qs.filter(TO_CONFIRM_Q)
    elif queue == "to_pack":
        qs = qs.filter(TO_PACK_Q)
    elif queue == "oversold":
        qs = qs.filter(OVERSOLD_Q)
    return qs.order_by("-placed_at", "-id")


def order_get(*, order_id: int) -> Order | None:
    """One order with channel, customer, lines (with variants) and events (with actors) loaded."""
    return (
        Order.objects.select_related("channel", "customer")
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.select_related("variant__product").order_by("id")),
            Prefetch("events", queryset=OrderEvent.objects.select_related("actor").order_by("created_at", "id")),
        )
        .filter(pk=order_id)
        .first()
    )


def _same(a: str, b: str) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(a.encode(), b.encode())


def order_find_for_tracking(*, number: str, contact: str) -> Order | None:
    """The order with this number, if `contact` is the phone (any format) or e-mail used for it.

    A wrong contact and an unknown number give the same answer (None) after the same work: one
    query, then constant-time comparisons against every contact on record.
    """
    number = (number or "").strip().upper()
    contact = (contact or "").strip()
    if "@" in contact:
        wanted = contact.lower()
    else:
        try:
            wanted = normalize_phone(contact)
        except ValueError:
            wanted = ""
    order = (
        Order.objects.select_related("channel", "customer")
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.order_by("id")),
            Prefetch("events", queryset=OrderEvent.objects.order_by("created_at", "id")),
        )
        .filter(number=number or "-")
        .first()
    )
    customer = order.customer if order is not None else None
    known = [
        order.shipping_phone if order is not None else "",
        customer.phone if customer is not None else "",
        (customer.email or "").lower() if customer is not None else "",
    ]
    matched = False
    for value in known:
        matched |= _same(wanted, value or "x")
    return order if (order is not None and matched) else None


def order_queue_counts() -> dict[str, int]:
    """Counts for the orders work queues, in one query."""
    return Order.objects.aggregate(
        to_confirm=Count("id", filter=TO_CONFIRM_Q),
        to_pack=Count("id", filter=TO_PACK_Q),
        oversold=Count("id", filter=OVERSOLD_Q),
    )


def count_to_confirm() -> int:
    return Order.objects.filter(TO_CONFIRM_Q).count()


def count_to_pack() -> int:
    return Order.objects.filter(TO_PACK_Q).count()


def count_oversold() -> int:
    return Order.objects.filter(OVERSOLD_Q).count()


def customer_list(*, search: str = "") -> QuerySet[Customer]:
    """Customers matching a name, e-mail or phone (any format), with their order counts."""
    qs = Customer.objects.annotate(order_count=Count("orders"))
    text = (search or "").strip()
    if text:
        match = Q(name__icontains=text) | Q(email__icontains=text)
        digits = "".join(ch for ch in text if ch.isdigit())
        try:
            match |= Q(phone=normalize_phone(text))
        except ValueError:
            if len(digits) >= 4:
                match |= Q(phone__contains=digits.lstrip("0"))
        qs = qs.filter(match)
    return qs.order_by("name", "id")


def orders_due_for_expiry(
    *, now: datetime | None = None, grace: timedelta = timedelta(minutes=15), limit: int = 500
) -> list[int]:
    """Ids of unpaid orders whose payment deadline passed more than `grace` ago.

    The grace lets a payment that arrived just in time be matched first (and the payments app's
    own sweep, which expires the payment rows too, go first).
    """
    now = now or timezone.now()
    return list(
        Order.objects.filter(status=S.AWAITING_PAYMENT, payment_due_at__lt=now - grace)
        .order_by("payment_due_at")
        .values_list("id", flat=True)[:limit]
    )
