"""SOP reads: the handbook for a user, acknowledgement and onboarding status, compliance."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone

from core.money import ratio_percent
from core.roles import ALL_ROLES
from sop.metrics import METRICS
from sop.models import Acknowledgement, QuizAttempt, QuizQuestion, Stage, Step, StepVersion, Target


def role_names(user) -> set[str]:
    if user.is_superuser:
        return set(ALL_ROLES)
    return set(user.groups.values_list("name", flat=True))


def steps_for_user(*, user) -> list[Step]:
    roles = role_names(user)
    steps = Step.objects.filter(is_active=True).select_related("current_version")
    return [s for s in steps if s.applies_to(roles)]


def handbook(*, user) -> list[dict]:
    """Every stage with its steps, each with its current text and whether `user` acknowledged it."""
    acknowledged = set(Acknowledgement.objects.filter(user=user).values_list("version_id", flat=True))
    roles = role_names(user)
    steps = (Step.objects.filter(is_active=True).select_related("current_version")
             .prefetch_related(Prefetch("targets", queryset=Target.objects.filter(is_active=True))))
    stages = []
    for stage, label in Stage.choices:
        rows = [
            {"step": s, "version": s.current_version, "targets": list(s.targets.all()),
             "applies": s.applies_to(roles), "acknowledged": s.current_version_id in acknowledged}
            for s in steps if s.stage == stage
        ]
        stages.append({"key": stage, "title": label, "steps": rows,
                       "pending": sum(1 for r in rows if r["applies"] and not r["acknowledged"])})
    return stages


def pending_acknowledgements(*, user) -> list[Step]:
    acknowledged = set(Acknowledgement.objects.filter(user=user).values_list("version_id", flat=True))
    return [s for s in steps_for_user(user=user) if s.current_version_id and s.current_version_id not in acknowledged]


def onboarding_overview() -> list[dict]:
    """Per staff member: steps acknowledged (current versions) and quizzes passed per stage."""
    users = get_user_model().objects.filter(is_active=True, groups__isnull=False).distinct().prefetch_related("groups")
    steps = list(Step.objects.filter(is_active=True))
    acks = defaultdict(set)
    for user_id, version_id in Acknowledgement.objects.values_list("user_id", "version_id"):
        acks[user_id].add(version_id)
    passed = defaultdict(set)
    for user_id, stage in QuizAttempt.objects.filter(passed=True).values_list("user_id", "stage"):
        passed[user_id].add(stage)
    quiz_stages = set(QuizQuestion.objects.values_list("stage", flat=True))
    rows = []
    for user in users.order_by("username"):
        roles = {g.name for g in user.groups.all()}
        mine = [s for s in steps if s.applies_to(roles)]
        done = sum(1 for s in mine if s.current_version_id in acks[user.pk])
        stages = sorted({s.stage for s in mine} & quiz_stages, key=Stage.values.index)
        rows.append({
            "user": user, "roles": sorted(roles), "steps": len(mine), "acknowledged": done,
            "quizzes": [{"stage": st, "label": Stage(st).label, "passed": st in passed[user.pk]} for st in stages],
            "finished": done == len(mine) and all(st in passed[user.pk] for st in stages),
        })
    return rows


@dataclass
class StepCompliance:
    target: Target
    metric_label: str
    available: bool
    message: str = ""
    total: int = 0
    met: int = 0
    share: Decimal | None = None
    meets_goal: bool | None = None
    breaches: list = field(default_factory=list)
    by_staff: list = field(default_factory=list)
    trend: list = field(default_factory=list)


def _unavailable(target: Target):
    metric = METRICS.get(target.metric)
    if metric is None:
        return None, StepCompliance(target, target.metric, False, "unknown metric")
    why_not = metric.available()
    if why_not:
        return None, StepCompliance(target, str(metric.label), False, why_not)
    return metric, None


def target_compliance(*, target: Target, start: date, end: date, now=None, refresh: bool = True) -> StepCompliance:
    """A target's figures over [start, end], read from the stored items (sop.services.compliance).

    `refresh` first takes in whatever changed since the last refresh (one statement when nothing did).
    """
    metric, result = _unavailable(target)
    if result is not None:
        return result
    if refresh:
        _refresh()
    return _stored_compliance(target=target, metric=metric, start=start, end=end, now=now or timezone.now())


def _refresh() -> None:
    from sop.services.compliance import compliance_refresh

    compliance_refresh()


def target_compliance_from_items(*, target: Target, start: date, end: date, now=None) -> StepCompliance:
    """The same figures computed from scratch, item by item in Python (the definition the stored ones equal)."""
    metric, result = _unavailable(target)
    if result is not None:
        return result
    now = now or timezone.now()
    items = metric.items(start, end, target.threshold)
    decided = [(item, item.met(now)) for item in items]
    decided = [(item, met) for item, met in decided if met is not None]
    met = sum(1 for _item, ok in decided if ok)
    share = ratio_percent(met, len(decided))
    result = StepCompliance(target, str(metric.label), True, total=len(decided), met=met, share=share,
                            meets_goal=None if share is None else share >= target.goal_percent)
    # latest deadline first; the same deadline by subject (order, proof, case) id
    breaches = sorted((item for item, ok in decided if not ok), key=lambda i: (i.deadline, -i.subject_id),
                      reverse=True)
    User = get_user_model()
    names = {u.pk: (u.get_full_name() or u.username)
             for u in User.objects.filter(pk__in={i.actor_id for i, _ok in decided if i.actor_id})}
    result.breaches = [
        {"ref": i.ref, "url": i.url, "start": i.start, "deadline": i.deadline, "done": i.done,
         "late_minutes": int(((i.done or now) - i.deadline).total_seconds() // 60),
         "staff": names.get(i.actor_id, "")}
        for i in breaches[:100]
    ]
    _tally(result, ((item.actor_id, _week_of(item.deadline), 1, int(ok)) for item, ok in decided), names)
    return result


def _week_of(moment) -> date:
    day = timezone.localtime(moment).date()
    return day - timedelta(days=day.weekday())


def _tally(result: StepCompliance, groups, names: dict) -> None:
    """By staff member and by week, from (actor id, the week's Monday, decided, met) groups."""
    staff = defaultdict(lambda: [0, 0])
    weeks = defaultdict(lambda: [0, 0])
    for actor, week, n, ok in groups:
        staff[actor][0] += n
        staff[actor][1] += ok
        weeks[week][0] += n
        weeks[week][1] += ok
    result.by_staff = sorted(
        ({"staff": names.get(k, "") or "—", "total": v[0], "met": v[1], "share": ratio_percent(v[1], v[0])}
         for k, v in staff.items()), key=lambda r: (r["share"] or 0))
    result.trend = [{"week": w.isoformat(), "total": v[0], "share": ratio_percent(v[1], v[0])}
                    for w, v in sorted(weeks.items())]


def _stored_compliance(*, target: Target, metric, start: date, end: date, now) -> StepCompliance:
    """target_compliance from the stored items: the daily counts of the range less the items not due yet
    (open, deadline still ahead: not decided), and the 100 latest breaches, both through the partial index
    of open or late items."""
    from django.db import connection

    from sop.metrics import LINKS

    params = {"target": target.pk, "start": start, "end": end, "now": now,
              "tz": timezone.get_current_timezone_name()}
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT actor_id, week, SUM(total), SUM(met) FROM sop_compliancedaily
            WHERE target_id = %(target)s AND day BETWEEN %(start)s AND %(end)s GROUP BY 1, 2
            """, params)
        counts = {(actor, week): [n, ok] for actor, week, n, ok in cursor.fetchall()}
        cursor.execute(
            """
            SELECT actor_id, date_trunc('week', deadline AT TIME ZONE %(tz)s)::date, COUNT(*) FROM sop_complianceitem
            WHERE target_id = %(target)s AND done IS NULL AND deadline >= %(now)s
              AND anchor_day BETWEEN %(start)s AND %(end)s
            GROUP BY 1, 2
            """, params)
        for actor, week, n in cursor.fetchall():
            counts.setdefault((actor, week), [0, 0])[0] -= n
        # The 100 latest breaches of the range as the top 100 of each day's 100 latest (one short index scan
        # per day, sop_item_breach): one scan of the whole range by deadline read 495,000 index rows
        # (148 ms) for a range a year back on 1M orders; this reads at most 100 a day (3 ms).
        cursor.execute(
            """
            SELECT i.ref, i.link_kind, i.link_id, i.start, i.deadline, i.done, i.actor_id
            FROM (SELECT b.subject_id, b.deadline
                  FROM generate_series(%(start)s::date, %(end)s::date, interval '1 day') AS d(day)
                  CROSS JOIN LATERAL (
                      SELECT subject_id, deadline FROM sop_complianceitem
                      WHERE target_id = %(target)s AND anchor_day = d.day::date
                        AND (late OR (done IS NULL AND deadline < %(now)s))
                      ORDER BY deadline DESC, subject_id LIMIT 100) b
                  ORDER BY b.deadline DESC, b.subject_id LIMIT 100) top
            JOIN sop_complianceitem i ON i.target_id = %(target)s AND i.subject_id = top.subject_id
            ORDER BY top.deadline DESC, top.subject_id
            """, params)
        breaches = cursor.fetchall()
    groups = [(actor, week, n, ok) for (actor, week), (n, ok) in counts.items() if n]
    total = sum(g[2] for g in groups)
    met = sum(g[3] for g in groups)
    share = ratio_percent(met, total)
    result = StepCompliance(target, str(metric.label), True, total=total, met=met, share=share,
                            meets_goal=None if share is None else share >= target.goal_percent)
    User = get_user_model()
    actors = {g[0] for g in groups if g[0]}
    names = {u.pk: (u.get_full_name() or u.username) for u in User.objects.filter(pk__in=actors)}
    result.breaches = [
        {"ref": ref, "url": reverse(LINKS[kind], args=[link_id]), "start": started, "deadline": deadline,
         "done": done, "late_minutes": int(((done or now) - deadline).total_seconds() // 60),
         "staff": names.get(actor, "")}
        for ref, kind, link_id, started, deadline, done, actor in breaches
    ]
    _tally(result, groups, names)
    return result


def compliance(*, start: date, end: date, now=None) -> list[dict]:
    """Per stage, each step with its targets' compliance over [start, end]."""
    _refresh()
    targets = Target.objects.filter(is_active=True, step__is_active=True).select_related("step__current_version")
    by_stage: dict[str, list] = defaultdict(list)
    for target in targets:
        by_stage[target.step.stage].append(target_compliance(target=target, start=start, end=end, now=now,
                                                             refresh=False))
    return [{"key": k, "title": label, "targets": by_stage.get(k, [])} for k, label in Stage.choices]


def revision_effect(*, version: StepVersion, days: int = 28, now=None) -> list[dict]:
    """Compliance of the step's targets in the `days` before and after this version was made."""
    day = timezone.localtime(version.created_at).date()
    rows = []
    _refresh()
    for target in version.step.targets.filter(is_active=True):
        before = target_compliance(target=target, start=day - timedelta(days=days), end=day - timedelta(days=1),
                                   now=now, refresh=False)
        after = target_compliance(target=target, start=day, end=day + timedelta(days=days - 1), now=now,
                                  refresh=False)
        rows.append({"target": target, "before": before, "after": after})
    return rows


def worst_steps(*, start: date, end: date, limit: int = 3) -> list[StepCompliance]:
    measured = [c for stage in compliance(start=start, end=end) for c in stage["targets"]
                if c.available and c.share is not None]
    measured.sort(key=lambda c: (c.share - c.target.goal_percent, c.share))
    return measured[:limit]


def versions_of(*, step: Step):
    return step.versions.select_related("created_by").order_by("-number")
