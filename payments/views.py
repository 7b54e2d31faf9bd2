"""Pembayaran: the Finance dashboard pages. Thin: forms validate, services write, selectors read."""

from __future__ import annotations

import csv
import io
from datetime import date

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.files import INLINE_TYPES, safe_file_response
from core.middleware import upload_limit
from core.money import AmountError, parse_idr
from core.permissions import staff_required
from core.untrusted import parse_id
from payments import conf, selectors
from payments.forms import (
    CodUploadForm,
    DecisionForm,
    MatchDifferenceForm,
    RefundForm,
    SettlementUploadForm,
    StatementUploadForm,
)
from payments.models import (
    CodRemittanceLine,
    JournalEntry,
    LineMatch,
    Payment,
    PaymentMethod,
    PaymentProof,
    PaymentStatus,
    SettlementLine,
    StatementImport,
    StatementLine,
)
from payments.services import proofs as proof_services
from payments.services import settlements as settlement_services
from payments.services import statements as statement_services
from payments.services.order_sync import expire_overdue
from payments.services.refunds import refund_create
from payments.services.transitions import payment_mark_failed, payment_mark_paid

VIEW = "payments.view_payment"
MANAGE = "payments.manage_payments"
IMPORT = "payments.import_statements"
ACCEPT_SHORT = "payments.accept_short_payment"


def _page(request: HttpRequest, qs, per_page: int = 50):
    return Paginator(qs, per_page).get_page(request.GET.get("page"))


def _fail(request: HttpRequest, exc: DomainError) -> None:
    fields = exc.detail.get("fields") if isinstance(exc.detail, dict) else None
    extra = ""
    if fields:
        extra = " " + "; ".join(f"{k}: {', '.join(map(str, v))}" for k, v in fields.items())
    messages.error(request, exc.message + extra)


@staff_required(VIEW)
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "payments/index.html", {
        "counts": selectors.queue_counts() if request.user.has_perm(MANAGE) else {},
        "imports": selectors.statement_import_list()[:5],
        "stage_key": "payments",
    })


@staff_required(VIEW)
def payment_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    method = request.GET.get("method", "")
    qs = selectors.payment_list(status=status or None, method=method or None, search=request.GET.get("q", "").strip())
    if request.GET.get("queue") == "refunds_due":
        qs = selectors.refunds_due().filter(pk__in=qs.values("pk"))
    return render(request, "payments/list.html", {
        "page": _page(request, qs), "status": status, "method": method, "q": request.GET.get("q", ""),
        "statuses": PaymentStatus.choices, "methods": PaymentMethod.choices, "stage_key": "payments",
    })


@staff_required(VIEW)
def payment_detail(request: HttpRequest, payment_id: int) -> HttpResponse:
    payment = get_object_or_404(Payment.objects.select_related("order", "order__customer", "order__channel"),
                                pk=payment_id)
    return render(request, "payments/detail.html", {
        "payment": payment,
        "events": payment.events.select_related("actor"),
        "proofs": payment.proofs.select_related("decided_by"),
        "allocations": payment.allocations.select_related("line"),
        "matched_lines": payment.lines.filter(match_status="matched"),
        "refunds": payment.refunds.select_related("created_by"),
        "candidates": selectors.candidate_lines_for_payment(payment) if payment.is_open else [],
        "summary": selectors.order_payment_summary(order_id=payment.order_id),
        "refund_form": RefundForm(initial={"amount": payment.refundable_amount}),
        "decision_form": DecisionForm(),
        "stage_key": "payments",
    })


@require_POST
@staff_required(MANAGE)
def payment_action(request: HttpRequest, payment_id: int, action: str) -> HttpResponse:
    form = DecisionForm(request.POST)
    form.is_valid()
    reason = (form.cleaned_data.get("reason") or "").strip()
    try:
        if action == "approve":
            payment_mark_paid(payment_id=payment_id, actor=request.user, source="staff",
                              note=reason, received_amount=form.cleaned_data.get("received_amount"))
            messages.success(request, _("Payment marked paid."))
        elif action == "fail":
            if not reason:
                raise DomainError(_("Give a reason."), detail={"fields": {"reason": [_("required")]}})
            payment_mark_failed(payment_id=payment_id, actor=request.user, reason=reason)
            messages.success(request, _("Payment marked failed."))
        elif action == "refund":
            refund_form = RefundForm(request.POST)
            if not refund_form.is_valid():
                raise DomainError(_("Check the refund form."), detail={"fields": refund_form.errors})
            data = refund_form.cleaned_data
            refund_create(payment_id=payment_id, amount=data["amount"], reason=data["reason"],
                          kind=data["kind"], reference=data["reference"], actor=request.user)
            messages.success(request, _("Refund recorded."))
        else:
            raise Http404
    except DomainError as exc:
        _fail(request, exc)
    return redirect("payments:detail", payment_id=payment_id)


