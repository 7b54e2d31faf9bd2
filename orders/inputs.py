"""Plain input objects for the order services: what a form, an API call, a script or a marketplace
adapter hands over.

`ExternalOrder` is the order as a sales channel sees it: the marketplace adapters (marketplaces/)
turn provider payloads into it and orders.services turns it into a local order. This module
imports nothing from the project, so any layer above orders may build these objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class CustomerInput:
    name: str
    phone: str = ""
    email: str = ""


@dataclass(frozen=True)
class AddressInput:
    name: str
    phone: str
    address: str
    city: str = ""
    province: str = ""
    postal_code: str = ""


@dataclass(frozen=True)
class LineInput:
    """One ordered item, named by `sku` or `variant_id`.

    `unit_price_amount=None` takes the channel listing's price, or the variant's base price when the
    variant is not listed on the channel with its own price.
    """

    quantity: int
    sku: str = ""
    variant_id: int | None = None
    unit_price_amount: int | None = None
    discount_amount: int = 0


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
