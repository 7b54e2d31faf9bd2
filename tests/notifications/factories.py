"""Orders built straight with the ORM, so these tests do not depend on stock or the order services."""

from __future__ import annotations

import factory
from django.utils import timezone

from channels.models import Channel
from orders.models import Order, OrderLine, OrderStatus
from tests.factories import ChannelFactory, CustomerFactory


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order
        skip_postgeneration_save = True

    channel = factory.SubFactory(ChannelFactory, kind=Channel.Kind.WEBSITE)
    number = factory.Sequence(lambda n: f"WEB-2611-{n:05d}")
    customer = factory.SubFactory(CustomerFactory, email=factory.Sequence(lambda n: f"buyer{n}@example.id"))
    status = OrderStatus.AWAITING_PAYMENT
    placed_at = factory.LazyFunction(timezone.now)
    subtotal_amount = 1_250_000
    shipping_amount = 18_000
    total_amount = 1_268_000
    payment_method = "bank_transfer"
    shipping_name = factory.LazyAttribute(lambda o: o.customer.name if o.customer else "Penerima")
    shipping_phone = factory.LazyAttribute(lambda o: o.customer.phone if o.customer else "")
    shipping_address = "Jl. Melati No. 12, Kebayoran Baru"
    shipping_city = "Jakarta Selatan"

    @factory.post_generation
    def lines(self, create, extracted, **kwargs):
        if not create:
            return
        for sku, name, qty, price in extracted or [
            ("BTK-PRG-L", "Kemeja Batik Parang", 2, 325_000),
            ("KOPI-GAYO-250", "Kopi Gayo Arabika 250 g", 3, 200_000),
        ]:
            OrderLine.objects.create(order=self, sku=sku, name=name, quantity=qty, unit_price_amount=price)
