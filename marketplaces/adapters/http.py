"""HTTP plumbing shared by the marketplace adapters: one session, timeouts, error classes."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import requests

from channels.adapters.base import AdapterError, MalformedPush, TransientAdapterError
from core.money import round_idr
from core.untrusted import epoch_datetime

DEFAULT_TIMEOUT = (5, 20)  # connect, read seconds
USER_AGENT = "oms/1.0 (+marketplace sync)"


def header(headers: Mapping[str, str], name: str) -> str:
    """Case-insensitive header lookup over a dict or Django's request.headers."""
    value = headers.get(name)
    if value is None:
        lower = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lower), None)
    return (value or "").strip()


_QUERY = re.compile(r"\?[^\s'\"]*")


def _safe(exc: Exception) -> str:
    """An exception's text without query strings: signed URLs carry access tokens and signatures."""
    return _QUERY.sub("?[query hidden]", str(exc))


def new_session() -> requests.Session:
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    return session


def call(
    session: requests.Session,
    method: str,
    url: str,
    *,
    params: Mapping[str, Any] | None = None,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    timeout=DEFAULT_TIMEOUT,
) -> dict:
    """Send one request and return the decoded JSON object.

    Network trouble, 429 and 5xx raise TransientAdapterError (worth a retry); other 4xx and
    non-JSON answers raise AdapterError.
    """
    try:
        response = session.request(method, url, params=params, data=body, headers=headers, timeout=timeout)
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise TransientAdapterError(f"{method} {url}: {exc.__class__.__name__}: {_safe(exc)}") from None
    except requests.RequestException as exc:
        raise AdapterError(f"{method} {url}: {_safe(exc)}") from None
    if response.status_code == 429 or response.status_code >= 500:
        raise TransientAdapterError(f"{method} {url}: HTTP {response.status_code} {response.text[:200]}")
    try:
        data = response.json()
    except (json.JSONDecodeError, ValueError):
        raise AdapterError(f"{method} {url}: HTTP {response.status_code}, not JSON: {response.text[:200]}")
    if response.status_code >= 400 and not isinstance(data, dict):
        raise AdapterError(f"{method} {url}: HTTP {response.status_code}")
    if not isinstance(data, dict):
        raise AdapterError(f"{method} {url}: expected a JSON object")
    data.setdefault("_http_status", response.status_code)
    return data


def amount(value: Any) -> int:
    """A provider amount (number or numeric string, maybe with decimals) as whole rupiah."""
    if value in (None, ""):
        return 0
    return round_idr(str(value))


def from_epoch(value: Any) -> datetime | None:
    """Seconds (or milliseconds) since the epoch as an aware UTC datetime.

    MalformedPush (a ValueError) for text that is not a number or a time outside 2000-2100.
    """
    try:
        return epoch_datetime(value)
    except ValueError as exc:
        raise MalformedPush(str(exc)) from None


def chunks(items: list, size: int) -> list[list]:
    return [items[i : i + size] for i in range(0, len(items), size)]


class HttpAdapter:
    """What every marketplace adapter shares: its channel, a lazy HTTP session and a clock."""

    def __init__(self, channel, *, session=None, clock=time.time) -> None:
        self.channel = channel
        self._session = session
        self.clock = clock

    @property
    def session(self) -> requests.Session:
        # Created on first API call: verifying a push needs no HTTP session.
        if self._session is None:
            self._session = new_session()
        return self._session


def load_push_json(raw_body: bytes) -> object:
    """The push body parsed as JSON, or MalformedPush saying why not."""
    try:
        return json.loads(raw_body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedPush(f"not JSON: {exc}") from None
