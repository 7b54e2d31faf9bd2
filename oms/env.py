"""Strict readers for configuration taken from the environment.

Every value is checked where it is read, so a typo in a deployment fails at start-up with a
message that names the variable, instead of surfacing later as odd behaviour.
"""

from __future__ import annotations

import os
from urllib.parse import parse_qsl, urlencode, urlparse, urlunparse

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip()


def env_required(name: str) -> str:
    value = env_str(name)
    if not value:
        raise ImproperlyConfigured(f"{name} must be set in the environment.")
    return value


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name} must be a boolean (one of 1/0, true/false, yes/no, on/off), got {value!r}."
    )


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        number = int(value.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {value!r}.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {number}.")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = (env_str(name, default) or default).lower()
    if value not in choices:
        raise ImproperlyConfigured(
            f"{name} must be one of {', '.join(choices)}, got {value!r}."
        )
    return value


def redis_url_with_db(url: str, db: int) -> str:
    """The same Redis server, database `db`: redis://host:6379/3 or unix:///path.sock?db=3."""
    parts = urlparse(url)
    if parts.scheme == "unix":
        query = [(k, v) for k, v in parse_qsl(parts.query) if k != "db"] + [("db", str(db))]
        return f"unix://{parts.path}?{urlencode(query)}"  # urlunparse would drop the empty host's //
    return urlunparse(parts._replace(path=f"/{db}"))


def redis_db(url: str) -> int:
    """The database number a Redis URL names (0 when it names none)."""
    parts = urlparse(url)
    value = dict(parse_qsl(parts.query)).get("db", "0") if parts.scheme == "unix" else (parts.path.strip("/") or "0")
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"The Redis URL {url!r} names no valid database number.") from None


def broker_url_for(url: str) -> str:
    """Celery's (kombu's) broker URL for a Redis URL: kombu spells Unix sockets redis+socket://."""
    parts = urlparse(url)
    if parts.scheme != "unix":
        return url
    return f"redis+socket://{parts.path}?virtual_host={redis_db(url)}"
