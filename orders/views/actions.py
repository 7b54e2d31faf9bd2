"""The staff actions on one order: which service each calls, what it needs and when it is offered.

The order's current status decides which buttons the detail page shows (through the model's
allowed-transitions table); the service itself re-checks under a row lock, so a stale page can
only ever get a clear "not allowed" answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from orders import services
from orders.forms import CancelForm, ResolveOversoldForm, ShipForm, TransitionForm
from orders.models import Order, OrderStatus


@dataclass(frozen=True)
class OrderAction:
    key: str
    label: Promise
    icon: str
    permission: str
    form_class: type[forms.Form]
    # Status the action moves to; None for actions that do not change the status.
    target: str | None = None
    style: str = "primary"
    success: Promise | str = ""
    # Statuses the service starts from, when narrower than the transitions table (confirm is not
    # "unpack": packed -> processing is a different step).
    allowed_from: frozenset[str] | None = None

    def make_form(self, order: Order | None = None, data=None) -> forms.Form:
        """The action's form; the oversold form needs the order to offer its unmapped lines."""
        extra = {"order": order} if self.form_class is ResolveOversoldForm else {}
        return self.form_class(data, prefix=self.key, **extra)

    def service(self) -> Callable[..., Order]:
        return getattr(services, SERVICE_NAMES[self.key])

    def is_available(self, order: Order) -> bool:
        if self.key == "resolve_oversold":
            return order.is_oversold
        if self.allowed_from is not None and order.status not in self.allowed_from:
            return False
        return self.target is not None and order.can_transition_to(self.target)

    def call(self, *, order_id: int, actor, data: dict) -> Order:
        """Run the service with the form's cleaned data."""
        kwargs = {"order_id": order_id, "actor": actor, "source": "staff"}
        if self.key == "cancel":
            kwargs["reason"] = data["reason"]
        elif self.key == "ship":
            kwargs.update(courier=data["courier"], tracking_number=data["tracking_number"], note=data.get("note", ""))
        elif self.key == "resolve_oversold":
            kwargs.update(
                note=data.get("note", ""),
                force=bool(data.get("force")),
                line_variants=data.get("line_variants") or None,
            )
        else:
            kwargs["note"] = data.get("note", "")
        return self.service()(**kwargs)


SERVICE_NAMES = {
    "confirm": "order_confirm",
    "pack": "order_mark_packed",
    "ship": "order_mark_shipped",
    "deliver": "order_mark_delivered",
    "complete": "order_complete",
    "cancel": "order_cancel",
    "resolve_oversold": "order_resolve_oversold",
}

PROCESS = "orders.process_order"

ACTIONS: dict[str, OrderAction] = {
    a.key: a
    for a in [
        OrderAction(
            "confirm", _("Confirm"), "check2-circle", PROCESS, TransitionForm, OrderStatus.PROCESSING,
            success=_("Order confirmed."),
            allowed_from=frozenset({OrderStatus.PAID, OrderStatus.AWAITING_PAYMENT}),
        ),
        OrderAction(
            "pack", _("Mark packed"), "box-seam", PROCESS, TransitionForm, OrderStatus.PACKED,
            success=_("Order marked packed."),
            allowed_from=frozenset({OrderStatus.PROCESSING}),
        ),
        OrderAction(
            "ship", _("Mark shipped"), "truck", PROCESS, ShipForm, OrderStatus.SHIPPED,
            success=_("Order marked shipped."),
        ),
        OrderAction(
            "deliver", _("Mark delivered"), "house-check", PROCESS, TransitionForm, OrderStatus.DELIVERED,
            style="outline-primary", success=_("Order marked delivered."),
        ),
        OrderAction(
            "complete", _("Complete"), "flag", PROCESS, TransitionForm, OrderStatus.COMPLETED,
            style="outline-primary", success=_("Order completed."),
        ),
        OrderAction(
            "resolve_oversold", _("Resolve oversold"), "exclamation-diamond", PROCESS, ResolveOversoldForm,
            style="outline-warning", success=_("Oversold flag cleared."),
        ),
        OrderAction(
            "cancel", _("Cancel order"), "x-circle", "orders.cancel_order", CancelForm, OrderStatus.CANCELLED,
            style="outline-danger", success=_("Order cancelled."),
        ),
    ]
}


def available_actions(order: Order, user) -> list[dict]:
    """The actions this user may take on this order now, each with an unbound form."""
    return [
        {"action": action, "form": action.make_form(order)}
        for action in ACTIONS.values()
        if action.is_available(order) and user.has_perm(action.permission)
    ]
