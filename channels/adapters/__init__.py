"""Marketplace adapters: one module per provider behind one small interface.

`get_adapter(channel)` returns the adapter for a channel's kind, or None for channels that have
no API (own website, WhatsApp, offline). Provider modules register themselves in ADAPTERS.
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
