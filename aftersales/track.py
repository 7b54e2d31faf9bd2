"""The after-sales block of the customer's order status page (orders.track_views registry)."""

from __future__ import annotations

from django.utils import timezone

from aftersales.forms import CustomerComplaintForm, CustomerMessageForm, CustomerReturnForm
from aftersales.models import Case, CaseStatus, MessageKind, Review, SurveyKind, SurveyResponse
from aftersales.services import returns
from orders.models import OrderStatus
from orders.track_views import TrackSection

AFTER_DELIVERY = (OrderStatus.DELIVERED, OrderStatus.COMPLETED)


def track_section(request, order) -> TrackSection | None:
    if order.status == OrderStatus.AWAITING_PAYMENT:
        return None
    policy = returns.return_policy_get()
    deadline = returns.return_deadline(order, policy=policy)
    now = timezone.now()
    left = returns.returnable_quantities(order) if order.status in AFTER_DELIVERY else {}
    can_return = deadline is not None and now <= deadline and any(n > 0 for n in left.values())
    case_list = list(Case.objects.filter(order=order).select_related("return_request").order_by("-created_at"))
    messages_by_case: dict[int, list] = {c.pk: [] for c in case_list}
    for message in (m for c in case_list for m in c.messages.all() if m.kind != MessageKind.NOTE):
        messages_by_case[message.case_id].append(message)
    answered = set(SurveyResponse.objects.filter(order=order).values_list("kind", "case_id"))
    for case in case_list:
        case.customer_messages = messages_by_case[case.pk]
        case.csat_open = case.status in (CaseStatus.RESOLVED, CaseStatus.CLOSED) and \
            (SurveyKind.CSAT_CASE, case.pk) not in answered
    reviewed = set(Review.objects.filter(order=order).values_list("order_line_id", flat=True))
    delivered = order.status in AFTER_DELIVERY
    return TrackSection(template="aftersales/care/_section.html", position=120, context={
        "policy": policy, "deadline": deadline, "can_return": can_return, "cases": case_list,
        "complaint_form": CustomerComplaintForm(prefix="complaint"), "message_form": CustomerMessageForm(),
        "return_form": CustomerReturnForm(order=order, left=left, prefix="return") if can_return else None,
        "review_lines": [line for line in order.lines.all() if line.pk not in reviewed] if delivered else [],
        "delivery_csat_open": delivered and (SurveyKind.CSAT_DELIVERY, None) not in answered,
        "ratings": range(1, 6), "care_number": order.number, "care_key": order.access_key,
    })
