from __future__ import annotations

import pytest

from aftersales.models import SlaPolicy
from catalog.services import stock_receive
from channels.models import Channel
from core import roles
from core.deadlines import forget_cached_calendar
from orders.services import (
    CustomerInput,
    LineInput,
    order_create,
)
from tests.factories import ChannelFactory
from tests.orders.factories import VariantFactory, deliver


@pytest.fixture(autouse=True)
def _aftersales_settings(settings, tmp_path):
    settings.AFTERSALES_UPLOAD_ROOT = tmp_path / "private"
    settings.NOTIFY_FILE_DIR = tmp_path / "notifications"
    settings.NOTIFY_CHANNELS = ["email", "whatsapp"]
    settings.NOTIFY_WHATSAPP_PROVIDER = "file"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://oms.example.id"
    forget_cached_calendar()
    yield
    forget_cached_calendar()


@pytest.fixture
def web_channel(db):
    return ChannelFactory(kind=Channel.Kind.WEBSITE, name="Toko Web", code="WEB")


@pytest.fixture
def variant(db):
    v = VariantFactory(sku="KAOS-BTK-L", name="Batik / L", price_amount=150_000)
    stock_receive(variant_id=v.pk, quantity=20, reason="stok awal")
    return v


@pytest.fixture
def sla_policy(db):
    return SlaPolicy.objects.create(name="Standar", first_response_minutes=60, resolution_minutes=8 * 60)


@pytest.fixture
def delivered_order(web_channel, variant):
    """delivered_order(qty=2): a paid web order of `qty` units, delivered now."""

    def make(qty: int = 2, *, paid: bool = True, phone: str = "0812-3456-7001"):
        order = order_create(
            channel_id=web_channel.pk, lines=[LineInput(sku=variant.sku, quantity=qty)],
            customer=CustomerInput(name="Rina Kusuma", phone=phone, email="rina@example.id"),
            payment_method="bank_transfer",
        )
        return deliver(order, paid=paid)

    return make


@pytest.fixture
def cs_user(make_user):
    return make_user(roles.CUSTOMER_SERVICE, username="cs-rina", email="cs@example.id")


@pytest.fixture
def warehouse_user(make_user):
    return make_user(roles.WAREHOUSE, username="gudang")


@pytest.fixture
def finance_user(make_user):
    return make_user(roles.FINANCE, username="keuangan")
