"""Shipping factories: orders ready to ship, shipments, aggregator accounts."""

from __future__ import annotations

import factory

from shipping.models import PackagePreset, ShippingAccount


class PresetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PackagePreset
        django_get_or_create = ("name",)

    name = "Kardus S 20×15×10"
    length_cm = 20
    width_cm = 15
    height_cm = 10
    weight_grams = 80
    packing_cost_amount = 2_500


def account(provider: str, *, base_url: str, api_key: str = "biteship_test.key", secret: str = "hook-secret",  # noqa: S107
            **fields) -> ShippingAccount:
    row = ShippingAccount(provider=provider, name=f"{provider} test", api_base_url=base_url, **fields)
    row.set_credentials({"api_key": api_key, "webhook_secret": secret})
    row.save()
    return row
