"""Personal data erasure (UU PDP 27/2022): the person's data goes, the bookkeeping stays.

The customer row is kept (orders, payments and the ledger point at it) with its name replaced and
its contact details cleared; every order of the customer keeps its number, lines, amounts, dates
and statuses, while the recipient, phone, address and free-text notes are removed. Each order gets
an `personal_data_erased` event. Running it again changes nothing.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from core.errors import NotFound
from orders.models import Customer, Order
from orders.services.lifecycle import record_event

EVENT_ERASED = "personal_data_erased"
ERASED_NAME = "Pelanggan terhapus #{id}"


def customer_personal_data_erase(*, customer_id: int, actor=None, source: str = "staff", reason: str = "") -> int:
    """Remove the customer's personal data from the customer row and their orders; returns orders touched."""
    with transaction.atomic():
        customer = Customer.objects.select_for_update().filter(pk=customer_id).first()
        if customer is None:
            raise NotFound(f"Customer {customer_id} does not exist.")
        name = ERASED_NAME.format(id=customer.pk)
        customer.name, customer.phone, customer.email = name, "", ""
        customer.city = customer.province = customer.notes = ""
        customer.save(update_fields=["name", "phone", "email", "city", "province", "notes"])
        orders = list(
            Order.objects.select_for_update(of=("self",)).filter(customer_id=customer.pk).order_by("pk")
        )
        touched = [o for o in orders if o.shipping_phone or o.shipping_address or o.shipping_name != name or o.notes]
        now = timezone.now()
        for order in touched:
            order.shipping_name, order.shipping_phone, order.shipping_address = name, "", ""
            order.shipping_postal_code = order.notes = ""
            order.updated_at = now
        Order.objects.bulk_update(
            touched, ["shipping_name", "shipping_phone", "shipping_address", "shipping_postal_code", "notes",
                      "updated_at"],
        )
        for order in touched:
            record_event(order, EVENT_ERASED, actor=actor, source=source, note=reason[:500])
    return len(touched)
