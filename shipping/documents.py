"""Shipping labels, manifests and ZPL, drawn with reportlab straight onto the canvas (fast enough
for a thousand labels in one PDF).

Label sizes: 100×150 mm thermal (one per page) or A6 (105×148 mm), four per A4 page. Each label
has Code128 barcodes of the resi and the order number, sender and recipient, the courier and
service, the COD amount in large type, the weight, an items summary and the courier's sort code
when the aggregator gave one. ZPL (Zebra) output carries the same content for direct printing.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from io import BytesIO

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from core.errors import DomainError
from core.money import format_idr

THERMAL = (100 * mm, 150 * mm)
A6 = (105 * mm, 148 * mm)
FORMATS = ("thermal", "a6")
MAX_LABELS = 2000


class LabelError(DomainError):
    code = "label_error"


def _text(value) -> str:
    """Text the PDF's standard fonts can draw: accents kept where Latin-1 has them, others
    transliterated, anything else replaced, control characters dropped."""
    text = " ".join(str(value or "").split())
    try:
        text.encode("latin-1")
        return text
    except UnicodeEncodeError:
        decomposed = unicodedata.normalize("NFKD", text)
        return "".join(ch if ord(ch) < 256 else "?" for ch in decomposed if not unicodedata.combining(ch))


@dataclass(frozen=True)
class LabelData:
    shipment_number: str
    order_number: str
    channel_name: str
    courier_name: str
    service_name: str
    tracking_number: str
    sort_code: str
    sender_name: str
    sender_phone: str
    sender_city: str
    recipient_name: str
    recipient_phone: str
    recipient_address: str
    recipient_area: str
    cod_amount: int
    weight_grams: int
    items: list[tuple[str, int]]
    note: str = ""
    is_return: bool = False  # a parcel coming back from the customer: marked RETUR, to the shop


def label_data(shipment, *, cfg) -> LabelData:
    """What goes on a shipment's label; refused (LabelError) when the order has no address."""
    order = shipment.order
    if not (order.shipping_address or "").strip() or not (order.shipping_name or "").strip():
        raise LabelError(_("Order %(number)s has no shipping address; add it before printing the label.")
                         % {"number": order.number}, detail={"order": order.number})
    items = [(line.order_line.sku, line.quantity) for line in shipment.lines.all()]
    area = ", ".join(p for p in (order.shipping_city, order.shipping_province, order.shipping_postal_code) if p)
    if shipment.direction == "return":
        # Back to the shop: the customer sends it, the warehouse receives it, nothing is collected.
        if not (cfg.origin_address or "").strip():
            raise LabelError(_("Fill in the shop's address in the shipping settings before printing a return label."))
        return LabelData(
            shipment_number=shipment.number, order_number=order.number, channel_name=order.channel.name,
            courier_name=shipment.courier_name or (shipment.courier.name if shipment.courier else ""),
            service_name=shipment.service.name if shipment.service_id else "",
            tracking_number=shipment.tracking_number, sort_code=shipment.sort_code, sender_name=order.shipping_name,
            sender_phone=order.shipping_phone, sender_city=order.shipping_city, recipient_name=cfg.sender_name,
            recipient_phone=cfg.sender_phone, recipient_address=cfg.origin_address,
            recipient_area=", ".join(p for p in (cfg.origin_city, cfg.origin_province, cfg.origin_postal_code) if p),
            cod_amount=0, weight_grams=shipment.weight_grams or shipment.chargeable_weight_grams, items=items,
            is_return=True,
        )
    return LabelData(
        shipment_number=shipment.number, order_number=order.number, channel_name=order.channel.name,
        courier_name=shipment.courier_name or (shipment.courier.name if shipment.courier else ""),
        service_name=shipment.service.name if shipment.service_id else "", tracking_number=shipment.tracking_number,
        sort_code=shipment.sort_code, sender_name=cfg.sender_name, sender_phone=cfg.sender_phone,
        sender_city=cfg.origin_city, recipient_name=order.shipping_name, recipient_phone=order.shipping_phone,
        recipient_address=order.shipping_address, recipient_area=area, cod_amount=shipment.cod_amount,
        weight_grams=shipment.weight_grams or shipment.chargeable_weight_grams, items=items, note=order.notes[:120],
    )


