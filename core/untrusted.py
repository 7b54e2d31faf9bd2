"""Checks for input from outside (webhook bodies, headers, identifiers) that no provider sends
legitimately and that would otherwise surface as a 500: deep JSON, NUL characters and lone
surrogates (PostgreSQL text cannot hold them), non-ASCII signatures, out-of-range timestamps.

Pure functions without Django models, usable from adapters, inbox and views alike; each raises
ValueError with a message saying what is wrong.
"""

from __future__ import annotations

import hmac
import json
import re
from datetime import UTC, datetime
from typing import Any

# Provider payloads are a few levels deep; anything deeper is junk (and would exhaust the stack).
MAX_JSON_DEPTH = 32

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def clean_text(value: str) -> str:
    """`value` with what PostgreSQL text cannot hold (NUL, lone surrogates) replaced by U+FFFD."""
    return _UNSTORABLE.sub("\ufffd", value)


def is_clean_text(value: str) -> bool:
    return _UNSTORABLE.search(value) is None


def signature_matches(expected: str, received: str) -> bool:
    """Constant-time comparison of a computed signature with the one a request carries.

    Compared as UTF-8 bytes: a header with non-ASCII characters (or a lone surrogate) simply does
    not match, where `hmac.compare_digest` on two str raises TypeError.
    """
    try:
        given = received.encode("utf-8")
    except (UnicodeEncodeError, AttributeError):
        return False
    return hmac.compare_digest(expected.encode("utf-8"), given)


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_JSON_BRACKETS = re.compile(r"[\[\]{}]")


def _json_depth(text: str) -> int:
    """Deepest nesting of arrays and objects in JSON text (strings skipped); cheap, no recursion."""
    depth = deepest = 0
    for bracket in _JSON_BRACKETS.findall(_JSON_STRING.sub("", text)):
        if bracket in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def load_json(body: bytes, *, max_depth: int = MAX_JSON_DEPTH, check_strings: bool = True) -> Any:
    """Any JSON value from a request body, with load_json_object's checks but no top-level rule."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("the body is not UTF-8 text") from None
    if text.count("[") + text.count("{") > max_depth and _json_depth(text) > max_depth:
        raise ValueError(f"JSON nested deeper than {max_depth} levels")
    try:
        payload = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"malformed JSON: {str(exc)[:200]}") from None
    if check_strings:
        check_json_strings(payload)
    return payload


def load_json_object(body: bytes, *, max_depth: int = MAX_JSON_DEPTH, check_strings: bool = True) -> dict:
    """A request body as a JSON object, or ValueError saying why not.

    Refused before any recursion: invalid UTF-8, nesting deeper than `max_depth`; after parsing:
    a top level that is not an object, and (unless `check_strings` is off, for a caller that
    checks them with `check_json_strings` once the sender is verified) strings holding NUL
    characters or lone surrogates, which no provider sends and the database cannot store.
    """
    payload = load_json(body, max_depth=max_depth, check_strings=False)
    if not isinstance(payload, dict):
        raise ValueError("the JSON body is not an object")
    if check_strings:
        check_json_strings(payload)
    return payload


def check_json_strings(payload: Any) -> None:
    """ValueError when a key or string anywhere in parsed JSON holds a NUL or a lone surrogate."""
    stack: list[Any] = [payload]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if not is_clean_text(key):
                    raise ValueError("a JSON key holds a NUL character or a lone surrogate")
                stack.append(value)
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str) and not is_clean_text(item):
            raise ValueError("a JSON string holds a NUL character or a lone surrogate")


def clean_ref(value: Any, *, name: str, max_length: int = 128) -> str:
    """An identifier from a payload (shop id, order id) as text, or ValueError saying what is wrong.

    Numbers are accepted as their decimal text; anything else must be printable text without
    NUL, lone surrogates or control characters, at most `max_length` long.
    """
    if isinstance(value, bool) or value is None:
        raise ValueError(f"{name} is missing")
    if isinstance(value, int):
        text = str(value)
    elif isinstance(value, str):
        text = value.strip()
    else:
        raise ValueError(f"{name} is not text or a number")
    if not text:
        raise ValueError(f"{name} is empty")
    if len(text) > max_length:
        raise ValueError(f"{name} is longer than {max_length} characters")
    if not is_clean_text(text) or not text.isprintable():
        raise ValueError(f"{name} holds control characters")
    return text


# Seconds or milliseconds since the epoch between 2000 and 2100; anything else is not a time.
_EPOCH_MIN, _EPOCH_MAX = 946_684_800, 4_102_444_800


def epoch_datetime(value: Any, *, name: str = "timestamp") -> datetime | None:
    """An epoch time (seconds, or milliseconds when large) as an aware UTC datetime.

    None for a missing value; ValueError naming the field for text that is not a number, a float
    that is not finite, or a time outside 2000-2100 (a "huge" timestamp).
    """
    if value is None or value == "" or value == 0:
        return None
    if isinstance(value, bool):
        raise ValueError(f"{name} is not a time")
    try:
        number = float(value) if not isinstance(value, int) else value
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{name} is not a number: {str(value)[:40]!r}") from None
    if isinstance(number, float):
        if number != number or number in (float("inf"), float("-inf")):
            raise ValueError(f"{name} is not a finite number")
        number = int(number)
    if number > _EPOCH_MAX * 10 and number // 1000 <= _EPOCH_MAX:  # milliseconds
        number //= 1000
    if not _EPOCH_MIN <= number <= _EPOCH_MAX:
        raise ValueError(f"{name} is out of range: {str(value)[:40]}")
    return datetime.fromtimestamp(number, tz=UTC)


BIGINT_MAX = 2**63 - 1


def parse_id(value: Any) -> int | None:
    """A database id typed or sent by someone: ASCII digits only, 1 to the bigint maximum, else None.

    `str.isdigit()` is true for "²" and "٣" (which `int()` then refuses or reads), and a 30-digit
    number passes `int()` but not PostgreSQL: both end here as "not an id".
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 1 <= value <= BIGINT_MAX else None
    text = str(value or "").strip()
    if not text or len(text) > 19 or not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if 1 <= number <= BIGINT_MAX else None


def parse_count(value: Any, *, maximum: int) -> int | None:
    """A count typed by someone (units, boxes): ASCII digits only, 0 to `maximum`, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value <= maximum else None
    text = str(value if value is not None else "").strip()
    if not text or len(text) > 19 or not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if number <= maximum else None
