"""What every marketplace adapter hands to the orders app: the order as the channel sees it.

Adapters (Shopee, TikTok Shop, Lazada, ...) turn provider payloads into these plain objects;
orders.services turns them into local orders. Neither side knows the other's internals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class ExternalOrderLine:
    external_line_id: str
    sku: str
    name: str
    quantity: int
    unit_price_amount: int  # whole rupiah, before line discount
    discount_amount: int = 0
    item_id: str = ""  # marketplace item id, for mapping when the SKU is missing
    model_id: str = ""  # marketplace model/variation id


@dataclass(frozen=True)
class ExternalOrder:
    external_id: str
    status: str  # the provider's own status word, e.g. READY_TO_SHIP
    placed_at: datetime
    updated_at: datetime
    lines: list[ExternalOrderLine]
    total_amount: int
    shipping_amount: int = 0
    discount_amount: int = 0
    marketplace_fee_amount: int = 0
    payment_method: str = ""
    is_cod: bool = False
    paid_at: datetime | None = None
    ship_by: datetime | None = None
    buyer_name: str = ""
    buyer_phone: str = ""
    buyer_email: str = ""
    shipping_name: str = ""
    shipping_phone: str = ""
    shipping_address: str = ""
    shipping_city: str = ""
    shipping_province: str = ""
    shipping_postal_code: str = ""
    courier: str = ""
    tracking_number: str = ""
    cancel_reason: str = ""
    raw: dict = field(default_factory=dict)


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
