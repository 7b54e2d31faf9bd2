from django import template

register = template.Library()


@register.simple_tag
def payment_instructions(order):
    """{% payment_instructions order as info %} for the customer's order page."""
    from payments.selectors import payment_instructions_for_order

    return payment_instructions_for_order(order_id=order.pk)


@register.inclusion_tag("payments/_order_staff_notes.html")
def payment_staff_notes(order):
    """{% payment_staff_notes order %} on the staff order page: notes Finance must see (a bank
    transfer opened without a kode unik, to be matched by the order number)."""
    from payments.models import OPEN_STATUSES, Payment

    no_code = Payment.objects.filter(order_id=order.pk, match_by_order_number=True,
                                     status__in=OPEN_STATUSES).exists()
    return {"order": order, "no_code": no_code}
