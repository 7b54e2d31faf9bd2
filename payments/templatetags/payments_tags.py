from django import template

register = template.Library()


@register.simple_tag
def payment_instructions(order):
    """{% payment_instructions order as info %} for the customer's order page."""
    from payments.selectors import payment_instructions_for_order

    return payment_instructions_for_order(order_id=order.pk)


@register.inclusion_tag("payments/_order_staff_notes.html")
def payment_staff_notes(order):
    """{% payment_staff_notes order %} on the staff order page: what customer service and Finance
    must tell the buyer about the order's latest payment.

    - a kode unik that raises the amount reads "base + code = amount", one that lowers it
      "base − code = amount" (never "kode unik -123");
    - a bank transfer opened without a kode unik (every code of that amount was taken) gets a note
      to ask the buyer to write the order number in the transfer's description.
    """
    from payments.models import OPEN_STATUSES, Payment

    payment = (
        Payment.objects.filter(order_id=order.pk)
        .only("status", "amount", "base_amount", "unique_code", "match_by_order_number")
        .order_by("-created_at", "-id")
        .first()
    )
    if payment is None:
        return {"order": order, "payment": None, "no_code": False}
    return {
        "order": order,
        "payment": payment,
        "raised": payment.unique_code > 0,
        "lowered": payment.unique_code < 0,
        "code": abs(payment.unique_code),
        "no_code": payment.match_by_order_number and payment.status in OPEN_STATUSES,
    }
