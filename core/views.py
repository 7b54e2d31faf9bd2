from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core import health, inbox, selectors, services
from core.errors import DomainError
from core.forms import CalendarClosureForm, CalendarYearForm, WorkingHoursForm, format_intervals
from core.models import CalendarClosure, WorkingHours
from core.navigation import STAGES, links_for, queues_for
from core.permissions import staff_required


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": health.check_database(), "broker": health.check_broker()}
    down = {name: reason for name, reason in checks.items() if reason}
    body = {
        "status": "ok" if not down else "down",
        "checks": {name: ("ok" if reason is None else "down") for name, reason in checks.items()},
    }
    if down:
        body["errors"] = down
    return JsonResponse(body, status=503 if down else 200)


@staff_required()
def home(request: HttpRequest) -> HttpResponse:
    queues = queues_for(request.user)
    stages = [
        {"key": key, "title": title, "icon": icon, "queues": [q for q in queues if q["stage"] == key]}
        for key, title, icon in STAGES
    ]
    return render(
        request,
        "dashboard/home.html",
        {"stages": [s for s in stages if s["queues"]], "open_work": sum(q["count"] for q in queues)},
    )


@staff_required()
def stage(request: HttpRequest, stage: str) -> HttpResponse:
    found = next(((key, title, icon) for key, title, icon in STAGES if key == stage), None)
    if found is None:
        raise Http404
    key, title, icon = found
    return render(
        request,
        "dashboard/stage.html",
        {
            "stage_key": key,
            "stage_title": title,
            "stage_icon": icon,
            "links": links_for(request.user, key),
            "queues": queues_for(request.user, key),
        },
    )


@staff_required("core.retry_failed_work")
def failed_work(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "core/failed_work.html",
        {
            "failures": selectors.task_failure_list()[:200],
            "deliveries": selectors.inbound_delivery_problem_list()[:200],
        },
    )


@require_POST
@staff_required("core.retry_failed_work")
def failed_delivery_retry(request: HttpRequest, delivery_id: int) -> HttpResponse:
    if inbox.delivery_retry(delivery_id=delivery_id):
        messages.success(request, _("The delivery was queued for processing again."))
    else:
        messages.warning(request, _("This delivery is not failed (any more); nothing was queued."))
    return redirect("dashboard:failed-work")


@require_POST
@staff_required("core.retry_failed_work")
def failed_work_retry(request: HttpRequest, failure_id: int) -> HttpResponse:
    try:
        failure = services.task_failure_retry(failure_id=failure_id, actor=request.user)
    except DomainError as exc:
        messages.warning(request, exc.message)
    else:
        messages.success(request, _("%(task)s was sent again.") % {"task": failure.task_name})
    return redirect("dashboard:failed-work")


# -- business calendar ------------------------------------------------------------------------

def _calendar_page(request: HttpRequest, *, year: int | None = None, hours_form: WorkingHoursForm | None = None,
                   closure_form: CalendarClosureForm | None = None, year_form: CalendarYearForm | None = None,
                   status: int = 200) -> HttpResponse:
    year = year or timezone.localdate().year
    week = selectors.working_hours_week()
    days, stray_hours_form = [], hours_form
    for weekday, label in WorkingHours.Weekday.choices:
        if hours_form is not None and hours_form.data.get("weekday") == str(weekday):
            form, stray_hours_form = hours_form, None
        else:
            form = WorkingHoursForm(initial={"weekday": weekday, "intervals": week[weekday]})
        days.append({"weekday": weekday, "label": label, "hours": format_intervals(week[weekday]), "form": form})
    closures = list(selectors.calendar_closure_list(year=year))
    worked = {c.date for c in closures if not c.closes_shop}
    holidays = [
        {"date": day, "name": name, "worked": day in worked}
        for day, name in selectors.public_holiday_list(year=year, language=get_language() or "id")
    ]
    return render(request, "core/calendar.html", {
        "year": year, "previous_year": year - 1, "next_year": year + 1,
        "days": days, "stray_hours_form": stray_hours_form, "hours_are_default": selectors.working_hours_are_default(),
        "closures": closures, "holidays": holidays,
        "closure_form": closure_form or CalendarClosureForm(initial={"date": _first_day_shown(year)}),
        "year_form": year_form or CalendarYearForm(initial={"year": year}),
    }, status=status)


def _first_day_shown(year: int):
    today = timezone.localdate()
    return today if today.year == year else today.replace(year=year, month=1, day=1)


@staff_required("core.change_calendar")
def calendar_settings(request: HttpRequest) -> HttpResponse:
    year_form = CalendarYearForm(request.GET or None)
    if year_form.is_bound and not year_form.is_valid():
        return _calendar_page(request, year_form=year_form, status=400)
    year = year_form.cleaned_data.get("year") if year_form.is_bound else None
    return _calendar_page(request, year=year, year_form=year_form if year_form.is_bound else None)


@require_POST
@staff_required("core.change_calendar")
def calendar_hours_save(request: HttpRequest) -> HttpResponse:
    form = WorkingHoursForm(request.POST)
    if form.is_valid():
        try:
            services.working_hours_set(weekday=form.cleaned_data["weekday"], intervals=form.cleaned_data["intervals"])
        except ValidationError as exc:
            form.add_error(None, exc)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Working hours of %(day)s saved.") % {
                "day": WorkingHours.Weekday(form.cleaned_data["weekday"]).label})
            return redirect("dashboard:calendar")
    return _calendar_page(request, hours_form=form, status=400)


@require_POST
@staff_required("core.change_calendar")
def calendar_closure_add(request: HttpRequest) -> HttpResponse:
    form = CalendarClosureForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            closure = services.calendar_closure_add(day=data["date"], kind=data["kind"], name=data["name"],
                                                    note=data["note"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("%(date)s added: %(name)s.") % {
                "date": date_format(closure.date, "DATE_FORMAT"), "name": closure.name})
            return redirect(f"{reverse('dashboard:calendar')}?year={closure.date.year}")
    year = form.cleaned_data.get("date").year if form.cleaned_data.get("date") else None
    return _calendar_page(request, year=year, closure_form=form, status=400)


@require_POST
@staff_required("core.change_calendar")
def calendar_closure_remove(request: HttpRequest, closure_id: int) -> HttpResponse:
    closure = CalendarClosure.objects.filter(pk=closure_id).first()
    services.calendar_closure_remove(closure_id=closure_id)
    if closure is None:
        messages.warning(request, _("That day was already removed."))
        return redirect("dashboard:calendar")
    messages.success(request, _("%(date)s removed: %(name)s.") % {
        "date": date_format(closure.date, "DATE_FORMAT"), "name": closure.name})
    return redirect(f"{reverse('dashboard:calendar')}?year={closure.date.year}")