@staff_required(MANAGE)
def proofs(request: HttpRequest) -> HttpResponse:
    page = _page(request, selectors.proofs_to_verify(), 20)
    candidates = selectors.candidate_lines_for_payments([proof.payment for proof in page])
    rows = [{"proof": proof, "candidates": candidates.get(proof.payment_id, [])} for proof in page]
    return render(request, "payments/proofs.html", {"page": page, "rows": rows, "stage_key": "payments",
                                                    "image_types": INLINE_TYPES})


@staff_required("payments.view_paymentproof")
def proof_file(request: HttpRequest, proof_id: int) -> FileResponse:
    proof = get_object_or_404(PaymentProof, pk=proof_id)
    return safe_file_response(proof.file.open("rb"), content_type=proof.content_type,
                              filename=f"proof-{proof.pk}.{proof.file.name.rsplit('.', 1)[-1]}")


@require_POST
@staff_required(MANAGE)
def proof_decide(request: HttpRequest, proof_id: int, decision: str) -> HttpResponse:
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Check the form."))
        return redirect("payments:proofs")
    try:
        if decision == "approve":
            proof_services.proof_approve(proof_id=proof_id, actor=request.user, line_id=form.cleaned_data["line"],
                                         received_amount=form.cleaned_data["received_amount"],
                                         note=form.cleaned_data["reason"])
            messages.success(request, _("Proof approved; the payment is recorded."))
        elif decision == "reject":
            proof_services.proof_reject(proof_id=proof_id, actor=request.user, reason=form.cleaned_data["reason"])
            messages.success(request, _("Proof rejected."))
        else:
            raise Http404
    except DomainError as exc:
        _fail(request, exc)
    return redirect("payments:proofs")


