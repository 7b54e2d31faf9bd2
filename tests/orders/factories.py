"""Factories for the orders tests: products with stock, channels of every kind."""

from __future__ import annotations

import factory

from catalog.models import Product, ProductVariant


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"Kaos Polos {n}")


class VariantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductVariant
        django_get_or_create = ("sku",)

    product = factory.SubFactory(ProductFactory)
    sku = factory.Sequence(lambda n: f"SKU-{n:04d}")
    name = "Hitam / L"
    price_amount = 85_000
    cost_amount = 40_000


def deliver(order, *, paid: bool = True, tracking_number: str | None = None):
    """Walk `order` through the normal fulfilment steps (paid, confirmed, packed, shipped by JNE)
    to delivered, through the services; returns the delivered order."""
    from orders.services import (
        order_confirm,
        order_mark_delivered,
        order_mark_packed,
        order_mark_paid,
        order_mark_shipped,
    )

    if paid:
        order_mark_paid(order_id=order.pk)
    order_confirm(order_id=order.pk)
    order_mark_packed(order_id=order.pk)
    order_mark_shipped(order_id=order.pk, courier="JNE", tracking_number=tracking_number or f"CM{order.pk:08d}")
    return order_mark_delivered(order_id=order.pk)
