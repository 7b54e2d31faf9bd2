"""Staff pages: the notification log with retry, and the template editor with a live preview."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import DomainError
from core.permissions import staff_required
from notifications import rendering, selectors, services
from notifications.forms import NotificationFilterForm, TemplateForm
from notifications.models import ConsentPurpose, Notification, NotificationChannel, NotificationTemplate

PAGE_SIZE = 50


@staff_required("notifications.view_notification")
def notification_list(request: HttpRequest) -> HttpResponse:
    form = NotificationFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        # A filter that cannot be applied is an error, not "show everything".
        qs = Notification.objects.none()
        status = 400
    else:
        filters = form.cleaned_data if form.is_bound else {}
        qs = selectors.notification_list(
            status=filters.get("status", ""), channel=filters.get("channel", ""), event=filters.get("event", ""),
            search=(filters.get("q") or "").strip(),
        )
        status = 200
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "notifications/list.html", {
        "form": form, "page": page, "notifications": page.object_list, "query": query.urlencode(),
        "can_retry": request.user.has_perm("notifications.retry_notification"),
    }, status=status)


@staff_required("notifications.view_notification")
def notification_detail(request: HttpRequest, notification_id: int) -> HttpResponse:
    notification = get_object_or_404(Notification.objects.select_related("order", "retried_by"), pk=notification_id)
    return render(request, "notifications/detail.html", {
        "n": notification, "can_retry": request.user.has_perm("notifications.retry_notification"),
    })


@require_POST
@staff_required("notifications.view_notification", "notifications.retry_notification")
def notification_retry(request: HttpRequest, notification_id: int) -> HttpResponse:
    try:
        services.notification_retry(notification_id=notification_id, actor=request.user)
    except DomainError as exc:
        messages.warning(request, exc.message)
    else:
        messages.success(request, _("The notification was queued again."))
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        next_url = reverse("notifications:list")
    return redirect(next_url)


@staff_required("notifications.view_notificationtemplate")
def template_list(request: HttpRequest) -> HttpResponse:
    return render(request, "notifications/template_list.html", {"templates": selectors.template_list()})


def _preview_context(language: str) -> tuple[dict, str]:
    """Context of the most recent order (so staff see real data), or a built-in sample order."""
    from orders.models import Order

    order = (
        Order.objects.select_related("customer").prefetch_related("lines").order_by("-placed_at", "-id").first()
    )
    if order is not None:
        return rendering.order_context(order, language=language), order.number
    return rendering.sample_context(language=language), ""


@staff_required("notifications.view_notificationtemplate")
def template_edit(request: HttpRequest, template_id: int) -> HttpResponse:
    template = get_object_or_404(NotificationTemplate, pk=template_id)
    context, sample_number = _preview_context(template.language)
    if request.method == "POST":
        if not request.user.has_perm("notifications.change_notificationtemplate"):
            raise PermissionDenied
        form = TemplateForm(request.POST, instance=template, sample_context=context)
        if form.is_valid():
            services.template_update(
                template_id=template.pk, subject=form.cleaned_data.get("subject") or "",
                body=form.cleaned_data["body"], is_active=form.cleaned_data["is_active"], actor=request.user,
            )
            messages.success(request, _("Template saved."))
            return redirect("notifications:templates")
        status = 400
    else:
        form = TemplateForm(instance=template, sample_context=context)
        status = 200
    preview = _render_preview(template.subject if form.is_bound is False else form.data.get("subject", ""),
                              template.body if form.is_bound is False else form.data.get("body", ""),
                              template, context)
    return render(request, "notifications/template_edit.html", {
        "template": template, "form": form, "preview": preview, "sample_number": sample_number,
        "variables": list(rendering.AVAILABLE_VARIABLES.items()),
        "can_edit": request.user.has_perm("notifications.change_notificationtemplate"),
    }, status=status)


def _render_preview(subject: str, body: str, template: NotificationTemplate, context: dict) -> dict:
    if template.channel != NotificationChannel.EMAIL:
        subject = ""
    try:
        rendered = rendering.render(subject=subject, body=body, context=context, language=template.language)
    except rendering.TemplateError as exc:
        return {"error": str(exc)}
    return {"subject": rendered.subject, "body": rendered.body, "length": len(rendered.body)}


@require_POST
@staff_required("notifications.view_notificationtemplate")
def template_preview(request: HttpRequest, template_id: int) -> HttpResponse:
    """htmx: render the text being edited, or say clearly what is wrong with it."""
    template = get_object_or_404(NotificationTemplate, pk=template_id)
    context, sample_number = _preview_context(template.language)
    preview = _render_preview(request.POST.get("subject", template.subject), request.POST.get("body", ""),
                              template, context)
    return render(request, "notifications/_preview.html", {
        "preview": preview, "template": template, "sample_number": sample_number,
    })


@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """The "stop these messages" link in a customer message. GET asks, POST records the withdrawal
    (a link scanner that only GETs never unsubscribes anyone)."""
    from core.errors import NotFound
    from notifications import consent

    try:
        customer_id, purpose = consent.unsubscribe_token_read(token)
    except NotFound:
        return render(request, "notifications/unsubscribe.html", {"invalid": True}, status=404)
    done = False
    if request.method == "POST":
        consent.consent_withdraw_by_token(token=token, ip_address=request.META.get("REMOTE_ADDR") or None)
        done = True
    response = render(request, "notifications/unsubscribe.html", {
        "purpose_label": ConsentPurpose(purpose).label, "done": done,
        "allowed": consent.consent_allows(customer_id=customer_id, purpose=purpose),
    })
    # The token stays out of referrers, while the form's POST keeps a real Origin for the CSRF check
    # (`no-referrer` makes browsers send `Origin: null`, which Django refuses with a 403).
    response.headers["Referrer-Policy"] = "strict-origin"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response
