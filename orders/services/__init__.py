"""Order writes: creation, the lifecycle transitions, marketplace upserts, notes and tags.

Other apps import from here: `from orders.services import order_create, LineInput, ...`.
"""

from orders.inputs import AddressInput, CustomerInput, LineInput
from orders.services.create import CreatedOrder, order_create, order_create_with_rows
from orders.services.customers import customer_get_or_create
from orders.services.external import PROVIDER_STATUS_MAP, map_provider_status, order_upsert_external
from orders.services.lifecycle import (
    order_add_note,
    order_cancel,
    order_complete,
    order_confirm,
    order_expire,
    order_mark_delivered,
    order_mark_packed,
    order_mark_paid,
    order_mark_shipped,
    order_resolve_oversold,
    order_set_tags,
    orders_mark_paid_many,
)
from orders.services.privacy import customer_personal_data_erase

__all__ = [
    "PROVIDER_STATUS_MAP",
    "AddressInput",
    "CreatedOrder",
    "CustomerInput",
    "LineInput",
    "customer_get_or_create",
    "customer_personal_data_erase",
    "map_provider_status",
    "order_add_note",
    "order_cancel",
    "order_complete",
    "order_confirm",
    "order_create",
    "order_create_with_rows",
    "order_expire",
    "order_mark_delivered",
    "order_mark_packed",
    "order_mark_paid",
    "order_mark_shipped",
    "order_resolve_oversold",
    "order_set_tags",
    "order_upsert_external",
    "orders_mark_paid_many",
]
