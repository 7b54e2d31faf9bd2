"""The CRM's hook bodies, registered in CustomersConfig.ready(): they use only the change's ids and
statuses and re-read what they need."""

from __future__ import annotations

from customers.services import loyalty, vouchers


def on_order_status_changed(change) -> None:
    """Completed: earn points. Cancelled: give back used points and the voucher use, take back earned points."""
    if change.from_status == change.to_status:
        return
    if change.to_status == "completed":
        loyalty.points_earn_for_order(order_id=change.order_id)
    elif change.to_status == "cancelled":
        loyalty.points_reverse_for_cancel(order_id=change.order_id)
        vouchers.redemption_reverse_for_order(order_id=change.order_id)

