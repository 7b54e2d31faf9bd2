"""The interface of a marketplace adapter that the layers below orders need: stock push items and
results, what a push says, and the adapter errors.

The adapters themselves (marketplaces.adapters) sit above orders: they hand orders the order as the
channel sees it, `orders.inputs.ExternalOrder`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class StockPushItem:
    sku: str
    quantity: int
    item_id: str = ""
    model_id: str = ""


@dataclass(frozen=True)
class StockPushResult:
    sku: str
    ok: bool
    error: str = ""


@dataclass(frozen=True)
class PushInfo:
    """What a provider push says, before anything is trusted: a trigger to re-fetch orders."""

    external_event_id: str  # the provider's event id; "" when the provider sends none
    shop_id: str
    event_type: str  # e.g. "3" for a Shopee order status push, "1" for TikTok order status
    order_ids: list[str] = field(default_factory=list)
    status: str = ""
    updated_at: datetime | None = None


class AdapterError(Exception):
    """A provider call failed for good (bad credentials, a refused request): do not retry blindly."""


class TransientAdapterError(AdapterError):
    """A provider call failed in a way that may pass (timeout, 5xx, rate limit): retry later."""


class MalformedPush(ValueError):
    """The push body is not the JSON shape the provider documents."""
