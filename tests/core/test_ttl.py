"""core.ttl.TTLCache: the per-process cache of hot lookups (channels, API tokens)."""

from __future__ import annotations

import time

from core.ttl import MISSING, TTLCache


class Clock:
    def __init__(self, monkeypatch) -> None:
        self.now = 1000.0
        monkeypatch.setattr(time, "monotonic", lambda: self.now)


def test_a_value_is_served_until_its_ttl_has_passed(monkeypatch):
    clock = Clock(monkeypatch)
    cache = TTLCache(ttl=5.0)
    cache.set("shop", "channel 1")

    clock.now += 4.9
    assert cache.get("shop") == "channel 1"
    clock.now += 0.2
    assert cache.get("shop") is MISSING


def test_get_or_set_computes_once_per_ttl_and_remembers_none(monkeypatch):
    clock = Clock(monkeypatch)
    cache = TTLCache(ttl=1.0)
    calls = []

    def unknown_shop():
        calls.append(1)
        return None

    assert cache.get_or_set(("shopee", "999"), unknown_shop) is None
    assert cache.get_or_set(("shopee", "999"), unknown_shop) is None
    assert len(calls) == 1
    clock.now += 1.5
    cache.get_or_set(("shopee", "999"), unknown_shop)
    assert len(calls) == 2


def test_clear_forgets_everything_and_works_as_a_signal_receiver():
    cache = TTLCache(ttl=60)
    cache.set(1, "a")

    cache.clear(sender=object, instance=None)

    assert cache.get(1, None) is None and len(cache) == 0


def test_a_flood_of_keys_never_grows_it_past_its_bound():
    cache = TTLCache(ttl=60, max_entries=100)

    for key in range(1000):
        cache.set(key, key)

    assert len(cache) <= 100
    assert cache.get(999) == 999
