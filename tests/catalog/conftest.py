from __future__ import annotations

import pytest
from django.core.cache import cache

from catalog import services
from catalog.services.push import FLUSH_SCHEDULED_KEY
from channels import adapters
from channels.adapters.base import StockPushResult
from tests.catalog.factories import VariantFactory, WarehouseFactory


@pytest.fixture(autouse=True)
def _no_scheduled_flush():
    cache.delete(FLUSH_SCHEDULED_KEY)
    yield
    cache.delete(FLUSH_SCHEDULED_KEY)


@pytest.fixture
def default_warehouse(db):
    return WarehouseFactory(code="utama", name="Gudang Utama", is_default=True)


@pytest.fixture
def second_warehouse(db):
    return WarehouseFactory(code="sby", name="Gudang Surabaya")


@pytest.fixture
def stocked_variant(default_warehouse):
    """stocked_variant(on_hand=10, sku=...) -> a variant received into the default warehouse."""

    def make(on_hand: int = 10, warehouse=None, **kwargs):
        variant = VariantFactory(**kwargs)
        if on_hand:
            services.stock_receive(
                variant_id=variant.pk, quantity=on_hand, warehouse_id=(warehouse or default_warehouse).pk,
                reference="po:test", reason="opening stock",
            )
        return variant

    return make


class FakeAdapter:
    """Records every push; `fail_skus` answer not-ok, `raise_error` makes the whole call fail."""

    def __init__(self, channel, log):
        self.channel = channel
        self.log = log

    def push_stock(self, items):
        self.log.calls.append((self.channel.pk, list(items)))
        if self.log.raise_error:
            raise self.log.raise_error
        return [
            StockPushResult(sku=i.sku, ok=i.sku not in self.log.fail_skus,
                            error="rejected by fake" if i.sku in self.log.fail_skus else "")
            for i in items
        ]


class PushLog:
    def __init__(self):
        self.calls: list = []
        self.fail_skus: set[str] = set()
        self.raise_error: Exception | None = None

    @property
    def items(self):
        return [item for _channel, batch in self.calls for item in batch]


@pytest.fixture
def fake_adapter(monkeypatch):
    """A fake marketplace adapter registered for Shopee and Tokopedia channels."""
    log = PushLog()
    monkeypatch.setattr(adapters, "ADAPTERS", dict(adapters.ADAPTERS))  # restored after the test
    for kind in ("shopee", "tokopedia"):
        adapters.register_adapter(kind, lambda channel, log=log: FakeAdapter(channel, log))
    return log
