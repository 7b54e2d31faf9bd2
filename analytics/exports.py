"""CSV and XLSX of a report's tables (numbers as numbers, money in whole rupiah), and the monthly PDF."""

from __future__ import annotations

import csv
from decimal import Decimal
from io import BytesIO, StringIO
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from analytics.reports.base import Report, Table

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF_CONTENT_TYPE = "application/pdf"


def _cell(value):
    if isinstance(value, Decimal):
        return value
    return "" if value is None else value


def table_csv(table: Table) -> str:
    out = StringIO()
    writer = csv.writer(out)
    writer.writerow([str(c.label) for c in table.columns])
    for row in table.rows:
        writer.writerow([_cell(row.get(c.key)) for c in table.columns])
    return "\ufeff" + out.getvalue()  # the BOM makes Excel read UTF-8


def _sheet_title(title: str, used: set[str]) -> str:
    base = "".join(ch for ch in str(title) if ch not in "[]:*?/\\")[:28] or "Tabel"
    name, n = base, 2
    while name in used:
        name, n = f"{base[:25]} {n}", n + 1
    used.add(name)
    return name


def report_xlsx(report: Report, *, table_key: str | None = None) -> bytes:
    """One sheet with the KPIs and one sheet per table (or just `table_key`)."""
    wb = Workbook()
    used: set[str] = set()
    ws = wb.active
    ws.title = _sheet_title(_("Summary"), used)
    f = report.filters
    ws.append([str(report.title), f"{f.start.isoformat()} – {f.end.isoformat()}"])
    ws.append([_("Measure"), _("This period"), _("Previous period"), _("Same period last year")])
    for kpi in report.kpis:
        ws.append([str(kpi.label), _cell(kpi.value), _cell(kpi.previous), _cell(kpi.last_year)])
    for section in report.sections:
        ws.append([str(section.title), str(section.message)])
    tables = [t for t in report.tables if table_key in (None, t.key)]
    for table in tables:
        sheet = wb.create_sheet(_sheet_title(table.title, used))
        sheet.append([str(c.label) for c in table.columns])
        for row in table.rows:
            sheet.append([_cell(row.get(c.key)) for c in table.columns])
        for i, column in enumerate(table.columns, start=1):
            sheet.column_dimensions[get_column_letter(i)].width = max(12, min(40, len(str(column.label)) + 4))
            if column.kind == "money":
                for cells in sheet.iter_cols(min_col=i, max_col=i, min_row=2):
                    for cell in cells:
                        cell.number_format = "#,##0"
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def reports_pdf(reports: list[Report], *, title: str) -> bytes:
    """A printable A4 report: for each report its KPIs (with the comparisons) and its tables."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, TableStyle
    from reportlab.platypus import Table as PdfTable

    from analytics.templatetags.analytics_tags import report_value, signed_percent

    styles = getSampleStyleSheet()
    out = BytesIO()
    doc = SimpleDocTemplate(out, pagesize=landscape(A4), leftMargin=12 * mm, rightMargin=12 * mm,
                            topMargin=12 * mm, bottomMargin=12 * mm, title=title)
    story = [Paragraph(escape(title), styles["Title"])]
    grid = TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey), ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e9ecef")),
        ("FONTSIZE", (0, 0), (-1, -1), 7.5), ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ])
    for index, report in enumerate(reports):
        if index:
            story.append(PageBreak())
        story.append(Paragraph(escape(str(report.title)), styles["Heading1"]))
        data = [[_("Measure"), _("This period"), _("Previous period"), _("Change"), _("Same period last year"),
                 _("Change")]]
        for kpi in report.kpis:
            data.append([str(kpi.label), report_value(kpi.value, kpi.kind), report_value(kpi.previous, kpi.kind),
                         signed_percent(kpi.change_previous), report_value(kpi.last_year, kpi.kind),
                         signed_percent(kpi.change_last_year)])
        story += [PdfTable(data, repeatRows=1, style=grid), Spacer(1, 4 * mm)]
        for section in report.sections:
            text = f"<b>{escape(str(section.title))}</b>: {escape(str(section.message))}"
            story.append(Paragraph(text, styles["Normal"]))
        for note in report.notes:
            story.append(Paragraph(escape(str(note)), styles["Italic"]))
        for table in report.tables:
            if not table.rows:
                continue
            story.append(Paragraph(escape(str(table.title)), styles["Heading3"]))
            rows = [[str(c.label) for c in table.columns]]
            for row in table.rows[:40]:
                rows.append([report_value(row.get(c.key), c.kind) for c in table.columns])
            story += [PdfTable(rows, repeatRows=1, style=grid), Spacer(1, 3 * mm)]
    doc.build(story)
    return out.getvalue()
