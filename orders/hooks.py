"""Explicit extension points of the order lifecycle.

Other apps (payments, notifications, shipping...) register here from AppConfig.ready() instead of
orders importing them, so each app can grow without the orders app knowing it. Hooks run inside
the transaction of the service that calls them: they must be quick, must not call the network,
and should schedule side effects with transaction.on_commit. Order-created hooks write their own
apps' rows only: they must not change the order, its lines or its events (order_create answers
with the objects it wrote, without reading the order back).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class StatusChange:
    order_id: int
    from_status: str
    to_status: str
    event_id: int
    source: str


OrderCreatedHook = Callable[[int], None]
StatusChangedHook = Callable[[StatusChange], None]
# Called by orders.services.order_expire with the order id before an unpaid order is cancelled for
# its passed payment deadline; returns a reason to keep the order (e.g. "money received, needs
# review") or None. Payments registers one, so the orders sweep never cancels a paid-in-part order.
ExpiryGuard = Callable[[int], "str | None"]

_created: list[OrderCreatedHook] = []
_status_changed: list[StatusChangedHook] = []
_expiry_guards: list[ExpiryGuard] = []


def register_order_created(hook: OrderCreatedHook) -> None:
    if hook not in _created:
        _created.append(hook)


def register_status_changed(hook: StatusChangedHook) -> None:
    if hook not in _status_changed:
        _status_changed.append(hook)


def run_order_created(order_id: int) -> None:
    for hook in _created:
        hook(order_id)


def run_status_changed(change: StatusChange) -> None:
    for hook in _status_changed:
        hook(change)


def register_expiry_guard(hook: ExpiryGuard) -> None:
    if hook not in _expiry_guards:
        _expiry_guards.append(hook)


def expiry_blocked(order_id: int) -> str | None:
    """The first reason a registered guard gives to keep this unpaid order, or None."""
    for hook in _expiry_guards:
        reason = hook(order_id)
        if reason:
            return reason
    return None
