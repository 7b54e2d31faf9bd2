"""Order list with filters and bulk actions, and the order detail page with its actions."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from catalog.errors import OutOfStock
from channels.models import Channel
from core.errors import DomainError, InvalidTransition, NotFound
from core.permissions import staff_required
from orders import hooks, selectors, services
from orders.forms import BULK_ACTIONS, BulkActionForm, NoteForm, OrderFilterForm, TagsForm
from orders.models import Order, OrderStatus
from orders.track_views import track_url
from orders.views.actions import ACTIONS, available_actions

VIEW = "orders.view_order"
PROCESS = "orders.process_order"


def list_queryset(filters: dict) -> QuerySet[Order]:
    """The filtered orders with channel, customer and lines loaded in fixed queries."""
    return selectors.order_list(filters=filters, with_lines=True)


def _querystring(request: HttpRequest, **overrides) -> str:
    params = request.GET.copy()
    for key, value in overrides.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    return params.urlencode()


@staff_required(VIEW)
def order_list(request: HttpRequest) -> HttpResponse:
    channels = Channel.objects.order_by("name")
    form = OrderFilterForm(request.GET or None, channels=channels)
    filters = form.filters()
    paginator = Paginator(list_queryset(filters), form.page_size)
    status_tabs = _status_tabs(request, filters)
    page = paginator.get_page(request.GET.get("page"))
    query_without_page = _querystring(request, page=None)
    context = {
        "form": form,
        "page": page,
        "orders": page.object_list,
        "query": query_without_page,
        "bulk_actions": [
            (key, label)
            for key, label in BULK_ACTIONS
            if request.user.has_perm(_BULK_PERMISSIONS[key])
        ],
        "can_export": request.user.has_perm("orders.export_order"),
        "can_add": request.user.has_perm("orders.add_order"),
        "filtered": bool(filters),
        "status_tabs": status_tabs,
        "open_statuses": (OrderStatus.AWAITING_PAYMENT, OrderStatus.PAID, OrderStatus.PROCESSING, OrderStatus.PACKED),
        "now": timezone.now(),
    }
    template = "orders/_order_table.html" if request.htmx and request.htmx.target == "order-table" else (
        "orders/order_list.html"
    )
    return render(request, template, context)


def _status_tabs(request: HttpRequest, filters: dict) -> list[dict]:
    """Quick status tabs with counts under the other filters, in one query."""
    others = {key: value for key, value in filters.items() if key not in ("status", "queue")}
    counts = dict(
        selectors.order_list(filters=others).order_by().values_list("status").annotate(n=Count("id"))
    )
    current = filters.get("status", "")
    tabs = [{"value": "", "label": _("All"), "count": sum(counts.values()), "active": not current}]
    tabs += [
        {"value": value, "label": label, "count": counts.get(value, 0), "active": current == value}
        for value, label in OrderStatus.choices
    ]
    for tab in tabs:
        tab["query"] = _querystring(request, status=tab["value"] or None, page=None, queue=None)
    return tabs


def _pick_flow_url(order: Order) -> str:
    from orders.navigation import pick_flow_url

    return pick_flow_url([order.pk])


def _detail_context(request: HttpRequest, order: Order) -> dict:
    return {
        "order": order,
        "lines": list(order.lines.all()),
        "events": list(order.events.all()),
        "actions": available_actions(order, request.user),
        "note_form": NoteForm(),
        "tags_form": TagsForm(initial={"tags": ", ".join(order.tags or [])}),
        "can_process": request.user.has_perm(PROCESS),
        "status_steps": _status_steps(order),
        "customer_link": track_url(order),
        "pick_flow_url": _pick_flow_url(order),
        "whatsapp_link": _whatsapp_link(order),
        # The exact sum the buyer must transfer (base + kode unik), as payments expects it.
        "amount_due": hooks.amount_due(order.pk),
    }


def _whatsapp_link(order: Order) -> str:
    """wa.me link that opens a chat with the buyer, the order-status link already typed.

    Written in the customer's language (orders.hooks.customer_language), not in the language of the
    staff member's dashboard.
    """
    phone = (order.customer.phone if order.customer else "") or order.shipping_phone
    if not phone:
        return ""
    with translation.override(hooks.customer_language(order)):
        text = _("Hi %(name)s, you can follow your order %(number)s here: %(link)s") % {
            "name": order.customer.name if order.customer else order.shipping_name,
            "number": order.number,
            "link": track_url(order),
        }
    return f"https://wa.me/{phone.lstrip('+')}?{urlencode({'text': text})}"


def _status_steps(order: Order) -> list[dict]:
    """The happy path as a progress bar: done, current, or still to come."""
    path = [
        OrderStatus.AWAITING_PAYMENT,
        OrderStatus.PAID,
        OrderStatus.PROCESSING,
        OrderStatus.PACKED,
        OrderStatus.SHIPPED,
        OrderStatus.DELIVERED,
        OrderStatus.COMPLETED,
    ]
    if order.status == OrderStatus.CANCELLED:
        return [{"label": OrderStatus.CANCELLED.label, "state": "cancelled"}]
    current = path.index(order.status) if order.status in path else -1
    return [
        {"label": status.label, "state": "done" if i < current else "current" if i == current else "todo"}
        for i, status in enumerate(path)
    ]


def _get_order(order_id: int) -> Order:
    order = selectors.order_get(order_id=order_id)
    if order is None:
        raise Http404
    return order


def _render_detail(request: HttpRequest, order_id: int, *, status: int = 200) -> HttpResponse:
    order = _get_order(order_id)
    template = "orders/_order_body.html" if request.htmx else "orders/order_detail.html"
    return render(request, template, _detail_context(request, order), status=status)


@staff_required(VIEW)
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    return _render_detail(request, order_id)


def _after_post(request: HttpRequest, order_id: int) -> HttpResponse:
    """htmx swaps the refreshed page body in place; a plain form post goes back to the page."""
    if request.htmx:
        return _render_detail(request, order_id)
    return redirect("orders:detail", order_id=order_id)


@require_POST
@staff_required(VIEW)
def order_action(request: HttpRequest, order_id: int, action: str) -> HttpResponse:
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404
    if not request.user.has_perm(spec.permission):
        raise PermissionDenied
    order = None
    if spec.key == "resolve_oversold":
        order = Order.objects.prefetch_related("lines").filter(pk=order_id).first()
        if order is None:
            raise Http404
    form = spec.make_form(order, request.POST)
    if not form.is_valid():
        errors = "; ".join(f"{form.fields[f].label}: {' '.join(e)}" for f, e in form.errors.items() if f in form.fields)
        messages.error(request, _("%(action)s: %(errors)s") % {"action": spec.label, "errors": errors})
        return _after_post(request, order_id)
    try:
        spec.call(order_id=order_id, actor=request.user, data=form.cleaned_data)
    except NotFound:
        raise Http404
    except (DomainError, ValidationError) as exc:
        messages.error(request, _("%(action)s failed: %(reason)s") % {"action": spec.label, "reason": error_text(exc)})
    else:
        messages.success(request, spec.success)
    return _after_post(request, order_id)


@require_POST
@staff_required(VIEW, PROCESS)
def order_add_note(request: HttpRequest, order_id: int) -> HttpResponse:
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            services.order_add_note(order_id=order_id, actor=request.user, note=form.cleaned_data["note"])
        except NotFound:
            raise Http404
        except (DomainError, ValidationError) as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, _("Note added."))
    else:
        messages.error(request, _("Write a note first (at most 2000 characters)."))
    return _after_post(request, order_id)


@require_POST
@staff_required(VIEW, PROCESS)
def order_set_tags(request: HttpRequest, order_id: int) -> HttpResponse:
    form = TagsForm(request.POST)
    if form.is_valid():
        try:
            services.order_set_tags(order_id=order_id, actor=request.user, tags=form.cleaned_data["tags"])
        except NotFound:
            raise Http404
        except (DomainError, ValidationError) as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, _("Tags saved."))
    else:
        messages.error(request, " ".join(form.errors.get("tags", [])))
    return _after_post(request, order_id)


def error_text(exc: Exception) -> str:
    """A person-readable reason from a service error."""
    if isinstance(exc, OutOfStock):
        from orders.views.manual import shortage_messages

        return "; ".join(shortage_messages(exc)) or exc.message
    if isinstance(exc, DomainError):
        return exc.message
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


# --- Bulk actions ---------------------------------------------------------------------------------

_BULK_PERMISSIONS = {
    "confirm": PROCESS,
    "pack": PROCESS,
    "pick_list": PROCESS,
    "packing_slips": PROCESS,
    "export_csv": "orders.export_order",
    "export_xlsx": "orders.export_order",
}


@dataclass
class BulkResult:
    order_id: int
    number: str
    ok: bool
    message: str
    status: str = ""


def _run_bulk_transition(request: HttpRequest, action_key: str, order_ids: list[int]) -> list[BulkResult]:
    spec = ACTIONS[action_key]
    known = dict(Order.objects.filter(pk__in=order_ids).values_list("pk", "number"))
    before = dict(Order.objects.filter(pk__in=order_ids).values_list("pk", "status"))
    results: list[BulkResult] = []
    for order_id in sorted(order_ids, key=lambda i: known.get(i, "")):
        number = known.get(order_id)
        if number is None:
            results.append(BulkResult(order_id, f"#{order_id}", False, _("Order not found.")))
            continue
        try:
            order = spec.call(order_id=order_id, actor=request.user, data={"note": ""})
        except (DomainError, ValidationError) as exc:
            results.append(BulkResult(order_id, number, False, _bulk_reason(exc), before.get(order_id, "")))
        else:
            unchanged = before.get(order_id) == order.status
            message = (
                _("Already %(status)s; nothing to do.") % {"status": order.get_status_display()}
                if unchanged
                else _("%(from)s → %(to)s")
                % {"from": OrderStatus(before[order_id]).label, "to": order.get_status_display()}
            )
            results.append(BulkResult(order_id, number, True, message, order.status))
    return results


def _bulk_reason(exc: Exception) -> str:
    if isinstance(exc, InvalidTransition):
        current = exc.detail.get("current", "")
        with contextlib.suppress(ValueError):
            current = OrderStatus(current).label
        return _("Not allowed while the order is %(status)s.") % {"status": current}
    return error_text(exc)


@require_POST
@staff_required(VIEW)
def order_bulk(request: HttpRequest) -> HttpResponse:
    form = BulkActionForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(_back_to_list(request))
    action = form.cleaned_data["action"]
    if not request.user.has_perm(_BULK_PERMISSIONS[action]):
        raise PermissionDenied
    order_ids = form.cleaned_data["order_ids"]
    ids_query = urlencode({"ids": ",".join(str(i) for i in order_ids)})
    if action == "pick_list":
        from orders.navigation import pick_flow_url

        return redirect(pick_flow_url(order_ids))
    if action == "packing_slips":
        return redirect(f"{reverse('orders:packing-slips')}?{ids_query}")
    if action in ("export_csv", "export_xlsx"):
        fmt = action.removeprefix("export_")
        return redirect(f"{reverse('orders:export')}?{ids_query}&format={fmt}")
    results = _run_bulk_transition(request, action, order_ids)
    succeeded = [r for r in results if r.ok]
    failed = [r for r in results if not r.ok]
    return render(
        request,
        "orders/bulk_result.html",
        {
            "action_label": dict(BULK_ACTIONS)[action],
            "results": results,
            "succeeded": succeeded,
            "failed": failed,
            "back_url": _back_to_list(request),
        },
    )


def _back_to_list(request: HttpRequest) -> str:
    back = request.POST.get("back", "")
    list_url = reverse("orders:list")
    if back.startswith("?"):
        return list_url + back
    return list_url
