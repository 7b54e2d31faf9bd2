"""Warehouse paperwork for many orders at once: the pick list and the packing slips.

`pick_list()` sums the items of many orders per SKU so one walk through the warehouse picks them
all; `packing_slips()` gives one slip per order. Both feed an HTML print view and a PDF built with
reportlab. The orders must come with their lines prefetched (see orders.views.orders.list_queryset).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from io import BytesIO
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.graphics.barcode import code128
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

from catalog.models import StockLevel
from core.money import format_idr
from orders.models import Order, OrderLine

# Where a bin/shelf code lives, if the catalog grows one; the pick list shows it when present.
_LOCATION_FIELDS = ("location", "bin_location", "bin")


@dataclass
class PickItem:
    sku: str
    name: str
    quantity: int = 0
    order_numbers: list[str] = field(default_factory=list)
    locations: list[str] = field(default_factory=list)
    variant_id: int | None = None

    @property
    def location_text(self) -> str:
        return ", ".join(self.locations)


def _line_name(line: OrderLine) -> str:
    return line.name or line.sku


def _location_field() -> str | None:
    names = {f.name for f in StockLevel._meta.get_fields()}
    return next((name for name in _LOCATION_FIELDS if name in names), None)


def pick_list(orders: Sequence[Order]) -> list[PickItem]:
    """Items of all the orders summed per SKU, with where they are stocked; one extra query."""
    items: dict[str, PickItem] = {}
    for order in orders:
        for line in order.lines.all():
            item = items.get(line.sku)
            if item is None:
                item = items[line.sku] = PickItem(sku=line.sku, name=_line_name(line), variant_id=line.variant_id)
            item.quantity += line.quantity
            if order.number not in item.order_numbers:
                item.order_numbers.append(order.number)
    variant_ids = {item.variant_id for item in items.values() if item.variant_id}
    if variant_ids:
        location_field = _location_field()
        levels = (
            StockLevel.objects.filter(variant_id__in=variant_ids, on_hand__gt=0, warehouse__is_active=True)
            .select_related("warehouse")
            .order_by("-warehouse__is_default", "warehouse__name")
        )
        by_variant: dict[int, list[str]] = {}
        for level in levels:
            place = level.warehouse.name
            bin_code = getattr(level, location_field, "") if location_field else ""
            if bin_code:
                place = f"{place} · {bin_code}"
            by_variant.setdefault(level.variant_id, []).append(f"{place} ({level.on_hand})")
        for item in items.values():
            item.locations = by_variant.get(item.variant_id, [])
    return sorted(items.values(), key=lambda i: (i.location_text == "", i.location_text, i.sku))


@dataclass
class PackingSlip:
    order: Order
    lines: list[OrderLine]

    @property
    def item_count(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def address_lines(self) -> list[str]:
        o = self.order
        tail = " ".join(p for p in (o.shipping_city, o.shipping_province, o.shipping_postal_code) if p)
        return [p for p in (o.shipping_name, o.shipping_phone, o.shipping_address, tail) if p]


def packing_slips(orders: Sequence[Order]) -> list[PackingSlip]:
    return [PackingSlip(order=order, lines=list(order.lines.all())) for order in orders]


# --- PDF ------------------------------------------------------------------------------------------

_styles = getSampleStyleSheet()
_TABLE_STYLE = TableStyle(
    [
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 9),
        ("FONT", (0, 1), (-1, -1), "Helvetica", 9),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("ALIGN", (-2, 1), (-2, -1), "RIGHT"),
    ]
)


def _p(text: str, style: str = "BodyText") -> Paragraph:
    return Paragraph(escape(str(text)), _styles[style])


def _doc(buffer: BytesIO, title: str) -> SimpleDocTemplate:
    return SimpleDocTemplate(
        buffer, pagesize=A4, title=title, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
        bottomMargin=15 * mm,
    )


def _printed_at() -> str:
    return timezone.localtime().strftime("%d-%m-%Y %H:%M")


def pick_list_pdf(items: Sequence[PickItem], orders: Sequence[Order]) -> bytes:
    buffer = BytesIO()
    story: list[Flowable] = [
        _p(_("Pick list"), "Title"),
        _p(
            _("%(orders)d orders, %(units)d items · printed %(when)s")
            % {"orders": len(orders), "units": sum(i.quantity for i in items), "when": _printed_at()}
        ),
        Spacer(1, 4 * mm),
    ]
    rows = [[_("SKU"), _("Product"), _("Location"), _("Qty"), "OK"]]
    for item in items:
        rows.append([_p(item.sku), _p(item.name), _p(item.location_text or "-"), str(item.quantity), "[   ]"])
    table = Table(rows, colWidths=[35 * mm, 70 * mm, 50 * mm, 15 * mm, 10 * mm], repeatRows=1)
    table.setStyle(_TABLE_STYLE)
    story.append(table)
    story += [Spacer(1, 4 * mm), _p(_("Orders: %(numbers)s") % {"numbers": ", ".join(o.number for o in orders)})]
    _doc(buffer, _("Pick list")).build(story)
    return buffer.getvalue()


def packing_slips_pdf(slips: Sequence[PackingSlip]) -> bytes:
    buffer = BytesIO()
    story: list[Flowable] = []
    for index, slip in enumerate(slips):
        order = slip.order
        if index:
            story.append(PageBreak())
        story += [
            _p(_("Packing slip %(number)s") % {"number": order.number}, "Title"),
            code128.Code128(order.number, barHeight=12 * mm, barWidth=0.35 * mm),
            Spacer(1, 3 * mm),
            _p(
                _("Channel: %(channel)s · Ordered: %(date)s")
                % {"channel": order.channel.name, "date": timezone.localtime(order.placed_at).strftime("%d-%m-%Y")}
            ),
            _p(_("Ship to"), "Heading3"),
        ]
        story += [_p(line) for line in slip.address_lines] or [_p("-")]
        if order.courier:
            story.append(_p(_("Courier: %(courier)s") % {"courier": order.courier}))
        story.append(Spacer(1, 4 * mm))
        rows = [[_("SKU"), _("Product"), _("Qty"), "OK"]]
        for line in slip.lines:
            rows.append([_p(line.sku), _p(_line_name(line)), str(line.quantity), "[   ]"])
        rows.append(["", _("Total items"), str(slip.item_count), ""])
        table = Table(rows, colWidths=[40 * mm, 105 * mm, 20 * mm, 15 * mm], repeatRows=1)
        table.setStyle(_TABLE_STYLE)
        story.append(table)
        if order.is_cod:
            story += [
                Spacer(1, 4 * mm),
                _p(_("Cash on delivery: collect %(amount)s") % {"amount": format_idr(order.total_amount)}, "Heading3"),
            ]
        if order.notes:
            story += [Spacer(1, 4 * mm), _p(_("Notes: %(notes)s") % {"notes": order.notes})]
    if not story:
        story.append(_p(_("No orders selected.")))
    _doc(buffer, _("Packing slips")).build(story)
    return buffer.getvalue()
