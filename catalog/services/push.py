"""Debounced channel stock push.

A stock change calls `stock_push_schedule(variant_ids=...)` inside its transaction: it writes one
StockPushRequest per affected variant that is listed somewhere, and after commit asks for one
flush in DEBOUNCE_SECONDS (a cache key makes many changes in that window share one flush). The
flush claims the pending requests, works out each channel's quantity with the push rules
(selectors.channel_stock_quantities), sends them through the channel's adapter in batches of 50
and records every item as a StockPushAttempt. Failed items are queued again with backoff; the
periodic flush (CELERY_BEAT_SCHEDULE "catalog.stock_push_flush") picks them up. No lock is held
while an adapter talks to the network.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from catalog.models import ChannelCatalogSettings, ChannelListing, StockPushAttempt, StockPushRequest
from core.drain import Drain

logger = logging.getLogger(__name__)

DEBOUNCE_SECONDS = 5
PUSH_BATCH_SIZE = 50
MAX_PUSH_ATTEMPTS = 5
FLUSH_SCHEDULED_KEY = "catalog:stock_push:scheduled"
ATTEMPT_RETENTION_DAYS = 30


def _retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=min(60 * 2 ** max(attempts - 1, 0), 3600))


def listed_variant_ids(variant_ids: Iterable[int]) -> list[int]:
    """The variants among these that have an active listing on an active channel."""
    return sorted(
        set(
            ChannelListing.objects.filter(
                variant_id__in=set(variant_ids), is_active=True, channel__is_active=True
            ).values_list("variant_id", flat=True)
        )
    )


def stock_push_schedule(*, variant_ids: Iterable[int], listed: Iterable[int] | None = None) -> int:
    """Queue a push of these variants to every channel listing them; call inside the stock transaction.

    `listed` (from listed_variant_ids, looked up before taking row locks) saves a query under the locks.
    """
    listed = sorted(set(listed)) if listed is not None else listed_variant_ids(variant_ids)
    if not listed:
        return 0
    now = timezone.now()
    StockPushRequest.objects.bulk_create([StockPushRequest(variant_id=v, not_before=now) for v in listed])
    transaction.on_commit(_request_flush)
    return len(listed)


def _flush_task():
    from catalog.tasks import stock_push_flush

    return stock_push_flush


# Stock changes within DEBOUNCE_SECONDS of the first share one flush (core.drain).
FLUSH_DRAIN = Drain(key=FLUSH_SCHEDULED_KEY, task=_flush_task, delay=DEBOUNCE_SECONDS, marker_ttl=DEBOUNCE_SECONDS * 4)


def _request_flush() -> None:
    FLUSH_DRAIN.wake()  # the cache being away leaves the push to the periodic flush


@dataclass(frozen=True)
class FlushResult:
    attempted: int
    ok: int
    failed: int
    requeued: int


def _claim(now) -> list[StockPushRequest]:
    with transaction.atomic():
        claimed = list(
            StockPushRequest.objects.select_for_update(skip_locked=True)
            .filter(not_before__lte=now)
            .order_by("id")[:10000]
        )
        if claimed:
            StockPushRequest.objects.filter(pk__in=[r.pk for r in claimed]).delete()
    return claimed


def _unclaim(claimed: list[StockPushRequest]) -> None:
    """Put claimed requests back (the flush failed): the next flush pushes them again."""
    StockPushRequest.objects.bulk_create([
        StockPushRequest(variant_id=r.variant_id, channel_id=r.channel_id, attempts=r.attempts, not_before=r.not_before)
        for r in claimed
    ])


def stock_push_flush(*, now=None) -> FlushResult:
    """Send the pending stock of every queued variant to each channel that lists it.

    A debounced drain (core.drain): it claims queued requests until none is left; if a batch
    fails as a whole, its requests are put back and the flush is queued again with backoff.
    """
    # The attempt log keeps ATTEMPT_RETENTION_DAYS; trimmed here so it needs no job of its own.
    StockPushAttempt.objects.filter(
        attempted_at__lt=(now or timezone.now()) - timedelta(days=ATTEMPT_RETENTION_DAYS)
    ).delete()
    totals = [0, 0, 0, 0]

    def process(claimed: list[StockPushRequest]) -> int:
        result = _push_claimed(claimed, now or timezone.now())
        for i, value in enumerate((result.attempted, result.ok, result.failed, result.requeued)):
            totals[i] += value
        return result.attempted

    FLUSH_DRAIN.run(claim=lambda: _claim(now or timezone.now()), process=process, release=_unclaim)
    return FlushResult(*totals)


def _push_claimed(claimed: list[StockPushRequest], now) -> FlushResult:
    from catalog.selectors import channel_stock_quantities
    from channels.adapters import get_adapter
    from channels.adapters.base import AdapterError, StockPushItem, StockPushResult, TransientAdapterError
    from channels.models import Channel

    everywhere: dict[int, int] = {}
    per_channel: dict[int, dict[int, int]] = defaultdict(dict)
    for request in claimed:
        target = everywhere if request.channel_id is None else per_channel[request.channel_id]
        target[request.variant_id] = min(target.get(request.variant_id, request.attempts), request.attempts)

    channel_ids = set(per_channel) | set(
        ChannelListing.objects.filter(variant_id__in=everywhere, is_active=True).values_list("channel_id", flat=True)
    )
    channels = Channel.objects.filter(pk__in=channel_ids, is_active=True).order_by("pk")
    paused = set(
        ChannelCatalogSettings.objects.filter(channel_id__in=channel_ids, push_stock=False).values_list(
            "channel_id", flat=True
        )
    )
    attempted = ok = failed = requeued = 0
    for channel in channels:
        if channel.pk in paused:
            continue
        adapter = get_adapter(channel)
        if adapter is None:
            continue
        wanted = dict(everywhere)
        for variant_id, attempts in per_channel.get(channel.pk, {}).items():
            wanted[variant_id] = min(wanted.get(variant_id, attempts), attempts)
        quantities = channel_stock_quantities(channel_id=channel.pk, variant_ids=wanted)
        for start in range(0, len(quantities), PUSH_BATCH_SIZE):
            batch = quantities[start : start + PUSH_BATCH_SIZE]
            items = [
                StockPushItem(sku=q.sku, quantity=q.quantity, item_id=q.item_id, model_id=q.model_id) for q in batch
            ]
            permanent = False
            try:
                results = list(adapter.push_stock(items) or [])
            except Exception as exc:
                logger.warning("stock push to channel %s failed: %s", channel.pk, exc)
                # A refused request (bad credentials...) will fail the same way again; anything else may pass.
                permanent = isinstance(exc, AdapterError) and not isinstance(exc, TransientAdapterError)
                message = f"{type(exc).__name__}: {exc}"[:2000]
                results = [StockPushResult(sku=item.sku, ok=False, error=message) for item in items]
            by_sku = {r.sku: r for r in results}
            rows, retry = [], []
            for q in batch:
                result = by_sku.get(q.sku) or StockPushResult(sku=q.sku, ok=False, error="no answer for this SKU")
                attempt_number = wanted.get(q.variant_id, 0) + 1
                will_retry = not result.ok and not permanent and attempt_number < MAX_PUSH_ATTEMPTS
                rows.append(
                    StockPushAttempt(
                        channel=channel, listing_id=q.listing_id, sku=q.sku, quantity=q.quantity, ok=result.ok,
                        error=(result.error or "")[:2000], attempt_number=attempt_number, will_retry=will_retry,
                    )
                )
                attempted += 1
                if result.ok:
                    ok += 1
                else:
                    failed += 1
                if will_retry:
                    retry.append(
                        StockPushRequest(
                            variant_id=q.variant_id, channel=channel, attempts=attempt_number,
                            not_before=now + _retry_delay(attempt_number),
                        )
                    )
            StockPushAttempt.objects.bulk_create(rows)
            StockPushRequest.objects.bulk_create(retry)
            requeued += len(retry)
    return FlushResult(attempted=attempted, ok=ok, failed=failed, requeued=requeued)


def stock_push_all(*, channel_id: int | None = None) -> int:
    """Queue every active listing (of one channel, or all) for the next flush: a full resync."""
    listings = ChannelListing.objects.filter(is_active=True, channel__is_active=True)
    if channel_id is not None:
        listings = listings.filter(channel_id=channel_id)
    now = timezone.now()
    rows = [
        StockPushRequest(variant_id=v, channel_id=c, not_before=now)
        for v, c in listings.values_list("variant_id", "channel_id").distinct()
    ]
    with transaction.atomic():
        StockPushRequest.objects.bulk_create(rows)
        if rows:
            transaction.on_commit(_request_flush)
    return len(rows)
