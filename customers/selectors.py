"""CRM reads: the customer list with its figures, the profile timeline, possible duplicates."""

from __future__ import annotations

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Lower

from customers.segments import with_stats
from orders.models import Customer


def customer_list(*, search: str = "", tag: str = "") -> QuerySet[Customer]:
    qs = with_stats(Customer.objects.all())
    if search:
        from core.phones import normalize_phone

        match = Q(name__icontains=search) | Q(email__icontains=search)
        try:
            match |= Q(phone=normalize_phone(search))
        except ValueError:
            digits = "".join(c for c in search if c.isascii() and c.isdigit())
            if len(digits) >= 4:
                match |= Q(phone__contains=digits[-8:])
        qs = qs.filter(match)
    if tag:
        qs = qs.filter(crm_tags__tag=tag.lower())
    return qs.order_by(F("last_order_at").desc(nulls_last=True), "name")


def customer_profile(*, customer_id: int) -> Customer | None:
    return with_stats(Customer.objects.filter(pk=customer_id)).first()


def customer_timeline(*, customer_id: int, limit: int = 200) -> list[dict]:
    """Orders, payments, shipments (as order events), cases, returns, reviews, surveys and points, newest first."""
    from aftersales.models import Case, ReturnRequest, Review, SurveyResponse
    from customers.models import PointsEntry
    from orders.models import Order, OrderEvent
    from payments.models import Payment

    items: list[dict] = []
    for o in Order.objects.filter(customer_id=customer_id).select_related("channel").order_by("-placed_at")[:limit]:
        items.append({"at": o.placed_at, "kind": "order", "title": f"{o.number} · {o.channel.name}",
                      "detail": o.get_status_display(), "amount": o.total_amount, "order_id": o.pk})
    for e in (OrderEvent.objects.filter(order__customer_id=customer_id, kind="status_changed",
                                        to_status__in=["shipped", "delivered"]).select_related("order")
              .order_by("-created_at")[:limit]):
        detail = f"{e.order.courier} {e.order.tracking_number}".strip() if e.to_status == "shipped" else ""
        items.append({"at": e.created_at, "kind": "shipment", "title": e.order.number,
                      "detail": f"{e.to_status} {detail}".strip(), "amount": None, "order_id": e.order_id})
    payments = Payment.objects.filter(order__customer_id=customer_id).select_related("order")
    for p in payments.order_by("-created_at")[:limit]:
        items.append({"at": p.paid_at or p.created_at, "kind": "payment", "title": p.reference,
                      "detail": p.get_status_display(), "amount": p.received_amount or p.amount,
                      "order_id": p.order_id})
    for c in Case.objects.filter(customer_id=customer_id).order_by("-created_at")[:limit]:
        items.append({"at": c.created_at, "kind": "case", "title": f"{c.number} · {c.subject}",
                      "detail": c.get_status_display(), "amount": None, "case_id": c.pk})
    for r in ReturnRequest.objects.filter(order__customer_id=customer_id).order_by("-created_at")[:limit]:
        items.append({"at": r.created_at, "kind": "return", "title": r.number, "detail": r.get_status_display(),
                      "amount": r.refund_amount or None, "return_id": r.pk})
    for r in Review.objects.filter(customer_id=customer_id).select_related("product")[:limit]:
        items.append({"at": r.reviewed_at, "kind": "review", "title": f"{r.rating}★ {r.product or ''}".strip(),
                      "detail": r.text[:120], "amount": None})
    for s in SurveyResponse.objects.filter(customer_id=customer_id)[:limit]:
        items.append({"at": s.answered_at, "kind": "survey", "title": f"{s.get_kind_display()}: {s.score}",
                      "detail": s.comment[:120], "amount": None})
    for p in PointsEntry.objects.filter(customer_id=customer_id)[:limit]:
        items.append({"at": p.created_at, "kind": "points", "title": f"{p.points:+} {p.get_kind_display()}",
                      "detail": p.note, "amount": None})
    items.sort(key=lambda item: item["at"], reverse=True)
    return items[:limit]


def possible_duplicates(*, limit: int = 100) -> list[tuple[Customer, Customer, str]]:
    """Pairs of customers that look like one person: the same e-mail, or one's phone on the other's orders."""
    from orders.models import Order

    pairs: list[tuple[int, int, str]] = []
    emails = (Customer.objects.exclude(email="").annotate(e=Lower("email")).values("e")
              .annotate(n=Count("id")).filter(n__gt=1).values_list("e", flat=True)[:limit])
    for email in emails:
        ids = sorted(Customer.objects.filter(email__iexact=email).values_list("pk", flat=True))
        pairs += [(ids[0], other, "email") for other in ids[1:]]
    phones = (Order.objects.exclude(shipping_phone="").exclude(customer=None)
              .filter(shipping_phone__in=Customer.objects.exclude(phone="").values("phone"))
              .exclude(customer__phone=F("shipping_phone"))
              .values_list("customer_id", "shipping_phone").distinct()[:limit])
    owners = dict(Customer.objects.filter(phone__in=[p for _c, p in phones]).values_list("phone", "pk"))
    for customer_id, phone in phones:
        other = owners.get(phone)
        if other and other != customer_id:
            pairs.append((min(other, customer_id), max(other, customer_id), "phone"))
    seen, unique = set(), []
    for a, b, why in pairs:
        if (a, b) not in seen:
            seen.add((a, b))
            unique.append((a, b, why))
    people = Customer.objects.in_bulk({x for a, b, _w in unique for x in (a, b)})
    return [(people[a], people[b], why) for a, b, why in unique[:limit] if a in people and b in people]
