"""HTTP for the aggregators: one session per provider object, timeouts, error classes, JSON checks."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import requests
from django.utils.dateparse import parse_datetime

from shipping.providers.base import ProviderError

DEFAULT_TIMEOUT = (5, 15)
USER_AGENT = "oms/1.0 (+shipping)"
MAX_ANSWER_BYTES = 2 * 1024 * 1024
_QUERY = re.compile(r"\?[^\s'\"]*")


def new_session() -> requests.Session:
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    return session


def _short(text: str, limit: int = 200) -> str:
    return _QUERY.sub("?…", " ".join(str(text).split()))[:limit]


def request_json(
    session: requests.Session,
    method: str,
    url: str,
    *,
    headers: Mapping[str, str],
    body: dict | None = None,
    timeout=None,
    name: str = "provider",
) -> dict:
    """One call; the decoded JSON object. Timeouts, connection errors, 429 and 5xx are transient
    ProviderErrors; other 4xx, non-JSON and oversized answers are permanent ones."""
    data = json.dumps(body).encode() if body is not None else None
    timeout = timeout or DEFAULT_TIMEOUT
    sent = {"Content-Type": "application/json", "Accept": "application/json", **headers}
    try:
        response = session.request(method, url, data=data, headers=sent, timeout=timeout, stream=True)
        raw = response.raw.read(MAX_ANSWER_BYTES + 1, decode_content=True)
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise ProviderError(f"{name}: no answer ({exc.__class__.__name__})", transient=True) from None
    except requests.RequestException as exc:
        raise ProviderError(f"{name}: {_short(exc)}") from None
    status = response.status_code
    if len(raw) > MAX_ANSWER_BYTES:
        raise ProviderError(f"{name}: the answer is larger than {MAX_ANSWER_BYTES} bytes", status=status)
    if status == 429 or status >= 500:
        raise ProviderError(f"{name}: HTTP {status} {_short(raw.decode(errors='replace'))}", transient=True,
                            status=status)
    try:
        payload = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ProviderError(f"{name}: HTTP {status}, the answer is not JSON: {_short(raw.decode(errors='replace'))}",
                            status=status) from None
    if not isinstance(payload, dict):
        raise ProviderError(f"{name}: HTTP {status}, the answer is not a JSON object", status=status)
    if status >= 400:
        message = payload.get("error") or payload.get("message") or payload.get("text") or ""
        raise ProviderError(f"{name}: HTTP {status} {_short(message)}", status=status)
    return payload


def parse_time(value: Any) -> datetime | None:
    """ISO 8601 (with or without zone; without one is Asia/Jakarta), or epoch seconds."""
    if value in (None, ""):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(float(value), tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None  # an epoch no calendar holds: as if the provider sent no time
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        parsed = parse_datetime(text.replace(" ", "T", 1) if "T" not in text else text)
    except ValueError:
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        from zoneinfo import ZoneInfo

        parsed = parsed.replace(tzinfo=ZoneInfo("Asia/Jakarta"))
    return parsed


def whole_amount(value: Any, *, name: str, field: str) -> int:
    """A price the provider sent (number or numeric text) as whole rupiah; garbage is an error."""
    from core.money import round_idr

    if isinstance(value, bool) or value in (None, ""):
        raise ProviderError(f"{name}: {field} is missing")
    try:
        amount = round_idr(str(value))
    except ValueError:
        raise ProviderError(f"{name}: {field} is not a number: {_short(value, 40)}") from None
    if amount < 0:
        raise ProviderError(f"{name}: {field} is negative")
    return amount
