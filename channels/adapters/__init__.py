"""The registry of marketplace adapters: one module per provider behind one small interface.

`get_adapter(channel)` returns the adapter for a channel's kind, or None for channels that have
no API (own website, WhatsApp, offline). The provider modules live in marketplaces.adapters (above
orders, since they build orders' inputs) and register themselves here when that app is ready, so
catalog's stock push, shipping and aftersales reach an adapter without importing the layer above.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# kind -> factory(channel) -> adapter object
ADAPTERS: dict[str, Callable[[Any], Any]] = {}


def register_adapter(kind: str, factory: Callable[[Any], Any]) -> None:
    ADAPTERS[kind] = factory


def get_adapter(channel) -> Any | None:
    factory = ADAPTERS.get(channel.kind)
    return factory(channel) if factory else None
