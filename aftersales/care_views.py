"""The customer's side, on the order status page: open a complaint, request a return, write to a
case with photos, review the products, answer the survey. Every view is authorised by the order's
secret link (number + access key, compared in constant time), rate-limited per address, and answers
bad input with the page and the reason (400), never a 500.

Uploads are capped by core's request guard (`core.middleware.upload_limit`): a Content-Length above
the limit is refused before the body is read, and a body that grows past it while streaming is
stopped with a 413 (core's RequestGuardMiddleware applies it before the CSRF check reads the form).

The secret link authorises the order; Django's CSRF protection still checks every POST (the forms
carry `{% csrf_token %}`), so another site cannot make a customer's browser post to these views.
Like /track/, the pages are sent with `Referrer-Policy: strict-origin` (orders.track_views._private):
the link never leaves as a referrer, and the browser's POST carries a real `Origin` header that
Django's origin check accepts (under `no-referrer` it would send `Origin: null` and be refused).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from aftersales.forms import CustomerComplaintForm, CustomerMessageForm, CustomerReturnForm, SurveyForm
from aftersales.models import Case, CaseChannel, Invitation, SurveyKind
from aftersales.services import attachments, cases, returns, reviews, surveys
from core.errors import DomainError
from core.middleware import upload_limit
from core.ratelimit import Limiter, client_ip
from core.untrusted import parse_count
from orders.models import Order
from orders.track_views import _language, _private, track_url

WINDOW_SECONDS = 3600


def _order(number: str, key: str) -> Order:
    order = Order.objects.select_related("channel", "customer").filter(number=number).first()
    if order is None or not secrets.compare_digest(order.access_key.encode(), key.encode()):
        raise Http404
    return order


def _limited(request: HttpRequest) -> bool:
    """Count this action for the client (core.ratelimit: atomic, proxies trusted only when configured);
    True when it is over the hourly limit."""
    limiter = Limiter("care-actions", settings.AFTERSALES_CUSTOMER_ACTIONS_PER_HOUR, WINDOW_SECONDS)
    return not limiter.attempt(client_ip(request))


def _upload_limit() -> int:
    return settings.AFTERSALES_PHOTO_MAX_BYTES


def _with_upload_cap(view):
    """Mark the view with the photo upload cap, applied before Django reads the body."""
    return upload_limit(_upload_limit)(view)


def _answer(request: HttpRequest, kwargs: dict, error: str, *, status: int = 400) -> HttpResponse:
    language = _language(request)
    with translation.override(language):
        response = render(request, "aftersales/care/error.html", {
            "error": error, "back": reverse("track:order", kwargs={"number": kwargs.get("number", ""),
                                                                  "key": kwargs.get("key", "")})
            if kwargs.get("number") else ""}, status=status)
    return _private(response)


def _back(order: Order, anchor: str = "care") -> HttpResponse:
    return redirect(track_url(order).replace(settings.SITE_URL, "", 1) + f"#{anchor}")


def _errors(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            return " ".join(m for msgs in exc.message_dict.values() for m in msgs)
        return " ".join(exc.messages)
    return exc.message


def _form_errors(form) -> str:
    return " ".join(f"{form.fields[k].label if k in form.fields else ''}: {' '.join(v)}".strip(": ")
                    for k, v in form.errors.items())


def _attach(case_id: int, photo, video_url: str = "") -> None:
    if photo:
        attachments.attachment_add_photo(case_id=case_id, uploaded=photo, by_customer=True)
    if video_url:
        attachments.attachment_add_video_link(case_id=case_id, url=video_url, by_customer=True)


@require_POST
@_with_upload_cap
def complaint(request: HttpRequest, number: str, key: str) -> HttpResponse:
    order = _order(number, key)
    kwargs = {"number": number, "key": key}
    if _limited(request):
        return _answer(request, kwargs, _("Too many requests; please try again in an hour."), status=429)
    with translation.override(_language(request)):
        form = CustomerComplaintForm(request.POST, request.FILES, prefix="complaint")
        if not form.is_valid():
            return _answer(request, kwargs, _form_errors(form))
        data = form.cleaned_data
        try:
            from django.db import transaction

            with transaction.atomic():
                case = cases.case_open(
                    subject=_("Complaint about order %(number)s") % {"number": order.number},
                    description=data["description"], category=data["category"], channel=CaseChannel.ORDER_PAGE,
                    order_id=order.pk, source="customer",
                )
                _attach(case.pk, data.get("photo"), data.get("video_url") or "")
        except (DomainError, ValidationError) as exc:
            return _answer(request, kwargs, _errors(exc))
        messages.success(request, _("Thank you. Your complaint %(number)s has been received; we will answer soon.")
                         % {"number": case.number})
    return _back(order)


@require_POST
@_with_upload_cap
def return_request(request: HttpRequest, number: str, key: str) -> HttpResponse:
    order = _order(number, key)
    kwargs = {"number": number, "key": key}
    if _limited(request):
        return _answer(request, kwargs, _("Too many requests; please try again in an hour."), status=429)
    with translation.override(_language(request)):
        form = CustomerReturnForm(request.POST, request.FILES, order=order, left=returns.returnable_quantities(order),
                                  prefix="return")
        if not form.is_valid():
            return _answer(request, kwargs, _form_errors(form) or " ".join(form.non_field_errors()))
        data = form.cleaned_data
        policy = returns.return_policy_get()
        if policy.requires_photo and not data.get("photo"):
            return _answer(request, kwargs, _("Please add a photo of the items."))
        try:
            from django.db import transaction

            with transaction.atomic():
                rma = returns.return_request_create(
                    order_id=order.pk, lines=[returns.ReturnLineRequest(pk, n) for pk, n in data["lines"]],
                    reason=data["reason"], requested_outcome=data["requested_outcome"],
                    description=data["description"], channel=CaseChannel.ORDER_PAGE, source="customer",
                )
                _attach(rma.case_id, data.get("photo"))
        except (DomainError, ValidationError) as exc:
            return _answer(request, kwargs, _errors(exc))
        messages.success(request, _("Your return request %(number)s has been received.") % {"number": rma.number})
    return _back(order)


@require_POST
@_with_upload_cap
def case_message(request: HttpRequest, number: str, key: str, case_id: int) -> HttpResponse:
    order = _order(number, key)
    kwargs = {"number": number, "key": key}
    case = Case.objects.filter(pk=case_id, order=order).first()
    if case is None:
        raise Http404
    if _limited(request):
        return _answer(request, kwargs, _("Too many requests; please try again in an hour."), status=429)
    with translation.override(_language(request)):
        form = CustomerMessageForm(request.POST, request.FILES)
        if not form.is_valid():
            return _answer(request, kwargs, _form_errors(form))
        try:
            from django.db import transaction

            with transaction.atomic():
                cases.case_customer_message(case_id=case.pk, body=form.cleaned_data["body"])
                _attach(case.pk, form.cleaned_data.get("photo"))
        except (DomainError, ValidationError) as exc:
            return _answer(request, kwargs, _errors(exc))
        messages.success(request, _("Message sent."))
    return _back(order)


def _ratings_from(request: HttpRequest, order: Order) -> list[reviews.LineRating]:
    ratings = []
    for line in order.lines.all():
        raw = (request.POST.get(f"rating_{line.pk}") or "").strip()
        if not raw:
            continue
        if parse_count(raw, maximum=5) is None:
            raise ValidationError({"rating": [_("A rating is a whole number from 1 to 5.")]})
        photos = tuple(request.FILES.getlist(f"photo_{line.pk}"))
        ratings.append(reviews.LineRating(line.pk, int(raw), request.POST.get(f"text_{line.pk}", "")[:3000], photos))
    return ratings


@require_POST
@_with_upload_cap
def review(request: HttpRequest, number: str, key: str) -> HttpResponse:
    order = _order(number, key)
    kwargs = {"number": number, "key": key}
    if _limited(request):
        return _answer(request, kwargs, _("Too many requests; please try again in an hour."), status=429)
    with translation.override(_language(request)):
        try:
            reviews.review_submit(order=order, ratings=_ratings_from(request, order))
        except (DomainError, ValidationError) as exc:
            return _answer(request, kwargs, _errors(exc))
        messages.success(request, _("Thank you for your review!"))
    return _back(order, "review")


@require_POST
def survey(request: HttpRequest, number: str, key: str) -> HttpResponse:
    order = _order(number, key)
    kwargs = {"number": number, "key": key}
    if _limited(request):
        return _answer(request, kwargs, _("Too many requests; please try again in an hour."), status=429)
    with translation.override(_language(request)):
        form = SurveyForm(request.POST)
        kind = request.POST.get("kind", "")
        case = None
        if kind == SurveyKind.CSAT_CASE:
            case = Case.objects.filter(pk=request.POST.get("case_id") or 0, order=order).first()
            if case is None:
                return _answer(request, kwargs, _("This case is not part of the order."))
        if not form.is_valid():
            return _answer(request, kwargs, _("Choose a score."))
        try:
            surveys.survey_answer(kind=kind, score=form.cleaned_data["score"], comment=form.cleaned_data["comment"],
                                  order=order, case=case)
        except (DomainError, ValidationError) as exc:
            return _answer(request, kwargs, _errors(exc))
        messages.success(request, _("Thank you for your answer!"))
    return _back(order, "survey")


@require_http_methods(["GET", "POST"])
@_with_upload_cap
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The link in an invitation message: one order, one kind, one use."""
    language = _language(request)
    with translation.override(language):
        try:
            invite = surveys.invitation_get(token)
        except DomainError as exc:
            return _private(render(request, "aftersales/care/error.html", {"error": exc.message, "back": ""},
                                   status=404 if exc.code == "not_found" else 410))
        order = invite.order
        if _limited(request) and request.method == "POST":
            return _answer(request, {}, _("Too many requests; please try again in an hour."), status=429)
        error = ""
        if request.method == "POST":
            try:
                if invite.kind == Invitation.Kind.REVIEW:
                    reviews.review_submit(order=order, ratings=_ratings_from(request, order), invitation_id=invite.pk)
                else:
                    form = SurveyForm(request.POST)
                    if not form.is_valid():
                        raise ValidationError({"score": [_("Choose a score.")]})
                    surveys.survey_answer(kind=surveys.survey_kind_for_invitation(invite), order=order,
                                          case=invite.case, score=form.cleaned_data["score"],
                                          comment=form.cleaned_data["comment"], invitation_id=invite.pk)
            except (DomainError, ValidationError) as exc:
                error = _errors(exc)
            else:
                return _private(render(request, "aftersales/care/thanks.html", {}))
        response = render(request, "aftersales/care/invitation.html", {
            "invite": invite, "order": order, "lines": list(order.lines.all()), "error": error,
            "scores": range(0, 11) if invite.kind == Invitation.Kind.NPS else range(1, 6),
        }, status=400 if error else 200)
    return _private(response)
