"""Which source apps have landed: a report part whose app is missing says so instead of showing zero."""

from __future__ import annotations

from django.apps import apps


def app_model(app_label: str, model_name: str):
    try:
        return apps.get_model(app_label, model_name)
    except LookupError:
        return None


def has_field(model, name: str) -> bool:
    return model is not None and any(f.name == name for f in model._meta.get_fields())


def shipping_costs_available() -> bool:
    """True once the shipping app records what the seller pays per shipment AND the rollups read it.

    The shipping app has `Shipment.cost_amount`, but the facts still write shipping_cost_amount = 0
    (analytics.services.rollups: ROLLUP_READS_SHIPPING_COSTS); until they read it, the profit report
    says shipping is left out of the margin instead of showing a cost of zero.
    """
    from analytics.services.rollups import ROLLUP_READS_SHIPPING_COSTS

    shipment = app_model("shipping", "Shipment")
    return ROLLUP_READS_SHIPPING_COSTS and has_field(shipment, "cost_amount")
