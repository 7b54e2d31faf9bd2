"""What analytics does when an order changes: mark its rollup key dirty, after commit.

Registered from AnalyticsConfig.ready(). The bodies only use the order ids (CONTRACTS.md §1), so
the switch to `hooks.order_created.register(..., batch=..., when="commit")` is one line each.
"""

from __future__ import annotations

from django.db import transaction


def _mark_after_commit(order_ids: list[int]) -> None:
    from analytics.services.rollups import rollup_mark_orders

    ids = list(order_ids)
    transaction.on_commit(lambda: rollup_mark_orders(order_ids=ids))


def on_orders_created(order_ids: list[int]) -> None:
    _mark_after_commit(order_ids)


def on_order_created(order_id: int) -> None:
    _mark_after_commit([order_id])


def on_status_changes(changes) -> None:
    _mark_after_commit([change.order_id for change in changes])


def on_status_changed(change) -> None:
    _mark_after_commit([change.order_id])
