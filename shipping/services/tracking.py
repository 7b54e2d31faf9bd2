"""Tracking events: each recorded once, and the shipment moved by them, never backwards.

`plan_tracking` (pure) turns a shipment and the entries a provider reported into the new tracking
rows and the status steps they justify; `tracking_record_many` writes any number of shipments'
plans with a fixed number of statements (the poll of hundreds of shipments and a single webhook
use the same code). An entry older than the newest one already applied is recorded on the
timeline but moves nothing; an unknown word is recorded too, so nothing a courier said is lost.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from shipping.models import STATUS_RANK, Shipment, TrackingEvent
from shipping.providers.base import TrackingEntry
from shipping.services.shipments import (
    TransitionPlan,
    _lock_orders,
    _lock_shipments,
    plan_transition,
    write_transitions,
)
from shipping.status_map import UNKNOWN, map_tracking_status


def tracking_key(source: str, entry: TrackingEntry) -> str:
    """The identity of a reported event: the same word at the same time with the same note is one event."""
    raw = "|".join((source, entry.status_word.strip(), entry.occurred_at.isoformat(), entry.description.strip()))
    return hashlib.sha256(raw.encode()).hexdigest()[:64]


@dataclass
class TrackingPlan:
    shipment: Shipment
    rows: list[TrackingEvent] = field(default_factory=list)
    transitions: list[TransitionPlan] = field(default_factory=list)
    newest_at: datetime | None = None


def plan_tracking(
    shipment: Shipment, entries: Sequence[TrackingEntry], *, source: str, known_keys: set[str]
) -> TrackingPlan:
    """New rows for entries not seen before, and the steps they take the shipment, in time order.

    The shipment object is moved in memory as steps are planned (the writer saves it).
    """
    plan = TrackingPlan(shipment=shipment)
    applied_until = shipment.last_tracking_at
    seen = set(known_keys)
    for entry in sorted(entries, key=lambda e: e.occurred_at):
        key = tracking_key(source, entry)
        if key in seen:
            continue
        seen.add(key)
        mapped = map_tracking_status(source, entry.status_word)
        status = "" if mapped is UNKNOWN or mapped is None else str(mapped)
        row = TrackingEvent(
            shipment=shipment, source=source, status_word=entry.status_word[:60], status=status,
            description=entry.description[:500], location=entry.location[:200], occurred_at=entry.occurred_at,
            key=key,
        )
        # Newer entries apply; an older one only when it takes the parcel further along (couriers stamp
        # whole seconds and their clocks differ from ours: "delivered" at 10:00:00 still follows our
        # own hand-over scan at 10:00:00.4).
        newer = applied_until is None or entry.occurred_at >= applied_until
        forward = status in STATUS_RANK and STATUS_RANK[status] > STATUS_RANK.get(shipment.status, 0)
        if status and (newer or forward):
            step = plan_transition(shipment, status, at=entry.occurred_at, source=source, strict=False,
                                   note=entry.description[:500], data={"tracking": entry.status_word})
            if step is not None:
                plan.transitions.append(step)
                # Later entries of this batch are planned from where this one left the parcel.
                shipment.status = status
                row.applied = True
        if applied_until is None or entry.occurred_at > applied_until:
            applied_until = entry.occurred_at
        plan.rows.append(row)
    plan.newest_at = applied_until
    return plan


@dataclass
class RecordResult:
    recorded: int = 0
    moved: int = 0


def tracking_record_many(*, reports: Sequence[tuple[int, str, Sequence[TrackingEntry]]],
                         polled_at: datetime | None = None) -> RecordResult:
    """Record what providers reported for many shipments: (shipment id, source, entries) each.

    Statements per call, whatever the number of shipments: lock orders, lock shipments, read known
    keys, insert new rows, the transitions' UPDATEs and events (see write_transitions) and one
    UPDATE of the tracking and poll times. Orders that must move add their own services' work.
    """
    result = RecordResult()
    if not reports:
        return result
    with transaction.atomic():
        order_ids = dict(Shipment.objects.filter(pk__in=[r[0] for r in reports]).values_list("pk", "order_id"))
        _lock_orders(order_ids.values())
        shipments = _lock_shipments(order_ids)
        known: dict[int, set[str]] = {}
        for shipment_id, key in TrackingEvent.objects.filter(shipment_id__in=list(shipments)).values_list(
            "shipment_id", "key"
        ):
            known.setdefault(shipment_id, set()).add(key)
        plans = []
        for shipment_id, source, entries in reports:
            shipment = shipments.get(shipment_id)
            if shipment is None:
                continue
            plans.append(plan_tracking(shipment, entries, source=source, known_keys=known.get(shipment_id, set())))
        rows = [row for plan in plans for row in plan.rows]
        if rows:
            TrackingEvent.objects.bulk_create(rows, ignore_conflicts=True)
        result.recorded = len(rows)
        transitions = [step for plan in plans for step in plan.transitions]
        write_transitions(transitions)
        result.moved = len({t.shipment.pk for t in transitions})
        touched = []
        for plan in plans:
            shipment = plan.shipment
            changed = False
            if plan.newest_at and plan.newest_at != shipment.last_tracking_at:
                shipment.last_tracking_at = plan.newest_at
                changed = True
            if polled_at is not None:
                shipment.last_polled_at = polled_at
                changed = True
            if changed:
                touched.append(shipment)
        if touched:
            Shipment.objects.bulk_update(touched, ["last_tracking_at", "last_polled_at"])
    return result


def tracking_record(*, shipment_id: int, source: str, entries: Sequence[TrackingEntry],
                    polled_at: datetime | None = None) -> RecordResult:
    """One shipment's report: a batch of one."""
    return tracking_record_many(reports=[(shipment_id, source, entries)], polled_at=polled_at)


def tracking_record_staff(*, shipment_id: int, status_word: str, note: str = "", actor=None) -> RecordResult:
    """A status staff read on the courier's site or heard by phone, recorded like any other report."""
    return tracking_record(shipment_id=shipment_id, source="staff",
                           entries=[TrackingEntry(status_word=status_word, occurred_at=timezone.now(),
                                                  description=note)])
