"""Cases opened automatically from marketplace returns and disputes.

Two sources, one idempotent writer (`case_open` with a `source_ref`, so an origin opens one case):

- Record-only marketplace statuses (Shopee TO_RETURN, Lazada returned / damaged_by_3pl...,
  Tokopedia 550) reach orders.hooks.register_marketplace_status_recorded; the hook only schedules
  `cases_open_from_events` after the order's commit. The periodic intake re-reads such events
  since its cursor, so a lost task is made good.
- TikTok Shop type 12 (return) pushes are stored by core.inbox; the periodic intake reads the
  processed ones since its cursor (the order exists by then) and opens a return case per return.

The marketplace's own response deadline (MARKETPLACE_RESPONSE_HOURS, per channel kind; data, not
code) is kept beside ours on the case.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.models import CaseCategory, CaseChannel, CaseKind, CasePriority, IntakeCursor
from aftersales.services import cases as case_services

logger = logging.getLogger(__name__)

# Provider word -> (case kind, category) for the record-only statuses that need a person.
CASE_WORDS: dict[str, dict[str, tuple[str, str]]] = {
    "shopee": {"TO_RETURN": (CaseKind.RETURN, CaseCategory.REFUND)},
    "lazada": {
        "returned": (CaseKind.RETURN, CaseCategory.REFUND),
        "shipped_back": (CaseKind.COMPLAINT, CaseCategory.LATE_DELIVERY),
        "failed_delivery": (CaseKind.COMPLAINT, CaseCategory.LATE_DELIVERY),
        "lost_by_3pl": (CaseKind.COMPLAINT, CaseCategory.MISSING_ITEM),
        "damaged_by_3pl": (CaseKind.COMPLAINT, CaseCategory.DAMAGED),
    },
    "tokopedia": {"550": (CaseKind.RETURN, CaseCategory.REFUND)},
}
# Hours the marketplace gives the seller to answer a return or dispute [community; configurable].
MARKETPLACE_RESPONSE_HOURS: dict[str, int] = getattr(settings, "MARKETPLACE_RESPONSE_HOURS", {
    "shopee": 48, "tiktok_shop": 48, "lazada": 48, "tokopedia": 48,
})
EVENTS_CURSOR = "marketplace_status_events"
TIKTOK_CURSOR = "tiktok_return_pushes"
TIKTOK_RETURN_TYPE = "12"


def _due(kind: str, at):
    hours = MARKETPLACE_RESPONSE_HOURS.get(kind)
    return at + timedelta(hours=hours) if hours else None


def on_marketplace_status_recorded(item) -> None:
    """orders hook for one record-only status; see on_marketplace_statuses_recorded."""
    on_marketplace_statuses_recorded([item])


def on_marketplace_statuses_recorded(items) -> None:
    """orders hook (inside the order transaction): open the cases after commit, in a task."""
    wanted = [item.event_id for item in items if item.status in CASE_WORDS.get(item.channel_kind, {})]
    if not wanted:
        return
    from aftersales.tasks import cases_open_from_events_task

    transaction.on_commit(lambda: cases_open_from_events_task.delay(wanted), robust=True)


def cases_open_from_events(*, event_ids: list[int]) -> int:
    """A case for each record-only marketplace status event that needs one; returns cases opened."""
    from orders.models import OrderEvent

    opened = 0
    events = (OrderEvent.objects.filter(pk__in=event_ids, kind="marketplace_status")
              .select_related("order", "order__channel").order_by("pk"))
    for event in events:
        word = str(event.data.get("status", ""))
        kind = event.order.channel.kind
        mapped = CASE_WORDS.get(kind, {}).get(word)
        if mapped is None or not event.data.get("record_only"):
            continue
        case_kind, category = mapped
        case = case_services.case_open(
            subject=_("%(channel)s: %(status)s on order %(number)s") % {
                "channel": event.order.channel.name, "status": word, "number": event.order.number},
            description=event.note, kind=case_kind, category=category, priority=CasePriority.HIGH,
            channel=CaseChannel.MARKETPLACE, order_id=event.order_id, source="marketplace",
            source_ref=f"mp:{event.order_id}:{word}", marketplace_ref=event.order.external_id, marketplace_status=word,
            marketplace_due_at=_due(kind, event.created_at),
        )
        opened += bool(case.pk)
    return opened


def _advance(key: str, position: int) -> None:
    IntakeCursor.objects.update_or_create(key=key, defaults={"position": position})


def _cursor(key: str) -> int:
    return IntakeCursor.objects.filter(key=key).values_list("position", flat=True).first() or 0


def marketplace_returns_intake(*, batch: int = 500) -> int:
    """Periodic: events missed by the task, and TikTok return pushes; returns cases looked at."""
    from core.models import InboundDelivery
    from orders.models import OrderEvent

    done = 0
    start = _cursor(EVENTS_CURSOR)
    ids = list(OrderEvent.objects.filter(pk__gt=start, kind="marketplace_status", data__record_only=True)
               .order_by("pk").values_list("pk", flat=True)[:batch])
    if ids:
        cases_open_from_events(event_ids=ids)
        _advance(EVENTS_CURSOR, ids[-1])
        done += len(ids)

    start = _cursor(TIKTOK_CURSOR)
    deliveries = list(
        InboundDelivery.objects.filter(pk__gt=start, provider="tiktok", event_type=TIKTOK_RETURN_TYPE)
        .select_related("channel").order_by("pk")[:batch]
    )
    last = start
    for delivery in deliveries:
        if delivery.status in (InboundDelivery.Status.RECEIVED, InboundDelivery.Status.PROCESSING):
            break  # its order may not be stored yet: come back next time
        last = delivery.pk
        if delivery.status == InboundDelivery.Status.PROCESSED:
            done += _tiktok_return_case(delivery)
    if last != start:
        _advance(TIKTOK_CURSOR, last)
    return done


def _tiktok_return_case(delivery) -> int:
    from channels.adapters import get_adapter
    from orders.models import Order

    adapter = get_adapter(delivery.channel) if delivery.channel_id else None
    if adapter is None:
        return 0
    try:
        info = adapter.parse_push(bytes(delivery.body))
        data = json.loads(bytes(delivery.body)).get("data") or {}
    except Exception:
        logger.warning("TikTok return push %s does not parse", delivery.pk)
        return 0
    opened = 0
    for external_id in info.order_ids:
        order = Order.objects.filter(channel_id=delivery.channel_id, external_id=external_id).first()
        if order is None:
            continue
        return_id = str(data.get("return_id") or external_id)
        at = info.updated_at or delivery.received_at
        case_services.case_open(
            subject=_("TikTok Shop return on order %(number)s") % {"number": order.number},
            description=f"{data.get('return_type', '')} {info.status}".strip(), kind=CaseKind.RETURN,
            category=CaseCategory.REFUND, priority=CasePriority.HIGH, channel=CaseChannel.MARKETPLACE,
            order_id=order.pk, source="marketplace", source_ref=f"tiktok-return:{return_id}",
            marketplace_ref=return_id, marketplace_status=info.status[:60],
            marketplace_due_at=_due("tiktok_shop", at or timezone.now()),
        )
        opened += 1
    return opened
