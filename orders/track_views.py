"""The customer's order-status page: /track/ (order number + phone or e-mail) and the signed link.

No enumeration: an unknown order and a wrong phone give the same answer, failed look-ups are
counted atomically per client (TRUSTED_PROXIES decides whose X-Forwarded-For counts) and per
order number and answered 429 past the limit, and the signed link `/track/<number>/<access_key>/`
carries the order's unguessable key (a wrong key is a 404, a 429 once the client is over the limit).

Other apps add their own blocks to the page (payment instructions, resi tracking, returns,
reviews) without this module knowing them: append a hook to TRACK_SECTIONS (or call
register_track_section) from AppConfig.ready(). A hook gets (request, order) and returns a
TrackSection (template + context) or None. The payment block is the template
`orders/track/_payment.html` when an app provides one, else a neutral default, inside the
template block `payment` that a page override can replace.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template, render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from core.ratelimit import Limiter, client_ip
from orders import selectors
from orders.forms import TrackLookupForm
from orders.models import Order, OrderEvent, OrderLine, OrderStatus

FAILURE_LIMIT = getattr(settings, "TRACK_FAILURE_LIMIT", 10)
FAILURE_WINDOW_SECONDS = getattr(settings, "TRACK_FAILURE_WINDOW_SECONDS", 15 * 60)
DEFAULT_LANGUAGE = "id"
# Referrer policy of the customer pages (see _private).
REFERRER_POLICY = "strict-origin"

# Event kinds a customer sees on the timeline; internal notes and tags never show.
CUSTOMER_VISIBLE_EVENT_KINDS: set[str] = {"created", "status_changed"}

PAYMENT_TEMPLATE = "orders/track/_payment.html"
DEFAULT_PAYMENT_TEMPLATE = "orders/track/_payment_default.html"


@dataclass(frozen=True)
class TrackSection:
    """One block on the customer's page.

    `template` is rendered with `order`, the section's own `context` keys, and that context again as
    `section`. A `position` below TOP_POSITION puts the block at the top, beside the payment block
    (payment instructions, a proof upload); others follow the items (resi tracking, returns, reviews).
    """

    template: str
    context: dict = field(default_factory=dict)
    position: int = 100


TOP_POSITION = 50


TrackSectionHook = Callable[[HttpRequest, Order], "TrackSection | None"]

# Hooks other apps append to (from AppConfig.ready()); each adds at most one section.
TRACK_SECTIONS: list[TrackSectionHook] = []


def register_track_section(hook: TrackSectionHook) -> None:
    if hook not in TRACK_SECTIONS:
        TRACK_SECTIONS.append(hook)


def track_url(order: Order) -> str:
    """The customer's signed link, absolute: {SITE_URL}/track/<number>/<access_key>/."""
    return settings.SITE_URL + reverse("track:order", kwargs={"number": order.number, "key": order.access_key})


# --- Rate limit of failed look-ups -------------------------------------------------------------


# Failed look-ups (form) count per client and per order number; wrong signed links per client.
# Counted atomically in Redis (core.ratelimit); behind a proxy the client is found through
# TRUSTED_PROXIES. A correct signed link is always served: only guessing is throttled.
LOOKUPS = Limiter("track-lookup", FAILURE_LIMIT, FAILURE_WINDOW_SECONDS)
LINKS = Limiter("signed-link", FAILURE_LIMIT, FAILURE_WINDOW_SECONDS)


def lookup_subjects(request: HttpRequest, number: str) -> tuple[str, str]:
    return f"ip:{client_ip(request)}", f"number:{' '.join(number.upper().split())[:64]}"


def link_subjects(request: HttpRequest) -> tuple[str]:
    return (f"ip:{client_ip(request)}",)


# --- Views -----------------------------------------------------------------------------------


def _language(request: HttpRequest) -> str:
    """Bahasa Indonesia unless the visitor picked another language with the switcher."""
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    codes = {code for code, _name in settings.LANGUAGES}
    return chosen if chosen in codes else DEFAULT_LANGUAGE


def _private(response: HttpResponse) -> HttpResponse:
    """Order pages are personal: never cached, never indexed, never leak the link as a referrer.

    `strict-origin`, not `no-referrer`: the secret link never leaves as a referrer (only the
    origin is ever sent, and nothing over a downgrade to http), while the page's own forms (the
    look-up, the language switch) still carry a real `Origin` header; under `no-referrer` a
    browser sends `Origin: null` and Django's CSRF check refuses the POST with a 403.
    """
    add_never_cache_headers(response)
    response.headers["Cache-Control"] = "private, no-cache, no-store, must-revalidate, max-age=0"
    response.headers["Referrer-Policy"] = REFERRER_POLICY
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _render(request: HttpRequest, template: str, context: dict, *, status: int = 200) -> HttpResponse:
    language = _language(request)
    with translation.override(language):
        request.LANGUAGE_CODE = language
        response = render(request, template, context, status=status)
    response.headers["Content-Language"] = language
    return _private(response)


