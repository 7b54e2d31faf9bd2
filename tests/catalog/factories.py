"""Catalog factories: products, variants, warehouses, listings."""

from __future__ import annotations

import factory

from catalog.models import ChannelListing, Product, ProductVariant, Warehouse
from tests.factories import ChannelFactory


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"Kaos Polos {n}")
    category = "Pakaian"
    brand = "Rumah Kita"
    weight_grams = 200


class VariantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductVariant

    product = factory.SubFactory(ProductFactory)
    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = "Hitam / L"
    cost_amount = 40_000
    price_amount = 79_000


class WarehouseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Warehouse
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"wh{n}")
    name = factory.Sequence(lambda n: f"Gudang {n}")
    is_default = False


class ListingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChannelListing

    variant = factory.SubFactory(VariantFactory)
    channel = factory.SubFactory(ChannelFactory)
    item_id = factory.Sequence(lambda n: f"{100000 + n}")
    model_id = ""
