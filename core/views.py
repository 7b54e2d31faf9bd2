from __future__ import annotations

import logging

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core import health, inbox, selectors, services
from core.errors import DomainError
from core.navigation import STAGES, links_for, queues_for
from core.permissions import staff_required

logger = logging.getLogger(__name__)


def login_first(view):
    """A page for staff that sends an anonymous visitor to the log-in page (the view checks roles)."""
    from functools import wraps

    from django.conf import settings
    from django.contrib.auth.views import redirect_to_login

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        public = "rest_framework.permissions.AllowAny" in settings.SPECTACULAR_SETTINGS.get("SERVE_PERMISSIONS", ())
        if not public and not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapped


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Up or down per backend, for the container runtime and monitors; the reasons go to the log only
    (a raw database error names hosts and users). Each check gives up within a few seconds."""
    checks = {"database": health.check_database(), "broker": health.check_broker()}
    down = {name: reason for name, reason in checks.items() if reason}
    for name, reason in down.items():
        logger.error("healthz: %s is down: %s", name, reason)
    body = {
        "status": "ok" if not down else "down",
        "checks": {name: ("ok" if reason is None else "down") for name, reason in checks.items()},
    }
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