def _wrap(canvas: Canvas, text: str, font: str, size: float, width: float, max_lines: int) -> list[str]:
    words, lines, current = _text(text).split(" "), [], ""
    for word in words:
        trial = f"{current} {word}".strip()
        if canvas.stringWidth(trial, font, size) <= width:
            current = trial
            continue
        if current:
            lines.append(current)
        current = word
        while canvas.stringWidth(current, font, size) > width and len(current) > 1:
            cut = len(current) - 1
            while cut > 1 and canvas.stringWidth(current[:cut], font, size) > width:
                cut -= 1
            lines.append(current[:cut])
            current = current[cut:]
        if len(lines) >= max_lines:
            break
    if current and len(lines) < max_lines:
        lines.append(current)
    return lines[:max_lines]


def barcodable(value: str) -> bool:
    """Code128 as drawn here carries printable ASCII only; anything else would scan as another value."""
    return bool(value) and all(32 <= ord(ch) < 127 for ch in value)


def _barcode(canvas: Canvas, value: str, x: float, y: float, width: float, height: float) -> None:
    """A Code128 of `value` centred in `width`, bars as wide as fit (0.25-0.5 mm, a scanner's
    comfortable range) with a quiet zone of 10 bars each side kept clear."""
    unit = Code128(value, barHeight=height, barWidth=1, quiet=False, humanReadable=False)
    modules = unit.width + 20  # the symbol plus both quiet zones, in bar widths
    bar_width = max(min(width / modules, 0.5 * mm), 0.25 * mm)
    code = Code128(value, barHeight=height, barWidth=bar_width, quiet=False, humanReadable=False)
    code.drawOn(canvas, x + (width - code.width) / 2, y)


def draw_label(canvas: Canvas, label: LabelData, x0: float, y0: float, w: float, h: float) -> None:
    """One label in the box (x0, y0, w, h); y0 is the bottom edge."""
    pad = 3 * mm
    inner = w - 2 * pad
    top = y0 + h
    canvas.setLineWidth(0.8)
    canvas.rect(x0 + 1 * mm, y0 + 1 * mm, w - 2 * mm, h - 2 * mm)
    # Courier and service, sort code on the right.
    y = top - pad - 6 * mm
    canvas.setFont("Helvetica-Bold", 15)
    canvas.drawString(x0 + pad, y, _text(f"{label.courier_name} {label.service_name}".strip() or "-")[:28])
    if label.sort_code:
        canvas.setFont("Helvetica-Bold", 13)
        canvas.drawRightString(x0 + w - pad, y, _text(label.sort_code)[:22])
    canvas.setFont("Helvetica", 7.5)
    canvas.drawString(x0 + pad, y - 4 * mm, _text(label.channel_name)[:40])
    if label.is_return:
        canvas.setFont("Helvetica-Bold", 13)
        canvas.drawRightString(x0 + w - pad, y - 5 * mm, _text(pgettext("label", "RETURN")))
    # Resi barcode.
    y -= 21 * mm
    if label.tracking_number:
        if barcodable(label.tracking_number):
            _barcode(canvas, label.tracking_number, x0 + pad, y, inner, 14 * mm)
        else:
            canvas.setFont("Helvetica", 8)
            canvas.drawCentredString(x0 + w / 2, y + 6 * mm, _text(
                _("This resi has characters a barcode cannot carry; type it at hand-over.")))
        canvas.setFont("Helvetica-Bold", 11)
        canvas.drawCentredString(x0 + w / 2, y - 4.5 * mm, _text(f"Resi: {label.tracking_number}"))
    else:
        canvas.setFont("Helvetica-Bold", 11)
        canvas.drawString(x0 + pad, y + 5 * mm, _text(_("No resi yet: write it on the parcel")))
    y -= 8 * mm
    canvas.line(x0 + 1 * mm, y, x0 + w - 1 * mm, y)
    # Recipient.
    y -= 4.5 * mm
    canvas.setFont("Helvetica-Bold", 8)
    canvas.drawString(x0 + pad, y, _text(_("TO")))
    canvas.setFont("Helvetica-Bold", 11)
    canvas.drawString(x0 + pad + 8 * mm, y, _text(label.recipient_name)[:34])
    y -= 4.5 * mm
    canvas.setFont("Helvetica", 9)
    canvas.drawString(x0 + pad + 8 * mm, y, _text(label.recipient_phone))
    for line in _wrap(canvas, label.recipient_address, "Helvetica", 8.5, inner - 8 * mm, 3):
        y -= 3.8 * mm
        canvas.drawString(x0 + pad + 8 * mm, y, line)
    y -= 4 * mm
    canvas.setFont("Helvetica-Bold", 9)
    canvas.drawString(x0 + pad + 8 * mm, y, _text(label.recipient_area)[:60])
    # Sender.
    y -= 5.5 * mm
    canvas.setFont("Helvetica-Bold", 8)
    canvas.drawString(x0 + pad, y, _text(_("FROM")))
    canvas.setFont("Helvetica", 8.5)
    sender = " · ".join(p for p in (label.sender_name, label.sender_phone, label.sender_city) if p)
    canvas.drawString(x0 + pad + 10 * mm, y, _text(sender)[:60])
    y -= 3 * mm
    canvas.line(x0 + 1 * mm, y, x0 + w - 1 * mm, y)
    # COD in large type, weight.
    y -= 9 * mm
    if label.cod_amount:
        canvas.setFont("Helvetica-Bold", 19)
        canvas.drawString(x0 + pad, y, _text(f"COD {format_idr(label.cod_amount)}"))
    else:
        canvas.setFont("Helvetica-Bold", 13)
        canvas.drawString(x0 + pad, y, _text(_("NON-COD")))
    canvas.setFont("Helvetica", 9)
    weight = f"{label.weight_grams / 1000:.2f} kg".replace(".", ",") if label.weight_grams else "-"
    canvas.drawRightString(x0 + w - pad, y, _text(_("Weight: %(w)s") % {"w": weight}))
    # Items summary.
    y -= 5 * mm
    canvas.setFont("Helvetica", 7.5)
    summary = ", ".join(f"{qty}× {sku}" for sku, qty in label.items)
    total = sum(qty for _sku, qty in label.items)
    for line in _wrap(canvas, _("%(n)s items: %(list)s") % {"n": total, "list": summary}, "Helvetica", 7.5, inner, 2):
        canvas.drawString(x0 + pad, y, line)
        y -= 3.2 * mm
    # Order barcode at the bottom.
    bottom = y0 + pad + 2 * mm
    _barcode(canvas, label.order_number, x0 + pad, bottom + 3.5 * mm, inner, 9 * mm)
    canvas.setFont("Helvetica", 8)
    canvas.drawCentredString(x0 + w / 2, bottom, _text(f"{_('Order')} {label.order_number} · {label.shipment_number}"))


