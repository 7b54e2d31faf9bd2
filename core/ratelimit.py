"""Counting failed attempts (customer look-ups, signed links) atomically, per client and per subject.

`client_ip(request)` is REMOTE_ADDR, unless that address is one of TRUSTED_PROXIES: then the
client is the right-most X-Forwarded-For address that is not itself a trusted proxy (what the
proxy saw). A forwarded header from anyone else is the client's to forge and is ignored.

`Limiter.attempt(*keys)` reserves one attempt on every key with Redis INCR (and EXPIRE NX, so the
window starts at the first failure): it returns False, counting nothing more, when any key is
already at its limit. The caller gives the attempt back with `release` when it succeeded, so only
failures stay counted, and 16 parallel wrong guesses against a limit of 10 count 16 and let
at most 10 through. With Redis unreachable the limiter fails open (logs, lets the request through
to the database, where the access key or the contact still has to match): never a 500.
"""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

logger = logging.getLogger(__name__)


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[ipaddress._BaseNetwork, ...]:
    return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in proxies if p.strip())


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ()))))


def client_ip(request: HttpRequest) -> str:
    remote = (request.META.get("REMOTE_ADDR") or "").strip()
    if not remote or not _trusted(remote):
        return remote or "unknown"
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    for address in reversed(forwarded):
        try:
            ipaddress.ip_address(address)
        except ValueError:
            return remote  # a forged or broken header behind our own proxy: count the proxy's hop
        if not _trusted(address):
            return address
    return remote


_DECR_IF_EXISTS = "if redis.call('exists', KEYS[1]) == 1 then return redis.call('decr', KEYS[1]) end return 0"


class Throttled(Exception):
    """Too many failed attempts from this client: answered 429 (core.middleware) with Retry-After."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many attempts; retry after {retry_after} s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Limiter:
    name: str
    limit: int
    window_seconds: int

    def _key(self, subject: str) -> str:
        return cache.make_and_validate_key(f"ratelimit:{self.name}:{subject[:200]}")

    def _client(self):
        return cache._cache.get_client(write=True)  # Django's RedisCache: the redis-py client

    def attempt(self, *subjects: str) -> bool:
        """Reserve one attempt for each subject; False (nothing reserved) when one is at its limit."""
        keys = [self._key(subject) for subject in subjects]
        try:
            pipe = self._client().pipeline()
            for key in keys:
                pipe.incr(key)
                pipe.expire(key, self.window_seconds, nx=True)
            counts = pipe.execute()[::2]
            if all(count <= self.limit for count in counts):
                return True
            client = self._client()
            for key in keys:
                client.eval(_DECR_IF_EXISTS, 1, key)
            return False
        except Exception:  # Redis unreachable: fail open to the database's own checks
            logger.warning("rate limiter %s: cache unreachable, not limiting", self.name, exc_info=True)
            return True

    def release(self, *subjects: str) -> None:
        """Give back an attempt that succeeded (only failures stay counted)."""
        try:
            client = self._client()
            for subject in subjects:
                # DECR only a key that still exists: one expired meanwhile must not come back at -1.
                client.eval(_DECR_IF_EXISTS, 1, self._key(subject))
        except Exception:
            logger.warning("rate limiter %s: cache unreachable on release", self.name, exc_info=True)

    def count(self, subject: str) -> int:
        try:
            return int(self._client().get(self._key(subject)) or 0)
        except Exception:
            return 0
