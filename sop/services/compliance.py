"""The stored compliance items: one row per target and measured subject, kept current as subjects change.

A subject (an order, a proof of transfer, a complaint) is measured again when a row about it appears in
its source tables: a new order, order event or review invitation; a new proof or payment event; a new
case, case event or case message. Those tables only grow, so "what changed" is every row past the
highest id seen last time (`ComplianceState.marks`); an id below it that was not there yet (its
transaction committed after a newer one) is kept in `ComplianceState.gaps` and looked for again for ten
minutes. The page asks for that cheap refresh before it reads (nothing new: one statement); the beat
task (`compliance_refresh_task`) also sweeps the last OVERLAP ids of each table again, as a backstop.
A target whose metric, threshold or calendar (working hours, closures) changed is rebuilt from
scratch, as is every target the first time (or `manage.py sop_compliance_rebuild`).

Limits: a change written without a row in those tables (a queryset update of an order's ship-by time,
say) is seen with the subject's next event or the next rebuild. The page then reads daily counts
(`ComplianceDaily`: per target, day of the subject, week of its deadline, staff member) and, through
two partial indexes, the items still open or late.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, Min, Q
from django.utils import timezone

from sop.metrics import METRICS, Item, Metric
from sop.models import ComplianceDaily, ComplianceItem, ComplianceState, Target

logger = logging.getLogger(__name__)

LOCK_KEY = 0x50C0_11A7  # pg advisory lock: one refresh at a time
OVERLAP = 500  # ids per source table swept again by the beat task (late commits)
GAP_SECONDS = 600  # an id missing below the newest seen is looked for again this long (a late commit)
MAX_GAPS = 10_000
CHUNK = 20_000  # subjects per pass when a Python-built target is rebuilt

# Per kind of subject: the tables whose new rows mean "measure it again", with the column naming it.
SOURCES: dict[str, list[tuple[str, str]]] = {
    "order": [("orders.Order", "id"), ("orders.OrderEvent", "order_id"), ("aftersales.Invitation", "order_id")],
    "proof": [("payments.PaymentProof", "id"), ("payments.PaymentEvent", "payment_id")],
    "case": [("aftersales.Case", "id"), ("aftersales.CaseEvent", "case_id"), ("aftersales.CaseMessage", "case_id")],
}
SUBJECT_MODEL = {"order": "orders.Order", "proof": "payments.PaymentProof", "case": "aftersales.Case"}


@dataclass
class RefreshResult:
    rebuilt: list[int]
    subjects: int
    seconds: float


def _tz() -> str:
    return settings.TIME_ZONE


def _measured() -> list[tuple[Target, Metric]]:
    rows = []
    for target in Target.objects.filter(is_active=True, step__is_active=True).order_by("pk"):
        metric = METRICS.get(target.metric)
        if metric is not None and metric.available() is None:
            rows.append((target, metric))
    return rows


def _calendar_fingerprint() -> str:
    from core.models import CalendarClosure, WorkingHours

    parts = [repr(list(WorkingHours.objects.order_by("weekday", "opens").values_list("weekday", "opens", "closes"))),
             repr(list(CalendarClosure.objects.order_by("date", "kind").values_list("date", "kind")))]
    return hashlib.sha1("|".join(parts).encode(), usedforsecurity=False).hexdigest()[:16]


def _config(target: Target, metric: Metric, calendar: str) -> str:
    """What a target's stored items depend on besides their subjects."""
    return f"{metric.key}|{target.threshold}|{_tz()}|{calendar if metric.sql is None else ''}"


def _source_tables() -> list[tuple[str, str, str]]:
    """(label, table, column) of every source table of an installed app."""
    rows = []
    for kind_sources in SOURCES.values():
        for label, column in kind_sources:
            try:
                model = apps.get_model(label)
            except LookupError:
                continue
            rows.append((label, model._meta.db_table, column))
    return rows