@staff_required(MANAGE)
def reconcile(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", LineMatch.UNMATCHED)
    if status not in (LineMatch.UNMATCHED, LineMatch.AMBIGUOUS, LineMatch.NOT_OURS, LineMatch.MANUAL,
                      LineMatch.SPLIT, LineMatch.MATCHED):
        status = LineMatch.UNMATCHED
    page = _page(request, selectors.open_lines(status).order_by("-booked_on", "id"), 25)
    open_status = status in (LineMatch.UNMATCHED, LineMatch.AMBIGUOUS)
    candidates = selectors.candidate_payments_for_lines(list(page)) if open_status else {}
    rows = [{"line": line, "candidates": candidates.get(line.pk, [])} for line in page]
    return render(request, "payments/reconcile.html", {
        "page": page, "rows": rows, "status": status, "open_status": open_status,
        "counts": selectors.queue_counts(), "stage_key": "payments",
    })


@require_POST
@staff_required(MANAGE)
def reconcile_action(request: HttpRequest, line_id: int, action: str) -> HttpResponse:
    try:
        if action == "match":
            payment = Payment.objects.filter(reference=request.POST.get("reference", "").strip()).first()
            if payment is None:
                payment_id = _int(request.POST.get("payment"))
                payment = Payment.objects.filter(pk=payment_id).first() if payment_id else None
            if payment is None:
                raise DomainError(_("Choose a payment or type its reference."),
                                  detail={"fields": {"payment": [_("required")]}})
            line = StatementLine.objects.filter(pk=line_id).first()
            if line is None:
                raise DomainError(_("This statement line does not exist."))
            difference = selectors.match_difference(line_amount=line.amount, payment=payment)
            decision = reason = ""
            if difference:
                # A credit that is not what the payment expects: show the difference, ask what to do.
                confirming = request.POST.get("confirm") == "1"
                form = MatchDifferenceForm(request.POST if confirming else None, difference=difference,
                                           can_accept_short=request.user.has_perm(ACCEPT_SHORT))
                if not form.is_valid():
                    return render(request, "payments/match_difference.html", {
                        "form": form, "line": line, "payment": payment, "difference": difference,
                        "difference_abs": abs(difference),
                        "expected": line.amount - difference, "next": request.POST.get("next", ""),
                        "note": request.POST.get("note", ""), "stage_key": "payments",
                    }, status=400 if confirming else 200)
                decision, reason = form.cleaned_data["decision"], form.cleaned_data["reason"]
            statement_services.statement_line_match(line_id=line_id, payment_id=payment.pk, actor=request.user,
                                                    note=request.POST.get("note", ""), decision=decision or None,
                                                    reason=reason)
            messages.success(request, _("Credit matched."))
        elif action == "split":
            allocations = []
            for raw in request.POST.get("parts", "").replace(";", "\n").splitlines():
                if not raw.strip():
                    continue
                reference, _sep, amount = raw.partition("=")
                payment = Payment.objects.filter(reference=reference.strip()).first()
                if payment is None:
                    raise DomainError(_("Unknown payment %(ref)s.") % {"ref": reference.strip()},
                                      detail={"fields": {"parts": [reference.strip()]}})
                try:
                    allocations.append((payment.pk, parse_idr(amount, min_amount=1)))
                except AmountError as exc:
                    raise DomainError(f"{reference.strip()}: {exc.message}",
                                      detail={"fields": {"parts": [reference.strip()]}}) from None
            statement_services.statement_line_split(line_id=line_id, allocations=allocations, actor=request.user,
                                                    note=request.POST.get("note", ""))
            messages.success(request, _("Credit split."))
        elif action == "not-ours":
            statement_services.statement_line_mark_not_ours(line_id=line_id, actor=request.user,
                                                            reason=request.POST.get("reason", ""))
            messages.success(request, _("Marked as not ours."))
        else:
            raise Http404
    except DomainError as exc:
        _fail(request, exc)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        target = reverse("payments:reconcile")
    return redirect(target)


def _int(value) -> int | None:
    return parse_id(value)


@upload_limit(conf.statement_max_bytes)
@staff_required(IMPORT)
def imports(request: HttpRequest) -> HttpResponse:
    form = StatementUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = statement_services.statement_import_create(
                data=upload.read(), filename=upload.name, fmt=form.cleaned_data["format"],
                bank_account_id=form.cleaned_data["bank_account"].pk if form.cleaned_data["bank_account"] else None,
                column_mapping=form.mapping(), actor=request.user,
            )
        except DomainError as exc:
            _fail(request, exc)
        else:
            return redirect("payments:import-detail", import_id=job.pk)
    return render(request, "payments/imports.html", {
        "form": form, "page": _page(request, selectors.statement_import_list(), 20), "stage_key": "payments",
    }, status=400 if request.method == "POST" else 200)


@staff_required(IMPORT)
def import_detail(request: HttpRequest, import_id: int) -> HttpResponse:
    job = get_object_or_404(StatementImport.objects.select_related("bank_account", "created_by"), pk=import_id)
    template = "payments/_import_progress.html" if request.htmx else "payments/import_detail.html"
    lines = job.lines.select_related("payment").order_by("id")[:200] if not request.htmx else []
    return render(request, template, {"job": job, "lines": lines, "stage_key": "payments"})


@require_POST
@staff_required(IMPORT)
def import_resume(request: HttpRequest, import_id: int) -> HttpResponse:
    try:
        statement_services.statement_import_resume(import_id=import_id)
        messages.success(request, _("The import continues."))
    except DomainError as exc:
        _fail(request, exc)
    return redirect("payments:import-detail", import_id=import_id)


@require_POST
@staff_required(MANAGE)
def rematch(request: HttpRequest) -> HttpResponse:
    result = statement_services.statement_lines_match()
    messages.success(request, _("%(matched)s of %(lines)s open credits matched.") % result)
    return redirect("payments:reconcile")


@staff_required(MANAGE)
def overdue(request: HttpRequest) -> HttpResponse:
    qs = selectors.overdue_orders().select_related("customer", "channel").prefetch_related(
        Prefetch("payments", queryset=Payment.objects.order_by("-created_at"))
    )
    return render(request, "payments/overdue.html", {"page": _page(request, qs), "stage_key": "payments"})


@require_POST
@staff_required(MANAGE)
def overdue_expire(request: HttpRequest) -> HttpResponse:
    done = expire_overdue()
    messages.success(request, _("%(count)s overdue orders cancelled and their stock released.") % {"count": done})
    return redirect("payments:overdue")


@upload_limit(conf.statement_max_bytes)
@staff_required(IMPORT)
def settlements(request: HttpRequest) -> HttpResponse:
    form = SettlementUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = settlement_services.settlement_import(channel_id=form.cleaned_data["channel"].pk, data=upload.read(),
                                                        filename=upload.name, actor=request.user)
        except DomainError as exc:
            _fail(request, exc)
        else:
            messages.success(request, _("%(new)s rows imported: %(matched)s orders, %(diff)s with differences, "
                                        "%(unknown)s unknown.") % {"new": job.rows_new, "matched": job.rows_matched,
                                                                   "diff": job.rows_with_difference,
                                                                   "unknown": job.rows_unknown})
            return redirect("payments:settlements")
    lines = SettlementLine.objects.exclude(result=SettlementLine.Result.MATCHED).select_related(
        "order", "channel").order_by("-id")[:100]
    return render(request, "payments/settlements.html", {
        "form": form, "lines": lines, "unsettled": selectors.unsettled_marketplace_payments()[:200],
        "days": conf.unsettled_after_days(), "stage_key": "payments",
    })


@upload_limit(conf.statement_max_bytes)
@staff_required(IMPORT)
def cod(request: HttpRequest) -> HttpResponse:
    form = CodUploadForm(request.POST or None, request.FILES or None, initial={"remitted_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            settlement_services.cod_remittance_import(
                courier=form.cleaned_data["courier"], remitted_on=form.cleaned_data["remitted_on"],
                data=upload.read(), filename=upload.name, reference=form.cleaned_data["reference"],
                actor=request.user)
        except DomainError as exc:
            _fail(request, exc)
        else:
            messages.success(request, _("Remittance recorded."))
            return redirect("payments:cod")
    return render(request, "payments/cod.html", {
        "form": form, "by_courier": selectors.outstanding_cod_by_courier(),
        "lines": CodRemittanceLine.objects.exclude(result=CodRemittanceLine.Result.MATCHED).select_related(
            "order", "remittance").order_by("-id")[:100],
        "stage_key": "payments",
    })


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@staff_required("payments.view_journalentry")
def journal(request: HttpRequest) -> HttpResponse:
    date_from, date_to = _date(request.GET.get("from")), _date(request.GET.get("to"))
    export = request.GET.get("export")
    if export in ("csv", "xlsx"):
        return _export_journal(selectors.journal_lines(date_from=date_from, date_to=date_to), export)
    entries = JournalEntry.objects.select_related("order", "payment").prefetch_related("lines").order_by(
        "-booked_on", "-id")
    if date_from:
        entries = entries.filter(booked_on__gte=date_from)
    if date_to:
        entries = entries.filter(booked_on__lte=date_to)
    return render(request, "payments/journal.html", {
        "page": _page(request, entries), "days": selectors.journal_daily_totals()[-31:],
        "from": request.GET.get("from", ""), "to": request.GET.get("to", ""), "stage_key": "payments",
    })


JOURNAL_HEADER = ["date", "entry", "kind", "order", "payment", "account", "debit", "credit", "description"]
RECON_HEADER = ["date", "account", "description", "amount", "credit", "status", "payment", "order", "note"]


def _table_response(header: list[str], rows, fmt: str, name: str) -> HttpResponse:
    if fmt == "xlsx":
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(name)
        sheet.append(header)
        for row in rows:
            sheet.append(row)
        buffer = io.BytesIO()
        workbook.save(buffer)
        response = HttpResponse(buffer.getvalue(),
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    else:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        for row in rows:
            writer.writerow(["'" + v if isinstance(v, str) and v[:1] in ("=", "+", "-", "@") else v for v in row])
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}-{timezone.localdate():%Y%m%d}.{fmt}"'
    return response


def _export_journal(lines, fmt: str) -> HttpResponse:
    rows = (
        [ln.entry.booked_on.isoformat(), ln.entry.key, ln.entry.kind, ln.entry.order.number if ln.entry.order else "",
         ln.entry.payment.reference if ln.entry.payment else "", ln.account, ln.debit_amount, ln.credit_amount,
         ln.entry.description]
        for ln in lines.iterator(chunk_size=2000)
    )
    return _table_response(JOURNAL_HEADER, rows, fmt, "journal")


@staff_required(MANAGE)
def reconciliation_export(request: HttpRequest) -> HttpResponse:
    fmt = request.GET.get("format", "csv")
    if fmt not in ("csv", "xlsx"):
        raise Http404
    lines = StatementLine.objects.filter(is_credit=True).select_related("payment", "payment__order").order_by(
        "booked_on", "id")
    rows = (
        [ln.booked_on.isoformat() if ln.booked_on else "PEND", ln.account, ln.description, ln.amount, ln.is_credit,
         ln.match_status, ln.payment.reference if ln.payment else "",
         ln.payment.order.number if ln.payment else "", ln.note]
        for ln in lines.iterator(chunk_size=2000)
    )
    return _table_response(RECON_HEADER, rows, fmt, "reconciliation")
