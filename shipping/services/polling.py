"""Tracking polls and the completion sweep.

`tracking_poll_account` asks one aggregator account about its shipments not updated within
`poll_after_hours`, in batches of POLL_BATCH, never faster than the account's requests per second
(the provider's limit), and records each batch's answers with tracking_record_many (a fixed number
of statements per batch). A provider error for one shipment is counted and skipped; a transient
error (429, 5xx, timeout) slows the rest of the run down instead of hammering the provider.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone

from shipping.models import ShippingAccount
from shipping.providers import ProviderError, provider_for

logger = logging.getLogger(__name__)

POLL_BATCH = 200
MAX_PER_RUN = 20_000


@dataclass
class PollResult:
    asked: int = 0
    recorded: int = 0
    moved: int = 0
    errors: int = 0
    batches: int = 0
    error_samples: list[str] = field(default_factory=list)


class RateLimiter:
    """At most `per_second` calls per second, spaced evenly (a token every 1/per_second s)."""

    def __init__(self, per_second: int, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.interval = 1.0 / max(per_second, 1)
        self.clock, self.sleep = clock, sleep
        self.next_at = clock()

    def wait(self) -> None:
        now = self.clock()
        if now < self.next_at:
            self.sleep(self.next_at - now)
            now = self.next_at
        self.next_at = max(self.next_at, now) + self.interval

    def back_off(self, seconds: float) -> None:
        self.next_at = max(self.next_at, self.clock()) + seconds


def tracking_poll_account(*, account_id: int, limit: int = MAX_PER_RUN, sleep: Callable[[float], None] = time.sleep,
                          provider=None, batch_size: int = POLL_BATCH) -> PollResult:
    from shipping.selectors import shipments_to_poll, shipping_settings
    from shipping.services.tracking import tracking_record_many

    account = ShippingAccount.objects.get(pk=account_id)
    provider = provider or provider_for(account)
    cfg = shipping_settings()
    limiter = RateLimiter(account.requests_per_second, sleep=sleep)
    result = PollResult()
    started = timezone.now()
    older_than = started - timedelta(hours=cfg.poll_after_hours)
    while result.asked < limit:
        batch = shipments_to_poll(account_id=account.pk, older_than=older_than,
                                  limit=min(batch_size, limit - result.asked))
        if not batch:
            break
        reports = []
        for shipment in batch:
            limiter.wait()
            result.asked += 1
            try:
                courier = shipment.courier.code if shipment.courier else shipment.courier_key
                answer = provider.track(tracking_number=shipment.tracking_number, courier_code=courier,
                                        provider_order_id=shipment.provider_order_id)
            except ProviderError as exc:
                result.errors += 1
                if len(result.error_samples) < 5:
                    result.error_samples.append(f"{shipment.number}: {exc.message}")
                if exc.transient:
                    limiter.back_off(1.0)
                reports.append((shipment.pk, account.provider, []))
                continue
            reports.append((shipment.pk, account.provider, answer.entries))
        recorded = tracking_record_many(reports=reports, polled_at=timezone.now())
        result.recorded += recorded.recorded
        result.moved += recorded.moved
        result.batches += 1
    if result.errors:
        logger.warning("tracking poll of %s: %s errors, e.g. %s", account, result.errors, result.error_samples)
    return result


def orders_complete_delivered(*, now=None, limit: int = 500) -> int:
    """Own-channel orders delivered more than `complete_after_days` ago are completed (marketplaces
    complete their own orders and tell us)."""
    from channels.models import Channel
    from orders.models import Order, OrderStatus
    from orders.services import order_complete
    from shipping.selectors import shipping_settings

    now = now or timezone.now()
    cfg = shipping_settings()
    due = (
        Order.objects.filter(status=OrderStatus.DELIVERED,
                             delivered_at__lte=now - timedelta(days=cfg.complete_after_days))
        .exclude(channel__kind__in=Channel.MARKETPLACE_KINDS).values_list("pk", flat=True)[:limit]
    )
    done = 0
    for order_id in list(due):
        try:
            order_complete(order_id=order_id, source="shipping", note=f"delivered {cfg.complete_after_days} days ago")
            done += 1
        except Exception:
            logger.exception("could not complete order %s", order_id)
    return done
