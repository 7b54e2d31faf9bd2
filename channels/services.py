"""Writes for channels: create and edit a channel, its encrypted credentials.

Webhook delivery processing and pull sync live in marketplaces.services (above orders).
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from channels.models import CREDENTIAL_FIELDS, Channel

CHANNEL_FIELDS = (
    "kind", "name", "code", "shop_id", "is_active", "api_base_url", "callback_url",
    "commission_percent", "fixed_fee_amount",
)


# --- setup -------------------------------------------------------------------------------------
def _check_credentials(credentials: dict | None) -> dict:
    credentials = dict(credentials or {})
    unknown = sorted(set(credentials) - set(CREDENTIAL_FIELDS))
    if unknown:
        raise ValidationError({"credentials": [f"Unknown credential field(s): {', '.join(unknown)}."]})
    return credentials


def channel_create(
    *,
    kind: str,
    name: str,
    code: str,
    shop_id: str = "",
    credentials: dict | None = None,
    api_base_url: str = "",
    callback_url: str = "",
    is_active: bool = True,
    commission_percent: Decimal | int | str = 0,
    fixed_fee_amount: int = 0,
) -> Channel:
    """Create a channel; credentials are encrypted before the row is written."""
    credentials = _check_credentials(credentials)
    channel = Channel(
        kind=kind, name=name, code=code, shop_id=shop_id, api_base_url=api_base_url, callback_url=callback_url,
        is_active=is_active, commission_percent=commission_percent, fixed_fee_amount=fixed_fee_amount,
    )
    channel.set_credentials(credentials, replace=True)
    channel.full_clean()
    with transaction.atomic():
        channel.save()
    return channel


def channel_update(*, channel_id: int, credentials: dict | None = None, **changes) -> Channel:
    """Change channel settings. Blank credential values keep what is stored (secrets are write-only)."""
    unknown = sorted(set(changes) - set(CHANNEL_FIELDS))
    if unknown:
        raise ValidationError({"non_field_errors": [f"Cannot change: {', '.join(unknown)}."]})
    credentials = _check_credentials(credentials)
    with transaction.atomic():
        channel = Channel.objects.select_for_update().get(pk=channel_id)
        for name, value in changes.items():
            setattr(channel, name, value)
        if credentials:
            channel.set_credentials(credentials)
        channel.full_clean()
        fields = [*changes, "updated_at"]
        if credentials:
            fields.append("credentials_token")
        channel.save(update_fields=fields)
    return channel


def channel_credentials_clear(*, channel_id: int, names: list[str]) -> Channel:
    """Remove stored secrets by name (the only way to blank one, since blank means "keep")."""
    with transaction.atomic():
        channel = Channel.objects.select_for_update().get(pk=channel_id)
        current = channel.credentials
        for name in names:
            current.pop(name, None)
        channel.set_credentials(current, replace=True)
        channel.save(update_fields=["credentials_token", "updated_at"])
    return channel
