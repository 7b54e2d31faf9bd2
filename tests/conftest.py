from __future__ import annotations

import pytest
from django.utils import translation
from rest_framework.test import APIClient

from core import roles
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _roles(db):
    """Role groups and their grants exist in every test, as after a real migrate."""
    roles.sync_role_permissions()


@pytest.fixture(autouse=True)
def _fresh_business_calendar():
    """Each test starts without this process's cached business calendar (rows are rolled back or
    flushed between tests without the signals that would drop it)."""
    from core.deadlines import forget_cached_calendar

    forget_cached_calendar()
    yield
    forget_cached_calendar()


@pytest.fixture
def make_user(db):
    def make(role: str | None = roles.OWNER, **kwargs):
        return UserFactory(role=role, **kwargs)

    return make


@pytest.fixture
def owner(make_user):
    return make_user(roles.OWNER, username="owner")


@pytest.fixture
def staff_client(client, make_user):
    """A Django test client logged in with the given role: staff_client('Warehouse')."""

    def login(role: str = roles.OWNER):
        user = make_user(role)
        client.force_login(user)
        client.user = user
        return client

    return login


@pytest.fixture
def api_client(make_user):
    def make(role: str | None = roles.OWNER):
        client = APIClient()
        if role is not None:
            user = make_user(role)
            client.force_authenticate(user)
            client.user = user
        return client

    return make


@pytest.fixture(scope="session", autouse=True)
def _close_connection_pools(django_db_setup, django_db_blocker):
    """Close psycopg pools before the test database is dropped.

    Threads in concurrency tests hand their connections back to the shared pool instead of
    closing them; without this the final DROP DATABASE finds those sessions still attached.
    """
    yield
    from django.db import connections

    with django_db_blocker.unblock():
        # A pool replaced during the run (a test changing a setting the pool depends on) is no
        # longer reachable from here: end every other session of the test database first.
        with connections["default"].cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        for conn in connections.all():
            conn.close()
            close_pool = getattr(conn, "close_pool", None)
            if close_pool is not None:
                close_pool()


@pytest.fixture
def english():
    """Messages in English, whatever the compiled catalogues say."""
    with translation.override("en"):
        yield


@pytest.fixture
def web_channel(db):
    from channels.models import Channel
    from tests.factories import ChannelFactory

    return ChannelFactory(kind=Channel.Kind.WEBSITE, name="Website", code="WEB")


@pytest.fixture
def shopee_channel(db):
    from channels.models import Channel
    from tests.factories import ChannelFactory

    return ChannelFactory(kind=Channel.Kind.SHOPEE, name="Shopee", code="SHP", shop_id="727720655")


@pytest.fixture
def make_variant(db):
    """make_variant("KAOS-L", price=85_000, stock=10, barcode="", weight=250): a variant with `stock`
    units in the default warehouse, its product read along."""
    from catalog.models import ProductVariant
    from catalog.services import stock_receive
    from tests.orders.factories import VariantFactory

    def make(sku: str, *, price: int = 85_000, stock: int = 10, barcode: str = "", weight: int = 250):
        variant = VariantFactory(sku=sku, barcode=barcode, price_amount=price)
        if variant.product.weight_grams != weight:
            variant.product.weight_grams = weight
            variant.product.save(update_fields=["weight_grams"])
        if stock:
            stock_receive(variant_id=variant.pk, quantity=stock, reason="test stock")
        return ProductVariant.objects.select_related("product").get(pk=variant.pk)

    return make


@pytest.fixture
def stock_of():
    """stock_of(variant) -> (on hand, reserved) over every warehouse."""
    from catalog.models import StockLevel

    def figures(variant) -> tuple[int, int]:
        levels = StockLevel.objects.filter(variant=variant)
        return sum(level.on_hand for level in levels), sum(level.reserved for level in levels)

    return figures
