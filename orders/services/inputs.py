"""Plain input objects for the order services: what a form, an API call or a script hands over."""

from __future__ import annotations

from dataclasses import dataclass


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
