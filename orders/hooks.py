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
# Batch twins, for services that write many orders in one transaction (the marketplace webhook
# drain): called once with every order id / change of the batch, in order, instead of once each.
OrdersCreatedHook = Callable[[list[int]], None]
StatusChangedBatchHook = Callable[[list[StatusChange]], None]
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


def register_order_created_batch(hook: OrdersCreatedHook) -> None:
    """An order-created hook that only ever runs in batch (run_order_created calls it with [id])."""
    register_order_created(_batch_only(hook))


def register_status_changed_batch(hook: StatusChangedBatchHook) -> None:
    """A status-changed hook that only ever runs in batch (run_status_changed calls it with [change])."""
    register_status_changed(_batch_only(hook))


def _batch_only(batch_hook: Callable) -> Callable:
    def single(item) -> None:
        batch_hook([item])

    single.batch = batch_hook  # type: ignore[attr-defined]
    return single


def batch_twin(hook: Callable) -> Callable[[Callable], Callable]:
    """Declare a batch version of an app's per-order hook, e.g. beside it in the app's module::

        @hooks.batch_twin(on_order_status_changed)
        def on_orders_status_changed(changes: list[StatusChange]) -> None: ...

    or, in a module that does not import orders, ``on_order_status_changed.batch = on_orders_status_changed``.
    The batch runners call the twin once per batch where the app registered the per-order hook;
    the twin must have the same effect as calling the hook once per item, in order.
    """

    def declare(batch_hook: Callable) -> Callable:
        hook.batch = batch_hook  # type: ignore[attr-defined]
        return batch_hook

    return declare


def run_order_created(order_id: int) -> None:
    for hook in _created:
        hook(order_id)


def run_orders_created(order_ids: list[int], *, around: Callable[[int], AbstractContextManager] | None = None) -> None:
    """The order-created hooks for several orders written in one transaction.

    An app with a batch twin is called once with all ids; any other app once per order, in order,
    inside `around(order_id)` when given (the creating service's context for that order).
    """
    if not order_ids:
        return
    for hook in _created:
        twin = getattr(hook, "batch", None)
        if twin is not None:
            twin(list(order_ids))
            continue
        for order_id in order_ids:
            with around(order_id) if around is not None else nullcontext():
                hook(order_id)


def run_status_changed(change: StatusChange) -> None:
    for hook in _status_changed:
        hook(change)


def run_status_changed_batch(changes: list[StatusChange]) -> None:
    """The status-changed hooks for many changes (several orders, several steps each, in order).

    An app with a batch twin is called once with all changes; any other app once per change.
    """
    if not changes:
        return
    for hook in _status_changed:
        twin = getattr(hook, "batch", None)
        if twin is not None:
            twin(list(changes))
        else:
            for change in changes:
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

_marketplace_status: list[tuple[MarketplaceStatusHook, MarketplaceStatusBatchHook | None]] = []


def register_marketplace_status_recorded(
    hook: MarketplaceStatusHook, *, batch: MarketplaceStatusBatchHook | None = None
) -> None:
    """`hook(item)` per record-only status, or `batch(items)` once per batch when given."""
    if all(existing is not hook for existing, _batch in _marketplace_status):
        _marketplace_status.append((hook, batch))


def run_marketplace_status_recorded(items: list[MarketplaceStatusRecorded]) -> None:
    if not items:
        return
    for hook, batch in _marketplace_status:
        if batch is not None:
            batch(list(items))
        else:
            for item in items:
                hook(item)


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
