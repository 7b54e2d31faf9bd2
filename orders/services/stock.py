"""The orders side of the stock ledger: which lines hold stock, under which reference.

Reservations go through catalog.services (stock_reserve / stock_release), the batch commits and
releases through orders.services.transitions; the reference of every movement is "order:<id>",
so the ledger shows which order moved stock.
"""

from __future__ import annotations

from catalog.services import StockRequest, stock_release, stock_reserve
from orders.models import Order, OrderLine


def order_reference(order_id: int) -> str:
    return f"order:{order_id}"


def _requests(lines) -> list[StockRequest]:
    totals: dict[int, int] = {}
    for line in lines:
        totals[line.variant_id] = totals.get(line.variant_id, 0) + line.quantity
    return [StockRequest(variant_id=variant_id, quantity=quantity) for variant_id, quantity in sorted(totals.items())]


def reserve_lines(order: Order, lines: list[OrderLine], *, actor=None, listed: set[int] | None = None) -> None:
    """Reserve stock for every mapped line (all or nothing; OutOfStock propagates); mark them reserved.

    The ledger keeps one reservation per reference, so an order that already holds part of its
    stock gives it back first and reserves the whole set again (all inside the caller's transaction).
    `listed`: the variants among the lines that are listed on a channel, when the caller read it.
    """
    lines = [line for line in lines if line.variant_id]
    if not lines or all(line.stock_reserved for line in lines):
        return
    if any(line.stock_reserved for line in lines):
        stock_release(reference=order_reference(order.id), actor=actor, reason="re-reserving the whole order")
    stock_reserve(lines=_requests(lines), reference=order_reference(order.id), actor=actor, listed=listed)
    for line in lines:
        line.stock_reserved = True


def release_order_stock(order: Order, *, actor=None, reason: str = "") -> None:
    """Give back every reservation the order holds (cancellation)."""
    ids = list(order.lines.filter(stock_reserved=True).values_list("id", flat=True))
    if not ids:
        return
    stock_release(reference=order_reference(order.id), actor=actor, reason=reason)
    OrderLine.objects.filter(id__in=ids).update(stock_reserved=False)

