"""Writes for channels: setup, webhook delivery processing and pull sync.

Network calls to a marketplace happen outside any transaction and without row locks; the
order itself is written by orders.services.order_upsert_external, which is idempotent and
never moves an order backwards, so a push processed twice or late does no harm.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from channels.adapters import get_adapter
from channels.adapters.base import AdapterError, TransientAdapterError
from channels.adapters.http import chunks
from channels.models import CREDENTIAL_FIELDS, Channel
from core import inbox

logger = logging.getLogger(__name__)

SYNC_OVERLAP = timedelta(minutes=10)  # re-read a little before the cursor: provider clocks and indexes lag
SYNC_INITIAL_LOOKBACK = timedelta(days=3)  # first sync of a new channel
SYNC_CLAIM_TIMEOUT = timedelta(minutes=30)  # a sync claimed longer ago than this crashed
CHANNEL_FIELDS = (
    "kind", "name", "code", "shop_id", "is_active", "api_base_url", "callback_url",
    "commission_percent", "fixed_fee_amount",
)


def _upsert(*, channel_id: int, external) -> None:
    from orders.services import order_upsert_external

    order_upsert_external(channel_id=channel_id, external=external, source="marketplace")


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


# --- webhook deliveries ------------------------------------------------------------------------
def delivery_process(*, delivery_id: int, final_attempt: bool = True) -> str:
    """Process one stored push: re-fetch its orders from the marketplace API and upsert them.

    Returns "skipped" (already done, or another worker has it), "processed" or "failed".
    Transient provider trouble is re-raised for the task's retry (the delivery goes back to
    "received", or "failed" on the last attempt); other errors leave it "failed" with the reason.
    """
    delivery = inbox.delivery_claim(delivery_id=delivery_id)
    if delivery is None:
        return "skipped"
    try:
        channel = delivery.channel
        adapter = get_adapter(channel) if channel is not None else None
        if adapter is None:
            raise AdapterError("the delivery belongs to no channel with a marketplace adapter")
        info = adapter.parse_push(bytes(delivery.body))
        if info.order_ids:
            externals = adapter.fetch_orders(info.order_ids)
            for external in externals:
                _upsert(channel_id=channel.pk, external=external)
            missing = sorted(set(info.order_ids) - {e.external_id for e in externals})
            if missing:
                raise TransientAdapterError(f"the marketplace did not return order(s) {', '.join(missing)}")
    except TransientAdapterError as exc:
        if final_attempt:
            inbox.delivery_finish(delivery_id=delivery_id, error=str(exc))
        else:
            inbox.delivery_release(delivery_id=delivery_id, error=str(exc))
        raise
    except AdapterError as exc:
        inbox.delivery_finish(delivery_id=delivery_id, error=str(exc))
        return "failed"
    except Exception as exc:
        inbox.delivery_finish(delivery_id=delivery_id, error=f"{type(exc).__name__}: {exc}")
        raise
    inbox.delivery_finish(delivery_id=delivery_id)
    return "processed"


# --- pull sync ---------------------------------------------------------------------------------
@dataclass
class SyncResult:
    channel_id: int
    skipped: bool = False
    orders: int = 0
    error: str = ""
    order_ids: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.skipped and not self.error


def _sync_claim(channel_id: int, now: datetime) -> bool:
    return bool(
        Channel.objects.filter(pk=channel_id, is_active=True)
        .filter(Q(sync_started_at__isnull=True) | Q(sync_started_at__lt=now - SYNC_CLAIM_TIMEOUT))
        .update(sync_started_at=now)
    )


def channel_sync(*, channel_id: int, now: datetime | None = None) -> SyncResult:
    """Pull orders updated since the channel's cursor, fetch details in batches and upsert them.

    One sync per channel at a time (claimed on the row). The cursor advances only when every
    order was fetched and stored; a failure is recorded on the channel as its health.
    """
    now = now or timezone.now()
    if not _sync_claim(channel_id, now):
        return SyncResult(channel_id=channel_id, skipped=True)
    result = SyncResult(channel_id=channel_id)
    try:
        channel = Channel.objects.get(pk=channel_id)
        adapter = get_adapter(channel)
        if adapter is None:
            raise AdapterError(f"no marketplace adapter for {channel.get_kind_display()}")
        since = channel.sync_cursor - SYNC_OVERLAP if channel.sync_cursor else now - SYNC_INITIAL_LOOKBACK
        ids = adapter.list_orders_updated_since(since, now)
        for batch in chunks(ids, adapter.detail_batch):
            for external in adapter.fetch_orders(batch):
                _upsert(channel_id=channel.pk, external=external)
                result.orders += 1
                result.order_ids.append(external.external_id)
    except Exception as exc:
        result.error = f"{type(exc).__name__}: {exc}"[:2000]
        Channel.objects.filter(pk=channel_id).update(
            sync_started_at=None, last_sync_error=result.error, sync_failures=F("sync_failures") + 1,
            updated_at=timezone.now(),
        )
        if not isinstance(exc, AdapterError):
            raise
        logger.warning("sync of channel %s failed: %s", channel_id, result.error)
        return result
    Channel.objects.filter(pk=channel_id).update(
        sync_started_at=None, sync_cursor=now, last_synced_at=now, last_sync_error="", sync_failures=0,
        updated_at=timezone.now(),
    )
    return result


def delivery_retry(*, delivery_id: int) -> bool:
    """Staff retry of a failed delivery of a marketplace channel."""
    from channels import tasks

    return inbox.delivery_requeue(delivery_id=delivery_id, task=tasks.delivery_process)
