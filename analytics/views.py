"""Report pages (Laporan), their exports, the monthly PDF, and the seller's inputs (visits, spend, changes)."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from analytics import exports, forms, selectors, services
from analytics.filters import ReportFilterForm, ReportFilters, filters_from_query, today
from analytics.reports import REPORTS, report_build
from core.permissions import staff_required


def _spec(request: HttpRequest, name: str):
    spec = REPORTS.get(name)
    if spec is None:
        raise Http404
    if not request.user.has_perm(spec.permission):
        raise PermissionDenied
    return spec


def _filters_or_400(request: HttpRequest) -> tuple[ReportFilters | None, dict]:
    return filters_from_query(request.GET)


@staff_required("core.view_reports")
def report_page(request: HttpRequest, name: str) -> HttpResponse:
    spec = _spec(request, name)
    filters, errors = _filters_or_400(request)
    form = ReportFilterForm(request.GET or None)
    context = {
        "spec": spec, "form": form, "reports": [s for s in REPORTS.values() if request.user.has_perm(s.permission)],
        "choices": selectors.filter_choices(), "errors": errors,
    }
    if filters is None:
        return render(request, "analytics/report.html", context, status=400)
    report = report_build(name=name, filters=filters)
    context.update({
        "report": report, "filters": filters, "query": urlencode(filters.as_query()),
        "quick_ranges": _quick_ranges(filters),
        "charts": [
            {"chart": chart, "table": next((t for t in report.tables if t.key == chart.table), None)}
            for chart in report.charts
        ],
        "other_tables": [t for t in report.tables if t.key not in {c.table for c in report.charts}],
    })
    return render(request, "analytics/report.html", context)


def _quick_ranges(f: ReportFilters) -> list[dict]:
    end = today()
    first = end.replace(day=1)
    last_month_end = first - timedelta(days=1)
    ranges = [
        (_("Last 7 days"), end - timedelta(days=6), end),
        (_("Last 30 days"), end - timedelta(days=29), end),
        (_("Last 90 days"), end - timedelta(days=89), end),
        (_("This month"), first, end),
        (_("Last month"), last_month_end.replace(day=1), last_month_end),
        (_("This year"), end.replace(month=1, day=1), end),
    ]
    query = f.as_query()
    result = []
    for label, start, stop in ranges:
        q = {**query, "start": start.isoformat(), "end": stop.isoformat()}
        result.append({"label": label, "query": urlencode(q), "active": (start, stop) == (f.start, f.end)})
    return result


@staff_required("core.view_reports")
def report_export(request: HttpRequest, name: str, fmt: str) -> HttpResponse:
    spec = _spec(request, name)
    if fmt not in ("csv", "xlsx"):
        raise Http404
    filters, errors = _filters_or_400(request)
    if filters is None:
        return HttpResponse(_("Bad filter: %(errors)s") % {"errors": errors}, status=400,
                            content_type="text/plain; charset=utf-8")
    report = report_build(name=name, filters=filters)
    table_key = request.GET.get("table") or None
    if table_key is not None and table_key not in {t.key for t in report.tables}:
        return HttpResponse(_("This report has no table %(table)r.") % {"table": table_key[:50]}, status=400,
                            content_type="text/plain; charset=utf-8")
    stem = f"{spec.name}-{filters.start.isoformat()}-{filters.end.isoformat()}"
    if fmt == "csv":
        if table_key is None:
            return HttpResponse(_("Choose a table to export as CSV (table=...)."), status=400,
                                content_type="text/plain; charset=utf-8")
        response = HttpResponse(exports.table_csv(report.table(table_key)), content_type=exports.CSV_CONTENT_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{stem}-{table_key}.csv"'
        return response
    response = HttpResponse(exports.report_xlsx(report, table_key=table_key), content_type=exports.XLSX_CONTENT_TYPE)
    suffix = f"-{table_key}" if table_key else ""
    response["Content-Disposition"] = f'attachment; filename="{stem}{suffix}.xlsx"'
    return response


@staff_required("analytics.view_sales_reports")
def monthly_pdf(request: HttpRequest) -> HttpResponse:
    raw = (request.GET.get("month") or "").strip()
    if raw:
        try:
            year, month = (int(part) for part in raw.split("-", 1))
            first = date(year, month, 1)
        except (ValueError, TypeError):
            return HttpResponse(_("Give the month as YYYY-MM, e.g. 2026-05."), status=400,
                                content_type="text/plain; charset=utf-8")
    else:
        first = (today().replace(day=1) - timedelta(days=1)).replace(day=1)
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    filters = ReportFilters(start=first, end=last, granularity="day")
    names = [n for n in ("sales", "profit", "customers", "conversion", "acquisition", "operations", "inventory")
             if request.user.has_perm(REPORTS[n].permission)]
    title = _("Monthly report %(month)s") % {"month": first.strftime("%m/%Y")}
    pdf = exports.reports_pdf([report_build(name=n, filters=filters) for n in names], title=title)
    response = HttpResponse(pdf, content_type=exports.PDF_CONTENT_TYPE)
    response["Content-Disposition"] = f'inline; filename="laporan-{first:%Y-%m}.pdf"'
    return response


@staff_required("analytics.manage_report_inputs")
def inputs(request: HttpRequest) -> HttpResponse:
    return render(request, "analytics/inputs.html", {
        "visits_form": forms.VisitsForm(), "spend_form": forms.SpendForm(), "change_form": forms.ChangeForm(),
        "import_form": forms.VisitsImportForm(),
        "visits": selectors.visits_recent(), "spend": selectors.spend_recent(), "changes": selectors.changes_recent(),
    })


def _handle(request: HttpRequest, form, save, ok: str) -> HttpResponse:
    if form.is_valid():
        try:
            save(form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, ok)
            return redirect("analytics:inputs")
    else:
        messages.error(request, " ".join(f"{k}: {' '.join(v)}" if k != "__all__" else " ".join(v)
                                         for k, v in form.errors.items()))
    return render(request, "analytics/inputs.html", {
        "visits_form": forms.VisitsForm(), "spend_form": forms.SpendForm(), "change_form": forms.ChangeForm(),
        "import_form": forms.VisitsImportForm(), "visits": selectors.visits_recent(),
        "spend": selectors.spend_recent(), "changes": selectors.changes_recent(),
    }, status=400)


@require_POST
@staff_required("analytics.manage_report_inputs")
def visits_save(request: HttpRequest) -> HttpResponse:
    return _handle(request, forms.VisitsForm(request.POST),
                   lambda d: services.visits_set(channel_id=d["channel"].pk, day=d["day"], visits=d["visits"],
                                                 product_id=d["product"].pk if d["product"] else None),
                   _("Visits saved."))


@require_POST
@staff_required("analytics.manage_report_inputs")
def visits_import(request: HttpRequest) -> HttpResponse:
    form = forms.VisitsImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _handle(request, form, lambda d: None, "")
    try:
        count = services.visits_import(file=form.cleaned_data["file"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("analytics:inputs")
    messages.success(request, _("%(n)s rows of visits imported.") % {"n": count})
    return redirect("analytics:inputs")


@require_POST
@staff_required("analytics.manage_report_inputs")
def spend_save(request: HttpRequest) -> HttpResponse:
    return _handle(request, forms.SpendForm(request.POST),
                   lambda d: services.spend_set(channel_id=d["channel"].pk, month=d["month"], amount=d["amount"],
                                                note=d["note"]),
                   _("Marketing spend saved."))


@require_POST
@staff_required("analytics.manage_report_inputs")
def change_save(request: HttpRequest) -> HttpResponse:
    return _handle(request, forms.ChangeForm(request.POST),
                   lambda d: services.change_record(
                       day=d["day"], kind=d["kind"], title=d["title"], description=d["description"],
                       channel_id=d["channel"].pk if d["channel"] else None,
                       product_id=d["product"].pk if d["product"] else None, window_days=d["window_days"],
                       actor=request.user),
                   _("Change recorded."))
