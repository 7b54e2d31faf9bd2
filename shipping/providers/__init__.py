"""Shipping aggregators behind one interface: `provider_for(account)` gives an object with
`quote(RateRequest)`, `book(BookingRequest)`, `cancel(...)` and `track(...)`."""

from __future__ import annotations

from shipping.providers.base import (
    Booking,
    BookingItem,
    BookingRequest,
    Contact,
    ProviderError,
    RateRequest,
    TrackingEntry,
    TrackingResult,
)

_FACTORIES: dict = {}


def register_provider(name: str, factory) -> None:
    _FACTORIES[name] = factory


def provider_for(account, **kwargs):
    from shipping.providers import biteship, kiriminaja

    register_provider("biteship", biteship.BiteshipProvider)
    register_provider("kiriminaja", kiriminaja.KiriminAjaProvider)
    try:
        factory = _FACTORIES[account.provider]
    except KeyError:
        raise ProviderError(f"no provider called {account.provider!r}") from None
    return factory(account, **kwargs)


__all__ = [
    "Booking",
    "BookingItem",
    "BookingRequest",
    "Contact",
    "ProviderError",
    "RateRequest",
    "TrackingEntry",
    "TrackingResult",
    "provider_for",
    "register_provider",
]
