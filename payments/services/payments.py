"""The payment services by the module callers know (the code lives in modules split by concern):
opening, transitions (planner, writer, one service per transition), refunds, hooks, order_sync."""

from payments.services.hooks import on_order_created, on_orders_status_changed
from payments.services.opening import payment_open
from payments.services.order_sync import (
    expire_overdue,
    order_payment_sync,
    orders_payment_sync_many,
    overdue_orders_queryset,
)
from payments.services.refunds import refund_create
from payments.services.transitions import (
    _event,
    charges_reversed,
    payment_accept_short,
    payment_expire,
    payment_flag_for_review,
    payment_mark_failed,
    payment_mark_paid,
    payment_note_provider_status,
    payment_receive,
    payments_lock,
    payments_write,
    plan_payment_flagged,
    plan_payment_paid,
)

__all__ = [
    "_event", "charges_reversed", "expire_overdue", "on_order_created", "on_orders_status_changed",
    "order_payment_sync", "orders_payment_sync_many", "overdue_orders_queryset", "payment_accept_short",
    "payment_expire", "payment_flag_for_review", "payment_mark_failed", "payment_mark_paid",
    "payment_note_provider_status", "payment_open", "payment_receive", "payments_lock", "payments_write",
    "plan_payment_flagged", "plan_payment_paid", "refund_create",
]
