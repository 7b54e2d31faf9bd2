"""Printable pick lists and packing slips (HTML and PDF) and CSV/XLSX export for many orders."""

from __future__ import annotations

import re

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from channels.models import Channel
from core.permissions import staff_required
from orders import documents, exports
from orders.forms import MAX_BULK_ORDERS, OrderFilterForm
from orders.models import Order, OrderStatus
from orders.views.orders import list_queryset

VIEW = "orders.view_order"
PROCESS = "orders.process_order"
EXPORT = "orders.export_order"


def _ids(request: HttpRequest) -> list[int] | None:
    """`?ids=1,2,3` (or repeated `ids=`); None when no selection was given."""
    raw = ",".join(request.GET.getlist("ids"))
    if not raw.strip():
        return None
    return list(dict.fromkeys(int(part) for part in re.findall(r"\d+", raw)))[:MAX_BULK_ORDERS]


def selected_orders(request: HttpRequest, *, default_filters: dict | None = None) -> tuple[QuerySet[Order], str]:
    """The orders a document or export is about: the selected ids, else the list's filters.

    Returns the queryset and a short description of the selection for the page heading.
    """
    ids = _ids(request)
    if ids is not None:
        return list_queryset({}).filter(pk__in=ids).order_by("number"), _("selected orders")
    form = OrderFilterForm(request.GET, channels=Channel.objects.all())
    filters = form.filters()
    if not filters and default_filters:
        filters = dict(default_filters)
        if filters == {"status": OrderStatus.PROCESSING}:
            return list_queryset(filters), _("all orders being processed")
    return list_queryset(filters), _("orders matching the filters") if filters else _("all orders")


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@staff_required(VIEW, PROCESS)
def pick_list(request: HttpRequest) -> HttpResponse:
    """Items to pick for the selected orders (or every order being processed), summed per SKU."""
    queryset, description = selected_orders(request, default_filters={"status": OrderStatus.PROCESSING})
    orders = list(queryset[:MAX_BULK_ORDERS])
    items = documents.pick_list(orders)
    if request.GET.get("format") == "pdf":
        return _pdf(documents.pick_list_pdf(items, orders), "pick-list.pdf")
    return render(
        request,
        "orders/print/pick_list.html",
        {"orders": orders, "items": items, "description": description, "units": sum(i.quantity for i in items),
         "query": request.GET.urlencode()},
    )


@staff_required(VIEW, PROCESS)
def packing_slips(request: HttpRequest) -> HttpResponse:
    queryset, description = selected_orders(request, default_filters={"status": OrderStatus.PROCESSING})
    orders = list(queryset[:MAX_BULK_ORDERS])
    slips = documents.packing_slips(orders)
    if request.GET.get("format") == "pdf":
        return _pdf(documents.packing_slips_pdf(slips), "packing-slips.pdf")
    return render(
        request,
        "orders/print/packing_slips.html",
        {"slips": slips, "description": description, "query": request.GET.urlencode()},
    )


@staff_required(VIEW, EXPORT)
def export(request: HttpRequest) -> HttpResponse:
    """The filtered list (or the selected orders) as CSV (default) or XLSX."""
    queryset, _description = selected_orders(request)
    if request.GET.get("format") == "xlsx":
        return exports.xlsx_response(queryset)
    return exports.csv_response(queryset)
