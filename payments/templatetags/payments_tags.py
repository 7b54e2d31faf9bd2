from django import template

register = template.Library()


@register.simple_tag
def payment_instructions(order):
    """{% payment_instructions order as info %} for the customer's order page."""
    from payments.selectors import payment_instructions_for_order

    return payment_instructions_for_order(order_id=order.pk)
