"""CSV and XLSX export of an order list: one row per order, amounts in whole rupiah.

The rows come from a queryset with channel, customer and lines loaded in fixed queries
(orders.views.orders.list_queryset); large exports stream in chunks instead of loading every order.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from io import BytesIO

from django.db.models import QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from orders.models import Order, PaymentMethod

CHUNK_SIZE = 500
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def headers() -> list[str]:
    return [
        _("Order number"),
        _("Placed at"),
        _("Channel"),
        _("External id"),
        _("Status"),
        _("Customer"),
        _("Phone"),
        _("E-mail"),
        _("Lines"),
        _("Items"),
        _("Subtotal"),
        _("Shipping"),
        _("Discount"),
        _("Marketplace fee"),
        _("Total"),
        _("Payment method"),
        _("City"),
        _("Tags"),
        _("Oversold"),
    ]


def payment_method_label(value: str) -> str:
    """Our label for a known method; a marketplace's own word is shown as it came."""
    labels = dict(PaymentMethod.choices)
    return str(labels.get(value, value))


def order_row(order: Order) -> list:
    lines = list(order.lines.all())
    customer = order.customer
    return [
        order.number,
        timezone.localtime(order.placed_at).strftime("%Y-%m-%d %H:%M"),
        order.channel.name,
        order.external_id,
        order.get_status_display(),
        customer.name if customer else order.shipping_name,
        customer.phone if customer else order.shipping_phone,
        customer.email if customer else "",
        "; ".join(f"{line.quantity} x {line.sku}" for line in lines),
        sum(line.quantity for line in lines),
        int(order.subtotal_amount),
        int(order.shipping_amount),
        int(order.discount_amount),
        int(order.marketplace_fee_amount),
        int(order.total_amount),
        payment_method_label(order.payment_method),
        order.shipping_city,
        ", ".join(order.tags or []),
        _("yes") if order.is_oversold else "",
    ]


def _safe_cell(value):
    """Text a spreadsheet would run as a formula (=, +, -, @) is quoted, so an export is never a payload."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def rows(orders: QuerySet[Order] | Iterable[Order]) -> Iterator[list]:
    iterable = orders.iterator(chunk_size=CHUNK_SIZE) if isinstance(orders, QuerySet) else orders
    for order in iterable:
        yield [_safe_cell(value) for value in order_row(order)]


def _filename(ext: str) -> str:
    return f"orders-{timezone.localtime():%Y%m%d-%H%M}.{ext}"


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_response(orders: QuerySet[Order] | Iterable[Order]) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def stream() -> Iterator[str]:
        yield "\ufeff"  # so Excel opens UTF-8 names correctly
        yield writer.writerow(headers())
        for row in rows(orders):
            yield writer.writerow(row)

    response = StreamingHttpResponse(stream(), content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{_filename("csv")}"'
    return response


def xlsx_bytes(orders: QuerySet[Order] | Iterable[Order]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Orders"))
    sheet.append(headers())
    for row in rows(orders):
        sheet.append(row)
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_response(orders: QuerySet[Order] | Iterable[Order]) -> HttpResponse:
    response = HttpResponse(xlsx_bytes(orders), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{_filename("xlsx")}"'
    return response
