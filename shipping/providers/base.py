"""The one interface every shipping aggregator sits behind, and the plain values it speaks.

Inside the app weights are grams and sizes centimetres; each provider converts at its edge.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from shipping.services.rates import Destination, Parcel, QuoteOption


class ProviderError(Exception):
    """The provider refused or could not be reached. `transient` errors are worth a retry."""

    def __init__(self, message: str, *, transient: bool = False, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.transient = transient
        self.status = status


@dataclass(frozen=True)
class RateRequest:
    destination: Destination
    parcel: Parcel
    cod: bool = False


@dataclass(frozen=True)
class Contact:
    name: str
    phone: str
    address: str
    city: str = ""
    province: str = ""
    postal_code: str = ""
    area_id: str = ""
    kecamatan_id: str = ""
    kelurahan_id: str = ""


@dataclass(frozen=True)
class BookingItem:
    name: str
    quantity: int
    value_amount: int
    weight_grams: int


@dataclass(frozen=True)
class BookingRequest:
    reference: str  # our shipment number
    origin: Contact
    destination: Contact
    courier_code: str
    service_code: str
    parcel: Parcel
    items: list[BookingItem]
    cod_amount: int = 0
    insurance: bool = False
    shipping_cost_amount: int = 0
    note: str = ""
    pickup: bool = True


@dataclass(frozen=True)
class Booking:
    provider_order_id: str
    tracking_number: str = ""
    courier_code: str = ""
    service_code: str = ""
    price_amount: int = 0
    sort_code: str = ""


@dataclass(frozen=True)
class TrackingEntry:
    status_word: str
    occurred_at: datetime
    description: str = ""
    location: str = ""


@dataclass
class TrackingResult:
    status_word: str
    entries: list[TrackingEntry] = field(default_factory=list)


__all__ = [
    "Booking",
    "BookingItem",
    "BookingRequest",
    "Contact",
    "ProviderError",
    "QuoteOption",
    "RateRequest",
    "TrackingEntry",
    "TrackingResult",
]
