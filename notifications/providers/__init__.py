"""Pluggable message providers, chosen per channel by settings.

NOTIFY_EMAIL_PROVIDER / NOTIFY_WHATSAPP_PROVIDER / NOTIFY_SMS_PROVIDER name a built-in provider
("email", "console", "file", "http") or give the dotted path of a Provider subclass.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from notifications.providers.base import (
    OutboundMessage,
    PermanentSendError,
    Provider,
    SendError,
    SendResult,
    TransientSendError,
)

BUILTIN = {
    "email": "notifications.providers.email.EmailProvider",
    "console": "notifications.providers.console.ConsoleProvider",
    "file": "notifications.providers.file.FileProvider",
    "http": "notifications.providers.http.HttpProvider",
}

__all__ = [
    "BUILTIN",
    "OutboundMessage",
    "PermanentSendError",
    "Provider",
    "SendError",
    "SendResult",
    "TransientSendError",
    "get_provider",
]


def provider_setting(channel: str) -> str:
    return getattr(settings, f"NOTIFY_{channel.upper()}_PROVIDER", "") or "console"


def get_provider(channel: str) -> Provider:
    name = provider_setting(channel)
    path = BUILTIN.get(name, name)
    try:
        cls = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(
            f"NOTIFY_{channel.upper()}_PROVIDER={name!r} is neither one of {', '.join(BUILTIN)} "
            f"nor an importable class: {exc}"
        ) from None
    if not (isinstance(cls, type) and issubclass(cls, Provider)):
        raise ImproperlyConfigured(f"NOTIFY_{channel.upper()}_PROVIDER={name!r} is not a Provider subclass.")
    return cls(channel=channel)
