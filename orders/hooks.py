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
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class StatusChange:
    order_id: int
    from_status: str
    to_status: str
    event_id: int
    source: str
    # The order row as the writer saved it (status, timestamps...), when the writer has it:
    # a hook reads what it needs from it instead of reading the order again. Not compared.
    order: Any = field(default=None, compare=False, repr=False)


OrderCreatedHook = Callable[[int], None]
StatusChangedHook = Callable[[StatusChange], None]
OrdersCreatedHook = Callable[[list[int]], None]
StatusChangedBatchHook = Callable[[list[StatusChange]], None]
# Called by orders.services.order_expire with the order id before an unpaid order is cancelled for
# its passed payment deadline; returns a reason to keep the order (e.g. "money received, needs
# review") or None. Payments registers one, so the orders sweep never cancels a paid-in-part order.
ExpiryGuard = Callable[[int], "str | None"]

# A hook is registered with its per-item function `one`, its batch function `many`, or both:
# `many(items)` must have the same effect as `one(item)` for each item, in order (a batch hook may
# write an outbox row where the per-item one writes the final row, as notifications does).
# Batch runners call `many` once per batch, or `one` per item when the app gave no `many`; the
# per-item runners call `one`, or `many([item])` when the app registered only a batch function.
ORDER_CREATED = "order_created"  # items: order ids
STATUS_CHANGED = "status_changed"  # items: StatusChange
MARKETPLACE_STATUS_RECORDED = "marketplace_status_recorded"  # items: MarketplaceStatusRecorded


@dataclass(frozen=True)
class Hook:
    one: Callable[[Any], None] | None
    many: Callable[[list], None] | None

    def run_one(self, item) -> None:
        if self.one is not None:
            self.one(item)
        else:
            self.many([item])  # type: ignore[misc]

    def run_many(self, items: list, *, around: Callable[[Any], AbstractContextManager] | None = None) -> None:
        if self.many is not None:
            self.many(list(items))
            return
        for item in items:
            with around(item) if around is not None else nullcontext():
                self.run_one(item)


_created: list[Hook] = []
_status_changed: list[Hook] = []
_marketplace_status: list[Hook] = []
_REGISTRY = {ORDER_CREATED: "_created", STATUS_CHANGED: "_status_changed",
             MARKETPLACE_STATUS_RECORDED: "_marketplace_status"}
_expiry_guards: list[ExpiryGuard] = []


def _hooks(event: str) -> list[Hook]:
    return globals()[_REGISTRY[event]]


def register(event: str, *, one: Callable | None = None, many: Callable | None = None) -> None:
    """Register an app's hook for `event` (ORDER_CREATED, STATUS_CHANGED, MARKETPLACE_STATUS_RECORDED).

    Give `one` (called per item), `many` (called once per batch with every item) or both.
    Registering the same pair twice (AppConfig.ready() run again) is a no-op.
    """
    if one is None and many is None:
        raise TypeError("register() needs one=, many= or both")
    hooks = _hooks(event)
    if all(not (h.one is one and h.many is many) for h in hooks):
        hooks.append(Hook(one=one, many=many))


def register_order_created(hook: OrderCreatedHook | None = None, *, batch: OrdersCreatedHook | None = None) -> None:
    register(ORDER_CREATED, one=hook, many=batch)


def register_status_changed(hook: StatusChangedHook | None = None, *,
                            batch: StatusChangedBatchHook | None = None) -> None:
    register(STATUS_CHANGED, one=hook, many=batch)


def run_order_created(order_id: int) -> None:
    for hook in list(_created):
        hook.run_one(order_id)


def run_orders_created(order_ids: list[int], *, around: Callable[[int], AbstractContextManager] | None = None) -> None:
    """The order-created hooks for several orders written in one transaction.

    An app with a batch hook is called once with all ids; any other app once per order, in order,
    inside `around(order_id)` when given (the creating service's context for that order).
    """
    if not order_ids:
        return
    for hook in list(_created):
        hook.run_many(list(order_ids), around=around)


def run_status_changed(change: StatusChange) -> None:
    for hook in list(_status_changed):
        hook.run_one(change)


def run_status_changed_batch(changes: list[StatusChange]) -> None:
    """The status-changed hooks for many changes (several orders, several steps each, in order):
    an app's batch hook once with all of them, any other app once per change."""
    if not changes:
        return
    for hook in list(_status_changed):
        hook.run_many(list(changes))


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


# --- Record-only marketplace statuses ----------------------------------------------------------
# A marketplace status that maps to no order status (Shopee TO_RETURN and IN_CANCEL, Lazada
# returned / shipped_back / damaged_by_3pl, Tokopedia 550...) is only written as a
# `marketplace_status` OrderEvent; the order does not move. Apps that act on such words (after-sales
# opens a return case) register here. Called inside the order transaction with the rows just
# written, once per batch; a hook must stay quick and schedule real work after commit.


@dataclass(frozen=True)
class MarketplaceStatusRecorded:
    order_id: int
    channel_kind: str
    status: str  # the provider's own word, e.g. "TO_RETURN"
    event_id: int
    source: str


MarketplaceStatusHook = Callable[[MarketplaceStatusRecorded], None]
MarketplaceStatusBatchHook = Callable[[list[MarketplaceStatusRecorded]], None]


def register_marketplace_status_recorded(
    hook: MarketplaceStatusHook | None = None, *, batch: MarketplaceStatusBatchHook | None = None
) -> None:
    """`hook(item)` per record-only status, or `batch(items)` once per batch when given."""
    register(MARKETPLACE_STATUS_RECORDED, one=hook, many=batch)


def run_marketplace_status_recorded(items: list[MarketplaceStatusRecorded]) -> None:
    if not items:
        return
    for hook in list(_marketplace_status):
        hook.run_many(list(items))


# --- Read-only answers other apps give about an order ----------------------------------------


@dataclass(frozen=True)
class AmountDue:
    """What the buyer must pay for an order as the payments app expects it: `amount` is the exact
    sum to transfer (base plus kode unik), the figure customer service tells the buyer."""

    amount: int
    base_amount: int
    unique_code: int
    method_label: str
    is_open: bool


AmountDueHook = Callable[[int], "AmountDue | None"]
# The language a customer reads (their saved preference); None when the app does not know.
CustomerLanguageHook = Callable[[object], "str | None"]

_amount_due: list[AmountDueHook] = []
_customer_language: list[CustomerLanguageHook] = []


def register_amount_due(hook: AmountDueHook) -> None:
    """Payments registers one: the staff order page shows the amount with kode unik from it."""
    if hook not in _amount_due:
        _amount_due.append(hook)


def amount_due(order_id: int) -> AmountDue | None:
    for hook in _amount_due:
        if (answer := hook(order_id)) is not None:
            return answer
    return None


def register_customer_language(hook: CustomerLanguageHook) -> None:
    """Notifications registers one (the customer's message language)."""
    if hook not in _customer_language:
        _customer_language.append(hook)


def customer_language(order) -> str:
    """The language to write to this order's customer in: their preference, else the shop's default
    (settings.LANGUAGE_CODE), never the language of the staff member who happens to be sending."""
    from django.conf import settings

    codes = {code for code, _name in settings.LANGUAGES}
    for hook in _customer_language:
        if (language := hook(order)) in codes:
            return language
    return settings.LANGUAGE_CODE
