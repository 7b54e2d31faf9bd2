"""Writing the handbook: a step's text changes only by a new version; staff acknowledge versions."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from core.errors import NotFound
from sop.metrics import METRICS
from sop.models import Acknowledgement, QuizAttempt, QuizQuestion, Stage, Step, StepVersion, Target

MAX_BODY = 20_000


def _clean_body(body: str) -> str:
    body = (body or "").replace("\r\n", "\n").strip()
    if not body:
        raise ValidationError({"body": [_("Write the procedure of this step.")]})
    if len(body) > MAX_BODY or "\x00" in body:
        raise ValidationError({"body": [_("The text is too long or has characters that are not allowed.")]})
    return body


def step_create(*, stage: str, code: str, title: str, body: str, roles: list[str] | None = None,
                position: int = 0, actor=None) -> Step:
    if stage not in Stage.values:
        raise ValidationError({"stage": [_("Unknown stage.")]})
    body = _clean_body(body)
    with transaction.atomic():
        step = Step.objects.create(stage=stage, code=code, title=title.strip(), roles=list(roles or []),
                                   position=position)
        version = StepVersion.objects.create(step=step, number=1, body=body,
                                             change_summary=_("First version."), created_by=_user(actor))
        step.current_version = version
        step.save(update_fields=["current_version"])
    return step


def step_revise(*, step_id: int, body: str, change_summary: str, title: str | None = None, actor=None) -> StepVersion:
    """Add a version of a step's text (with what changed and why); everyone must acknowledge it again."""
    body = _clean_body(body)
    summary = (change_summary or "").strip()
    if not summary:
        raise ValidationError({"change_summary": [_("Say what changed and why.")]})
    with transaction.atomic():
        step = Step.objects.select_for_update(of=("self",)).filter(pk=step_id).first()
        if step is None:
            raise NotFound(_("SOP step %(id)s does not exist.") % {"id": step_id})
        current = step.current_version
        if current is not None and current.body == body and (title is None or title.strip() == step.title):
            raise ValidationError({"body": [_("The text is the same as the current version.")]})
        number = (step.versions.aggregate(n=Max("number"))["n"] or 0) + 1
        version = StepVersion.objects.create(step=step, number=number, body=body, change_summary=summary,
                                             created_by=_user(actor))
        step.current_version = version
        fields = ["current_version"]
        if title is not None and title.strip() and title.strip() != step.title:
            step.title = title.strip()[:200]
            fields.append("title")
        step.save(update_fields=fields)
    return version


def acknowledge_current(*, user, step_ids: list[int] | None = None) -> int:
    """Acknowledge the current version of these steps (default: every step of the user's roles); idempotent."""
    from sop.selectors import steps_for_user

    steps = [s for s in steps_for_user(user=user) if step_ids is None or s.pk in set(step_ids)]
    if step_ids is not None and len(steps) != len(set(step_ids)):
        raise ValidationError({"steps": [_("Some of these steps do not exist or do not apply to your role.")]})
    rows = [Acknowledgement(user=user, version_id=s.current_version_id) for s in steps if s.current_version_id]
    before = Acknowledgement.objects.filter(user=user).count()
    Acknowledgement.objects.bulk_create(rows, ignore_conflicts=True)
    return Acknowledgement.objects.filter(user=user).count() - before


def quiz_submit(*, user, stage: str, answers: dict[str, int]) -> QuizAttempt:
    """Score a stage's quiz (answers: question id -> chosen index); 80 % correct passes."""
    questions = list(QuizQuestion.objects.filter(stage=stage))
    if not questions:
        raise ValidationError({"stage": [_("This stage has no quiz.")]})
    missing = [q.pk for q in questions if str(q.pk) not in answers]
    if missing:
        raise ValidationError({"answers": [_("Answer every question.")]})
    correct = sum(1 for q in questions if answers.get(str(q.pk)) == q.correct_index)
    return QuizAttempt.objects.create(
        user=user, stage=stage, answers={str(k): v for k, v in answers.items()}, correct=correct,
        total=len(questions), passed=correct * 100 >= QuizAttempt.PASS_PERCENT * len(questions),
    )


def target_set(*, step_id: int, metric: str, threshold: Decimal, goal_percent: Decimal = Decimal(95)) -> Target:
    if metric not in METRICS:
        raise ValidationError({"metric": [_("Unknown measure.")]})
    if threshold < 0 or not (0 < goal_percent <= 100):
        raise ValidationError({"threshold": [_("The threshold cannot be negative and the goal must be 1-100 %.")]})
    try:
        target, _created = Target.objects.update_or_create(
            step_id=step_id, metric=metric, defaults={"threshold": threshold, "goal_percent": goal_percent})
    except IntegrityError:
        raise NotFound(_("SOP step %(id)s does not exist.") % {"id": step_id}) from None
    return target


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None
