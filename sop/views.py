"""SOP pages: the handbook (read and acknowledge), revising a step, compliance, onboarding and quizzes."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.permissions import staff_required
from sop import selectors, services
from sop.forms import RangeForm, ReviseForm
from sop.models import QuizAttempt, QuizQuestion, Stage, Step


@staff_required("sop.view_step")
def handbook(request: HttpRequest) -> HttpResponse:
    return render(request, "sop/handbook.html", {
        "stages": selectors.handbook(user=request.user),
        "pending": len(selectors.pending_acknowledgements(user=request.user)),
    })


@require_POST
@staff_required("sop.add_acknowledgement")
def acknowledge(request: HttpRequest) -> HttpResponse:
    raw = request.POST.getlist("step")
    ids = [int(x) for x in raw if x.isascii() and x.isdigit() and len(x) < 12] if raw else None
    try:
        count = services.acknowledge_current(user=request.user, step_ids=ids)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("sop:handbook")
    messages.success(request, _("Thank you: %(n)s step(s) acknowledged.") % {"n": count})
    return redirect("sop:handbook")


@staff_required("sop.view_step")
def step_detail(request: HttpRequest, step_id: int) -> HttpResponse:
    step = get_object_or_404(Step.objects.select_related("current_version"), pk=step_id)
    versions = list(selectors.versions_of(step=step))
    effect = selectors.revision_effect(version=versions[0]) if len(versions) > 1 and \
        request.user.has_perm("sop.view_compliance") else []
    return render(request, "sop/step.html", {
        "step": step, "versions": versions, "effect": effect,
        "previous": versions[1] if len(versions) > 1 else None,
    })


@staff_required("sop.add_stepversion")
def step_revise(request: HttpRequest, step_id: int) -> HttpResponse:
    step = get_object_or_404(Step.objects.select_related("current_version"), pk=step_id)
    if request.method == "POST":
        form = ReviseForm(request.POST)
        if form.is_valid():
            try:
                services.step_revise(step_id=step.pk, body=form.cleaned_data["body"], title=form.cleaned_data["title"],
                                     change_summary=form.cleaned_data["change_summary"], actor=request.user)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("New version saved; staff will be asked to acknowledge it."))
                return redirect("sop:step", step_id=step.pk)
        status = 400
    else:
        form = ReviseForm(initial={"title": step.title, "body": step.current_version.body if step.current_version
                                   else ""})
        status = 200
    return render(request, "sop/revise.html", {"step": step, "form": form}, status=status)


@staff_required("sop.view_compliance")
def compliance(request: HttpRequest) -> HttpResponse:
    form = RangeForm(request.GET or None)
    if request.GET and not form.is_valid():
        return render(request, "sop/compliance.html", {"form": form, "stages": []}, status=400)
    if not request.GET:
        form = RangeForm({})
        form.is_valid()
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    return render(request, "sop/compliance.html", {
        "form": form, "start": start, "end": end, "stages": selectors.compliance(start=start, end=end),
    })


@staff_required("sop.view_step")
def onboarding(request: HttpRequest) -> HttpResponse:
    pending = selectors.pending_acknowledgements(user=request.user)
    passed = set(QuizAttempt.objects.filter(user=request.user, passed=True).values_list("stage", flat=True))
    roles = selectors.role_names(request.user)
    stages = sorted({s.stage for s in selectors.steps_for_user(user=request.user)}
                    & set(QuizQuestion.objects.values_list("stage", flat=True)), key=Stage.values.index)
    context = {
        "pending": pending, "stages": [{"key": s, "label": Stage(s).label, "passed": s in passed} for s in stages],
        "roles": sorted(roles),
    }
    if request.user.has_perm("sop.view_compliance"):
        context["overview"] = selectors.onboarding_overview()
    return render(request, "sop/onboarding.html", context)


@staff_required("sop.view_step")
def quiz(request: HttpRequest, stage: str) -> HttpResponse:
    if stage not in Stage.values:
        raise Http404
    questions = list(QuizQuestion.objects.filter(stage=stage))
    if not questions:
        raise Http404
    result, status = None, 200
    if request.method == "POST":
        answers = {}
        for q in questions:
            raw = request.POST.get(f"q{q.pk}", "")
            if raw.isascii() and raw.isdigit() and len(raw) < 3:
                answers[str(q.pk)] = int(raw)
        try:
            result = services.quiz_submit(user=request.user, stage=stage, answers=answers)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            status = 400
    return render(request, "sop/quiz.html", {"stage": Stage(stage), "questions": questions, "result": result},
                  status=status)