def labels_pdf(labels: Sequence[LabelData], *, fmt: str = "thermal") -> bytes:
    """Many labels in one PDF: one per 100×150 mm page, or four A6 labels per A4 page."""
    if fmt not in FORMATS:
        raise LabelError(_("Unknown label format %(f)s.") % {"f": fmt})
    if not labels:
        raise LabelError(_("No labels to print."))
    if len(labels) > MAX_LABELS:
        raise LabelError(_("At most %(n)s labels per file.") % {"n": MAX_LABELS})
    buffer = BytesIO()
    if fmt == "thermal":
        canvas = Canvas(buffer, pagesize=THERMAL, pageCompression=1)
        canvas.setTitle(_("Shipping labels"))
        for label in labels:
            draw_label(canvas, label, 0, 0, *THERMAL)
            canvas.showPage()
    else:
        canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
        canvas.setTitle(_("Shipping labels"))
        slots = [(0, A4[1] / 2), (A4[0] / 2, A4[1] / 2), (0, 0), (A4[0] / 2, 0)]
        for index, label in enumerate(labels):
            x, y = slots[index % 4]
            draw_label(canvas, label, x, y + (A4[1] / 2 - A6[1]) / 2, A6[0], A6[1])
            if index % 4 == 3 or index == len(labels) - 1:
                canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _zpl_text(value) -> str:
    return _text(value).replace("^", " ").replace("~", " ")