def _maxima() -> dict[str, int]:
    tables = _source_tables()
    with connection.cursor() as cursor:
        maxima = ", ".join(
            f'(SELECT MAX(id) FROM "{table}")' for _label, table, _column in tables)  # noqa: S608 (models' tables)
        cursor.execute(f"SELECT {maxima}")
        values = cursor.fetchone()
    return {label: value or 0 for (label, _t, _c), value in zip(tables, values, strict=True)}


def _changed(marks: dict[str, int], maxima: dict[str, int], gaps: dict[str, list], overlap: int,
             ) -> tuple[dict[str, set[int]], dict[str, list]]:
    """The subjects of each kind named by source rows past the marks (less `overlap` ids), and by the ids
    that were missing last time (`gaps`: a transaction that had its id but had not committed yet).

    Returns the subjects and the gaps still missing (each kept GAP_SECONDS, then given up: rolled back).
    """
    now = int(time.time())
    changed: dict[str, set[int]] = {kind: set() for kind in SOURCES}
    still: dict[str, list] = {}
    for kind, sources in SOURCES.items():
        for label, column in sources:
            if label not in maxima:
                continue
            model = apps.get_model(label)
            mark, top = marks.get(label, 0), maxima[label]
            since = max(mark - overlap, 0)
            waiting = {int(i): t for i, t in gaps.get(label, [])}
            rows = []
            if top > since:
                rows += model.objects.filter(id__gt=since, id__lte=top).values_list("id", column)
            if waiting:
                rows += model.objects.filter(id__in=list(waiting)).values_list("id", column)
            seen = {row_id for row_id, _subject in rows}
            ids = {subject for _row_id, subject in rows if subject is not None}
            missing = [(i, t) for i, t in waiting.items() if i not in seen and now - t < GAP_SECONDS]
            if top > mark and (top - mark) - len(seen) <= MAX_GAPS:
                missing += [(i, now) for i in range(mark + 1, top + 1) if i not in seen]
            if missing:
                still[label] = missing[-MAX_GAPS:]
            if label == "payments.PaymentEvent":  # a payment's events: its proofs
                from payments.models import PaymentProof

                ids = set(PaymentProof.objects.filter(payment_id__in=ids).values_list("id", flat=True))
            changed[kind] |= ids
    return changed, still


def _item_rows(target: Target, items: Iterable[Item]) -> list[ComplianceItem]:
    tz = timezone.get_default_timezone()
    return [
        ComplianceItem(target=target, subject_id=i.subject_id, anchor_day=timezone.localtime(i.anchor, tz).date(),
                       start=i.start, done=i.done, deadline=i.deadline,
                       late=i.done is not None and i.done > i.deadline, actor_id=i.actor_id, ref=str(i.ref)[:60],
                       link_kind=i.link[0], link_id=i.link[1])
        for i in items
    ]


def _insert_sql_items(target: Target, metric: Metric, ids: list[int] | None) -> None:
    items_sql, params = metric.sql(target.threshold)
    params = {**params, "tz": _tz(), "all": ids is None, "ids": list(ids or []), "target": target.pk}
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO sop_complianceitem (target_id, subject_id, anchor_day, start, done, deadline, late, actor_id,
                                            ref, link_kind, link_id)
            SELECT %(target)s, s.subject_id, s.anchor_day, s.start, s.done, s.deadline,
                   COALESCE(s.done > s.deadline, false), s.actor_id, s.ref, s.link_kind, s.link_id
            FROM ({items_sql}) s
            """,  # noqa: S608 (the metric's SQL is a constant of sop.metrics; values are parameters)
            params,
        )


def _insert_items(target: Target, metric: Metric, ids: list[int] | None) -> None:
    if metric.sql is not None:
        _insert_sql_items(target, metric, ids)
        return
    if ids is not None:
        ComplianceItem.objects.bulk_create(_item_rows(target, metric.build(Q(pk__in=ids), target.threshold)),
                                           batch_size=5000)
        return
    model = apps.get_model(SUBJECT_MODEL[metric.subject])
    bounds = model.objects.aggregate(lo=Min("pk"), hi=Max("pk"))
    if bounds["lo"] is None:
        return
    for lo in range(bounds["lo"], bounds["hi"] + 1, CHUNK):
        items = metric.build(Q(pk__gte=lo, pk__lt=lo + CHUNK), target.threshold)
        ComplianceItem.objects.bulk_create(_item_rows(target, items), batch_size=5000)


def _daily_rebuild(target_id: int, days: list | None) -> None:
    """The daily counts of these days (None: every day) from the target's items."""
    where, params = "target_id = %(target)s", {"target": target_id, "tz": _tz(), "days": days}
    if days is not None:
        where += " AND day = ANY(%(days)s)"
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM sop_compliancedaily WHERE {where}", params)  # noqa: S608 (constant)
        cursor.execute(
            f"""
            INSERT INTO sop_compliancedaily (target_id, day, week, actor_id, total, met)
            SELECT target_id, anchor_day, date_trunc('week', deadline AT TIME ZONE %(tz)s)::date, actor_id,
                   COUNT(*), COUNT(*) FILTER (WHERE done <= deadline)
            FROM sop_complianceitem WHERE {where.replace("day =", "anchor_day =")}
            GROUP BY 1, 2, 3, 4
            """,  # noqa: S608 (constant)
            params,
        )