def _throttled(request: HttpRequest) -> HttpResponse:
    minutes = max(FAILURE_WINDOW_SECONDS // 60, 1)
    response = _render(request, "orders/track/throttled.html", {"minutes": minutes}, status=429)
    response.headers["Retry-After"] = str(FAILURE_WINDOW_SECONDS)
    return response


@require_http_methods(["GET", "POST"])
def track_lookup(request: HttpRequest) -> HttpResponse:
    """The look-up form; a match redirects to the order's signed link."""
    if request.method == "GET":
        return _render(request, "orders/track/lookup.html", {"form": TrackLookupForm()})
    form = TrackLookupForm(request.POST)
    if form.is_valid():
        subjects = lookup_subjects(request, form.cleaned_data["number"])
        if not LOOKUPS.attempt(*subjects):
            return _throttled(request)
        order = selectors.order_find_for_tracking(
            number=form.cleaned_data["number"], contact=form.cleaned_data["contact"]
        )
        if order is not None:
            LOOKUPS.release(*subjects)
            return redirect("track:order", number=order.number, key=order.access_key)
        # The same words whether the order does not exist or the contact does not match.
        form.add_error(None, _("We could not find an order with that number and phone number or e-mail."))
    return _render(request, "orders/track/lookup.html", {"form": form}, status=200)


def _order_for_customer(number: str, key: str) -> Order | None:
    order = (
        Order.objects.select_related("channel")
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.order_by("id")),
            Prefetch(
                "events",
                queryset=OrderEvent.objects.filter(kind__in=CUSTOMER_VISIBLE_EVENT_KINDS).order_by("created_at", "id"),
                to_attr="customer_events",
            ),
        )
        .filter(number=number)
        .first()
    )
    if order is None or not secrets.compare_digest(order.access_key.encode(), key.encode()):
        return None
    return order


_STATUS_MESSAGES = {
    OrderStatus.AWAITING_PAYMENT: ("hourglass-split", gettext_lazy("Order received, waiting for payment")),
    OrderStatus.PAID: ("credit-card", gettext_lazy("Payment received")),
    OrderStatus.PROCESSING: ("box-seam", gettext_lazy("Your order is being prepared")),
    OrderStatus.PACKED: ("box2-heart", gettext_lazy("Packed, waiting for the courier")),
    OrderStatus.SHIPPED: ("truck", gettext_lazy("On its way")),
    OrderStatus.DELIVERED: ("house-check", gettext_lazy("Delivered")),
    OrderStatus.COMPLETED: ("patch-check", gettext_lazy("Completed")),
    OrderStatus.CANCELLED: ("x-circle", gettext_lazy("Cancelled")),
}


def status_message(status: str) -> str:
    """Customer wording of a status (translated)."""
    return str(_STATUS_MESSAGES.get(status, ("", status))[1])


def _timeline(order: Order) -> list[dict]:
    steps = []
    for event in order.customer_events:
        status = event.to_status or OrderStatus.AWAITING_PAYMENT
        icon, _text = _STATUS_MESSAGES.get(status, ("circle", ""))
        title = _("Order placed") if event.kind == "created" else status_message(status)
        detail = ""
        if status == OrderStatus.SHIPPED and event.kind == "status_changed":
            detail = " ".join(p for p in (order.courier, order.tracking_number) if p)
        steps.append({"at": event.created_at, "title": title, "icon": icon, "detail": detail, "status": status})
    return steps


def _sections(request: HttpRequest, order: Order) -> tuple[list[str], list[str]]:
    """The hooks' sections rendered to HTML: (top of the page, after the items)."""
    sections = [section for hook in TRACK_SECTIONS if (section := hook(request, order)) is not None]
    top: list[str] = []
    bottom: list[str] = []
    for section in sorted(sections, key=lambda s: s.position):
        html = render_to_string(
            section.template, {**section.context, "order": order, "section": section.context}, request=request
        )
        (top if section.position < TOP_POSITION else bottom).append(html)
    return top, bottom


def _payment_template() -> str:
    try:
        get_template(PAYMENT_TEMPLATE)
    except TemplateDoesNotExist:
        return DEFAULT_PAYMENT_TEMPLATE
    return PAYMENT_TEMPLATE


@require_http_methods(["GET"])
def track_order(request: HttpRequest, number: str, key: str) -> HttpResponse:
    allowed = LINKS.attempt(*link_subjects(request))
    order = _order_for_customer(number, key)
    if order is None:
        if not allowed:
            return _throttled(request)
        raise Http404  # the failure stays counted
    if allowed:
        LINKS.release(*link_subjects(request))
    language = _language(request)
    with translation.override(language):
        sections_top, sections = _sections(request, order)
        context = {
            "order": order,
            "lines": list(order.lines.all()),
            "timeline": _timeline(order),
            "status_text": status_message(order.status),
            "status_icon": _STATUS_MESSAGES.get(order.status, ("circle", ""))[0],
            "payment_template": _payment_template(),
            "sections_top": sections_top,
            "sections": sections,
            "awaiting_payment": order.status == OrderStatus.AWAITING_PAYMENT,
        }
    return _render(request, "orders/track/order.html", context)
