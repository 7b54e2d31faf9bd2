"""Writes for marketplace channels: webhook delivery processing and pull sync.

Network calls to a marketplace happen outside any transaction and without row locks; the
orders are written by orders.services (orders_upsert_external_batch, for a drained batch of
pushes and for each page of a pull sync), which is idempotent and never moves an order
backwards, so a push processed twice or late does no harm.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import F, Q
from django.utils import timezone

from channels.adapters import get_adapter
from channels.adapters.base import AdapterError, TransientAdapterError
from channels.models import Channel
from core import inbox
from core.drain import claim_loop
from marketplaces.adapters.http import chunks
from orders.services.external import orders_upsert_external_batch

logger = logging.getLogger(__name__)

SYNC_OVERLAP = timedelta(minutes=10)  # re-read a little before the cursor: provider clocks and indexes lag
SYNC_INITIAL_LOOKBACK = timedelta(days=3)  # first sync of a new channel
SYNC_CLAIM_TIMEOUT = timedelta(minutes=30)  # a sync claimed longer ago than this crashed


def _upsert_batch(*, channel_id: int, externals: list):
    return orders_upsert_external_batch(channel_id=channel_id, externals=externals, source="marketplace")


# --- webhook deliveries ------------------------------------------------------------------------
DELIVERY_BATCH = 50  # pushes answered by one worker pass (one order-detail call per 50 orders)
# Once a pass comes back full there is a backlog: later passes take this many (one transaction
# and a fixed number of statements per pass). Measured: 50, 100 and 200 cost the same CPU per
# push within noise (1.4-1.7 ms worker, 0.7-0.8 ms PostgreSQL), and a pass's pushes wait for the
# whole pass, so not more.
DELIVERY_BACKLOG_BATCH = 100
DELIVERY_MAX_ATTEMPTS = 6  # a push still failing transiently after this many tries is marked failed


def _error_text(exc: Exception) -> str:
    return str(exc) if isinstance(exc, AdapterError) else f"{type(exc).__name__}: {exc}"


def delivery_process(*, delivery_id: int, final_attempt: bool = True, on_release=None) -> str:
    """Process a stored push: re-fetch its orders from the marketplace API and upsert them.

    The worker also takes other waiting pushes of the same channel (up to DELIVERY_BATCH), so a
    backlog is drained with one order-detail call per 50 orders and several pushes about one
    order cost one fetch and one upsert (the fetch returns the order's latest state anyway).

    Returns "skipped" (already done, or another worker has it), "processed" or "failed" for the
    given delivery. Transient provider trouble about it is re-raised for the task's retry (it
    goes back to "received", or "failed" on the last attempt); other errors leave it "failed"
    with the reason. The other pushes of the batch end processed, failed, or back in "received"
    for the sweep.
    """
    delivery = inbox.delivery_claim(delivery_id=delivery_id)
    if delivery is None:
        return "skipped"
    batch = [delivery, *inbox.delivery_claim_batch(delivery=delivery, limit=DELIVERY_BATCH - 1)]
    errors = _handle_batch(
        delivery.channel, batch, final_id=delivery_id if final_attempt else None, on_release=on_release
    )
    own = errors.get(delivery_id)
    if own is None:
        return "processed"
    if isinstance(own, TransientAdapterError) or not isinstance(own, AdapterError):
        raise own
    return "failed"


def _handle_batch(
    channel: Channel | None, batch: list, *, final_id: int | None = None, on_release=None
) -> dict[int, Exception]:
    """Process claimed deliveries and record how each ended; returns the errors by delivery id.

    A transient error gives the delivery back ("received", with the error) for a later retry and
    calls `on_release(fewest attempts)` once, except for `final_id` (its task's last attempt) and
    deliveries tried DELIVERY_MAX_ATTEMPTS times, which are marked failed for staff to see.
    """
    adapter = get_adapter(channel) if channel is not None else None
    if adapter is None:
        errors: dict[int, Exception] = {
            d.pk: AdapterError("the delivery belongs to no channel with a marketplace adapter") for d in batch
        }
    else:
        errors = _process_batch(adapter, channel, batch)
    inbox.delivery_finish_many(delivery_ids=[item.pk for item in batch if item.pk not in errors])
    released: list[int] = []
    for item in batch:
        exc = errors.get(item.pk)
        if exc is None:
            continue
        if (
            isinstance(exc, TransientAdapterError)
            and item.pk != final_id
            and item.attempts < DELIVERY_MAX_ATTEMPTS
        ):
            inbox.delivery_release(delivery_id=item.pk, error=_error_text(exc))
            released.append(item.attempts)
        else:
            inbox.delivery_finish(delivery_id=item.pk, error=_error_text(exc))
    if released and on_release is not None:
        on_release(min(released))
    return errors


def deliveries_drain(
    *, channel_id: int, on_idle=None, on_backlog=None, on_release=None, retry: bool = False, max_batches: int = 100
) -> tuple[int, bool]:
    """Process a channel's waiting pushes, DELIVERY_BATCH at a time (DELIVERY_BACKLOG_BATCH while
    passes come back full), until none is left.

    `on_idle()` is called once the channel looks drained, and the queue is checked once more
    after it, so a push stored just before is not left behind (the intake schedules a drain only
    while none is marked running). `on_backlog()` is called after each full batch, so the caller
    can start a helper drain (claims skip each other's rows). A drain takes only pushes never
    tried; `retry=True` takes those given back after a transient error too. Returns (deliveries
    handled, more left after max_batches).
    """
    channel = Channel.objects.filter(pk=channel_id).first()
    started = timezone.now()
    limit = DELIVERY_BATCH

    def claim() -> list:
        return inbox.delivery_claim_waiting(
            channel_id=channel_id, limit=limit, fresh_only=not retry, tried_before=started
        )

    def process(batch: list) -> int:
        nonlocal limit
        full = len(batch) == limit
        if full and on_backlog is not None:
            on_backlog()
        limit = DELIVERY_BACKLOG_BATCH if full else DELIVERY_BATCH
        _handle_batch(channel, batch, on_release=on_release)
        return len(batch)

    # no resume: after on_idle the drain goes on without its marker (a push stored meanwhile
    # queued a new drain; claims skip each other's rows) and claimed pushes are never given back
    return claim_loop(claim=claim, process=process, on_idle=on_idle, max_batches=max_batches)


def _process_batch(adapter, channel: Channel, batch: list) -> dict[int, Exception]:
    """Fetch and upsert the orders a batch of pushes names; the error of each delivery that failed."""
    errors: dict[int, Exception] = {}
    wanted: dict[str, list[int]] = {}
    for item in batch:
        try:
            info = adapter.parse_push(bytes(item.body))
        except Exception as exc:  # a stored body that no longer parses fails alone
            errors[item.pk] = AdapterError(f"unreadable push: {exc}")
            continue
        for order_id in info.order_ids:
            wanted.setdefault(order_id, []).append(item.pk)
    if not wanted:
        return errors
    try:
        externals = adapter.fetch_orders(list(wanted))
    except Exception as exc:
        for ids in wanted.values():
            for pk in ids:
                errors.setdefault(pk, exc)
        return errors
    # One transaction for the batch; when it fails, each order is tried on its own inside and
    # only the failing ones come back here.
    # flushed_by_caller: _handle_batch's delivery_finish_many, a synchronous commit, comes next
    result = orders_upsert_external_batch(
        channel_id=channel.pk, externals=externals, source="marketplace", flushed_by_caller=True
    )
    for external_id, exc in result.errors.items():
        for pk in wanted.get(external_id, []):
            errors.setdefault(pk, exc)
    missing = set(wanted) - {e.external_id for e in externals}
    for order_id in sorted(missing):
        for pk in wanted[order_id]:
            errors.setdefault(pk, TransientAdapterError(f"the marketplace did not return order(s) {order_id}"))
    return errors


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
            externals = list(adapter.fetch_orders(batch))
            # The webhook drain's set-based upsert: a catch-up after an outage stores hundreds of
            # orders in a few statements per batch instead of 7-28 per order.
            stored = _upsert_batch(channel_id=channel.pk, externals=externals)
            if stored.errors:
                failed, error = next(iter(stored.errors.items()))
                raise RuntimeError(
                    f"{len(stored.errors)} of {len(externals)} orders could not be stored "
                    f"(first: {failed}: {type(error).__name__}: {error})"
                ) from error
            result.orders += len(externals)
            result.order_ids.extend(external.external_id for external in externals)
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
    from marketplaces import tasks

    return inbox.delivery_requeue(delivery_id=delivery_id, task=tasks.delivery_process)