def labels_zpl(labels: Sequence[LabelData]) -> str:
    """The labels as ZPL II for 203 dpi Zebra-type printers (100×150 mm = 800×1200 dots)."""
    if not labels:
        raise LabelError(_("No labels to print."))
    out = []
    for label in labels:
        lines = ["^XA", "^CI28", "^PW800", "^LL1200"]
        lines.append(f"^FO30,30^A0N,50,50^FD{_zpl_text(label.courier_name + ' ' + label.service_name)}^FS")
        if label.sort_code:
            lines.append(f"^FO500,30^A0N,40,40^FD{_zpl_text(label.sort_code)}^FS")
        if barcodable(label.tracking_number):
            lines.append(f"^FO30,110^BY3^BCN,140,Y,N,N^FD{_zpl_text(label.tracking_number)}^FS")
        elif label.tracking_number:
            lines.append(f"^FO30,150^A0N,50,50^FD{_zpl_text(label.tracking_number)}^FS")
        if label.is_return:
            lines.append(f"^FO500,75^A0N,40,40^FD{_zpl_text(pgettext('label', 'RETURN'))}^FS")
        lines.append(f"^FO30,320^A0N,36,36^FDTO: {_zpl_text(label.recipient_name)}^FS")
        lines.append(f"^FO30,365^A0N,30,30^FD{_zpl_text(label.recipient_phone)}^FS")
        lines.append(f"^FO30,405^FB740,3,0,L^A0N,28,28^FD{_zpl_text(label.recipient_address)}^FS")
        lines.append(f"^FO30,500^A0N,30,30^FD{_zpl_text(label.recipient_area)}^FS")
        lines.append(f"^FO30,560^A0N,26,26^FDFROM: {_zpl_text(label.sender_name)} {_zpl_text(label.sender_phone)}^FS")
        cod = f"COD {format_idr(label.cod_amount)}" if label.cod_amount else "NON-COD"
        lines.append(f"^FO30,630^A0N,70,70^FD{_zpl_text(cod)}^FS")
        lines.append(f"^FO30,730^A0N,28,28^FD{label.weight_grams} g^FS")
        items = ", ".join(f"{qty}x {sku}" for sku, qty in label.items)
        lines.append(f"^FO30,780^FB740,3,0,L^A0N,24,24^FD{_zpl_text(items)}^FS")
        lines.append(f"^FO30,950^BY2^BCN,90,Y,N,N^FD{_zpl_text(label.order_number)}^FS")
        lines.append("^XZ")
        out.append("\n".join(lines))
    return "\n".join(out) + "\n"


def manifest_pdf(manifest, items: Sequence) -> bytes:
    """The hand-over list the courier signs: every resi with its order, count, time and signatures."""
    from reportlab.lib import colors
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    buffer = BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, title=_("Hand-over manifest"), leftMargin=15 * mm,
                            rightMargin=15 * mm, topMargin=15 * mm, bottomMargin=15 * mm)
    courier = manifest.courier.name if manifest.courier else _("all couriers")
    opened = timezone.localtime(manifest.created_at).strftime("%d-%m-%Y %H:%M")
    story = [
        Paragraph(_text(_("Hand-over manifest %(number)s") % {"number": manifest.number}), styles["Title"]),
        Paragraph(_text(_("Courier: %(courier)s · opened %(when)s · %(count)s parcels")
                        % {"courier": courier, "when": opened, "count": len(items)}), styles["BodyText"]),
        Spacer(1, 4 * mm),
    ]
    rows = [["#", _("Resi"), _("Order"), _("Recipient"), _("COD"), _("Scanned")]]
    for n, item in enumerate(items, 1):
        s = item.shipment
        rows.append([str(n), _text(s.tracking_number), _text(s.order.number), _text(s.order.shipping_name)[:30],
                     format_idr(s.cod_amount) if s.cod_amount else "-",
                     timezone.localtime(item.scanned_at).strftime("%H:%M")])
    table = Table(rows, colWidths=[10 * mm, 45 * mm, 38 * mm, 45 * mm, 25 * mm, 17 * mm], repeatRows=1)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 9), ("FONT", (0, 1), (-1, -1), "Helvetica", 9),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey), ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
    ]))
    story += [table, Spacer(1, 12 * mm)]
    driver = manifest.driver_name or "________________________"
    signatures = Table([[_("Handed over by (warehouse)"), _("Received by (courier): %(name)s") % {"name": driver}],
                        ["\n\n\n______________________", "\n\n\n______________________"]],
                       colWidths=[90 * mm, 90 * mm])
    signatures.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), "Helvetica", 9)]))
    story.append(signatures)
    doc.build(story)
    return buffer.getvalue()
