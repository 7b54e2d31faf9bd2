"""What analytics does when an order changes: mark its rollup key dirty, after commit.

Registered from AnalyticsConfig.ready() as batch hooks only (orders.hooks: a single order is a
batch of one). The bodies only use the order ids (CONTRACTS.md §1).
"""

from __future__ import annotations

from django.db import transaction


def _mark_after_commit(order_ids: list[int]) -> None:
    from analytics.services.rollups import rollup_mark_orders

    ids = list(order_ids)
    transaction.on_commit(lambda: rollup_mark_orders(order_ids=ids))


def on_orders_created(order_ids: list[int]) -> None:
    _mark_after_commit(order_ids)


def on_status_changes(changes) -> None:
    _mark_after_commit([change.order_id for change in changes])
