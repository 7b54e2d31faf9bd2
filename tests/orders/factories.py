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