def _target_rebuild(target: Target, metric: Metric) -> None:
    ComplianceItem.objects.filter(target=target).delete()
    _insert_items(target, metric, None)
    _daily_rebuild(target.pk, None)


def _target_refresh(target: Target, metric: Metric, ids: list[int]) -> None:
    old = ComplianceItem.objects.filter(target=target, subject_id__in=ids)
    days = set(old.values_list("anchor_day", flat=True).distinct())
    old.delete()
    _insert_items(target, metric, ids)
    days |= set(ComplianceItem.objects.filter(target=target, subject_id__in=ids)
                .values_list("anchor_day", flat=True).distinct())
    if days:
        _daily_rebuild(target.pk, sorted(days))


def compliance_refresh(*, sweep: bool = False, rebuild: bool = False) -> RefreshResult | None:
    """Bring the stored compliance items up to date; None when another refresh holds the lock.

    `sweep` also measures again the subjects of the last OVERLAP rows of each source table (the beat
    task); `rebuild` recomputes every target from scratch (the management command).
    """
    t0 = time.perf_counter()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [LOCK_KEY])
            if not cursor.fetchone()[0]:
                return None
        state = ComplianceState.objects.first() or ComplianceState()
        measured = _measured()
        calendar = _calendar_fingerprint() if any(m.sql is None for _t, m in measured) else ""
        config = {str(t.pk): _config(t, m, calendar) for t, m in measured}
        maxima = _maxima()
        gone = [int(pk) for pk in set(state.targets) - set(config)]
        if gone:
            ComplianceItem.objects.filter(target_id__in=gone).delete()
            ComplianceDaily.objects.filter(target_id__in=gone).delete()
        rebuilt, subjects = [], 0
        stale = [(t, m) for t, m in measured if rebuild or state.targets.get(str(t.pk)) != config[str(t.pk)]]
        for target, metric in stale:
            _target_rebuild(target, metric)
            rebuilt.append(target.pk)
        current = [(t, m) for t, m in measured if t.pk not in rebuilt]
        gaps = state.gaps
        if current and (sweep or maxima != state.marks or state.gaps):
            changed, gaps = _changed(state.marks, maxima, state.gaps, OVERLAP if sweep else 0)
            subjects = sum(len(ids) for ids in changed.values())
            for target, metric in current:
                ids = sorted(changed[metric.subject])
                if ids:
                    _target_refresh(target, metric, ids)
        elif not current:
            gaps = {}
        if (state.pk is None or rebuilt or gone or maxima != state.marks or config != state.targets
                or gaps != state.gaps):
            state.marks, state.targets, state.gaps = maxima, config, gaps
            state.save()
    result = RefreshResult(rebuilt=rebuilt, subjects=subjects, seconds=time.perf_counter() - t0)
    if rebuilt or subjects:
        logger.info("sop compliance refresh: rebuilt %s, %s subjects in %.2f s", rebuilt, subjects, result.seconds)
    return result
