"""UU PDP: a customer's data export and erasure.

Export: everything the shop holds about the person, as JSON (profile, consents, orders with lines
and payments, cases with their messages, reviews, survey answers, points, vouchers, tags, notes).
Erase: the person's data is removed everywhere while the bookkeeping stays: orders keep numbers,
amounts and lines (orders.services.customer_personal_data_erase), messages keep their dates and
status but lose address and text (notifications), cases and reviews lose the customer's words and
photos, CRM tags and notes go. Consent records stay as the proof of what was asked and withdrawn.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from core.errors import NotFound
from customers.models import CustomerNote, CustomerTag, PointsEntry, VoucherRedemption
from orders.models import Customer

REDACTED = "[dihapus]"


def customer_data_export(*, customer_id: int) -> dict:
    from aftersales.models import Case, Review, SurveyResponse
    from notifications.models import ConsentRecord
    from orders.models import Order
    from payments.models import Payment

    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        raise NotFound(f"Customer {customer_id} does not exist.")
    orders = Order.objects.filter(customer=customer).prefetch_related("lines").order_by("placed_at")

    def when(value):
        return value.isoformat() if value else None

    return {
        "exported_at": timezone.now().isoformat(),
        "customer": {"id": customer.pk, "name": customer.name, "phone": customer.phone, "email": customer.email,
                     "city": customer.city, "province": customer.province, "created_at": when(customer.created_at)},
        "consents": [{"purpose": c.purpose, "granted": c.granted, "source": c.source, "proof": c.proof,
                      "recorded_at": when(c.recorded_at)} for c in ConsentRecord.objects.filter(customer=customer)],
        "orders": [{
            "number": o.number, "channel": o.channel_id, "status": o.status, "placed_at": when(o.placed_at),
            "total_amount": o.total_amount, "shipping_name": o.shipping_name, "shipping_phone": o.shipping_phone,
            "shipping_address": o.shipping_address, "shipping_city": o.shipping_city,
            "lines": [{"sku": ln.sku, "name": ln.name, "quantity": ln.quantity,
                       "unit_price_amount": ln.unit_price_amount} for ln in o.lines.all()],
        } for o in orders],
        "payments": [{"reference": p.reference, "order": p.order.number, "method": p.method, "status": p.status,
                      "amount": p.amount, "received_amount": p.received_amount}
                     for p in Payment.objects.filter(order__customer=customer).select_related("order")],
        "cases": [{"number": c.number, "kind": c.kind, "status": c.status, "subject": c.subject,
                   "description": c.description, "created_at": when(c.created_at),
                   "messages": [{"kind": m.kind, "body": m.body, "at": when(m.created_at)}
                                for m in c.messages.exclude(kind="note")]}
                  for c in Case.objects.filter(customer=customer).prefetch_related("messages")],
        "reviews": [{"rating": r.rating, "text": r.text, "at": when(r.reviewed_at)}
                    for r in Review.objects.filter(customer=customer)],
        "surveys": [{"kind": s.kind, "score": s.score, "comment": s.comment, "at": when(s.answered_at)}
                    for s in SurveyResponse.objects.filter(customer=customer)],
        "points": [{"kind": e.kind, "points": e.points, "at": when(e.created_at)}
                   for e in PointsEntry.objects.filter(customer=customer).order_by("created_at")],
        "vouchers_used": [{"code": r.voucher.code, "order": r.order_id, "amount": r.amount}
                          for r in VoucherRedemption.objects.filter(customer=customer).select_related("voucher")],
        "tags": list(CustomerTag.objects.filter(customer=customer).values_list("tag", flat=True)),
    }


def customer_erase(*, customer_id: int, actor=None, reason: str = "") -> dict:
    """Erase the customer's personal data everywhere; returns what was touched per area."""
    from aftersales.models import Case, CaseMessage, Review, SurveyResponse
    from aftersales.services.attachments import attachments_delete_for_case
    from notifications.services import notification_personal_data_erase
    from orders.services import customer_personal_data_erase

    if not Customer.objects.filter(pk=customer_id).exists():
        raise NotFound(f"Customer {customer_id} does not exist.")
    with transaction.atomic():
        touched = {"orders": customer_personal_data_erase(customer_id=customer_id, actor=actor, reason=reason)}
        touched["notifications"] = notification_personal_data_erase(customer_id=customer_id)
        cases = list(Case.objects.filter(customer_id=customer_id))
        for case in cases:
            attachments_delete_for_case(case)
        touched["cases"] = Case.objects.filter(customer_id=customer_id).update(description=REDACTED)
        touched["messages"] = CaseMessage.objects.filter(case__customer_id=customer_id).exclude(kind="note").update(
            body=REDACTED)
        touched["reviews"] = Review.objects.filter(customer_id=customer_id).update(text="", reviewer_name="")
        for review in Review.objects.filter(customer_id=customer_id).prefetch_related("photos"):
            for photo in review.photos.all():
                photo.file.delete(save=False)
                photo.delete()
        touched["surveys"] = SurveyResponse.objects.filter(customer_id=customer_id).update(comment="")
        touched["tags"] = CustomerTag.objects.filter(customer_id=customer_id).delete()[0]
        touched["notes"] = CustomerNote.objects.filter(customer_id=customer_id).delete()[0]
    return touched
