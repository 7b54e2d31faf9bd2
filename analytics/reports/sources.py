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
    """True once the shipping app records what the seller pays per shipment."""
    shipment = app_model("shipping", "Shipment")
    return has_field(shipment, "cost_amount")
