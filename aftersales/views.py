"""Purna Jual: the staff pages. Thin: forms validate, services write, selectors read."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aftersales import feedback, forms, selectors
from aftersales.models import (
    Attachment,
    Case,
    CaseCategory,
    CaseKind,
    CaseStatus,
    MessageKind,
    ReturnMethod,
    ReturnOutcome,
    ReturnRequest,
    ReturnStatus,
    Review,
    ReviewPhoto,
    SlaPolicy,
    WarrantyClaim,
)
from aftersales.services import attachments, cases, returns, reviews, warranty
from aftersales.services.sla import sla_state
from core.errors import DomainError
from core.permissions import staff_required
from core.untrusted import parse_count

VIEW = "aftersales.view_case"
WORK = "aftersales.work_case"


def _fail(request: HttpRequest, exc: Exception) -> None:
    if isinstance(exc, ValidationError):
        text = "; ".join(f"{', '.join(v)}" for v in exc.message_dict.values()) if hasattr(exc, "error_dict") \
            else " ".join(exc.messages)
        messages.error(request, text)
    else:
        messages.error(request, exc.message)


def _page(request: HttpRequest, qs, per_page: int = 50):
    return Paginator(qs, per_page).get_page(request.GET.get("page"))


@staff_required(VIEW)
def case_list(request: HttpRequest) -> HttpResponse:
    queue = request.GET.get("queue", "")
    status = request.GET.get("status", "") if request.GET.get("status", "") in CaseStatus.values else ""
    kind = request.GET.get("kind", "") if request.GET.get("kind", "") in CaseKind.values else ""
    q = request.GET.get("q", "").strip()[:100]
    page = _page(request, selectors.case_queue(queue=queue, status=status, kind=kind, search=q))
    now = timezone.now()
    for case in page:
        case.sla = sla_state(case, now=now)
    return render(request, "aftersales/case_list.html", {
        "page": page, "queue": queue, "status": status, "kind": kind, "q": q,
        "statuses": CaseStatus.choices, "kinds": CaseKind.choices,
    })


@staff_required(WORK)
def case_create(request: HttpRequest) -> HttpResponse:
    from orders.models import Order

    form = forms.CaseCreateForm(request.POST or None, initial={"order_number": request.GET.get("order", "")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        order = None
        if data["order_number"]:
            order = Order.objects.filter(number=data["order_number"].strip()).first()
            if order is None:
                form.add_error("order_number", _("No order has this number."))
        if not form.errors:
            try:
                case = cases.case_open(
                    subject=data["subject"], description=data["description"], kind=data["kind"],
                    category=data["category"], priority=data["priority"], channel=data["channel"],
                    order_id=order.pk if order else None, customer_id=data["customer_id"], actor=request.user,
                )
            except ValidationError as exc:
                _fail(request, exc)
            else:
                messages.success(request, _("Case %(number)s opened.") % {"number": case.number})
                return redirect("aftersales:case", case_id=case.pk)
    return render(request, "aftersales/case_create.html", {"form": form}, status=400 if form.errors else 200)


@staff_required(VIEW)
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    case = get_object_or_404(Case.objects.select_related("customer", "order", "order__channel", "assignee",
                                                         "sla_policy"), pk=case_id)
    rma = ReturnRequest.objects.filter(case=case).first()
    claim = WarrantyClaim.objects.filter(case=case).select_related("unit").first()
    return render(request, "aftersales/case_detail.html", {
        "case": case, "sla": sla_state(case, now=timezone.now()), "rma": rma, "claim": claim,
        "messages_log": case.messages.select_related("author"),
        "events": case.events.select_related("actor").exclude(kind="alert"),
        "attachments": case.attachments.all(), "lines": case.lines.select_related("order_line"),
        "reply_form": forms.ReplyForm(), "note_form": forms.NoteForm(),
        "assign_form": forms.AssignForm(initial={"assignee": case.assignee_id}),
        "resolve_form": forms.ResolveForm(), "reason_form": forms.ReasonForm(), "photo_form": forms.PhotoForm(),
        "message_kinds": MessageKind, "categories": CaseCategory.choices,
        "can_open_return": case.order_id is not None and rma is None and case.kind == CaseKind.RETURN,
    })


@require_POST
@staff_required(WORK)
def case_action(request: HttpRequest, case_id: int, action: str) -> HttpResponse:
    get_object_or_404(Case, pk=case_id)
    user = request.user
    try:
        if action == "reply":
            form = forms.ReplyForm(request.POST)
            if form.is_valid():
                cases.case_reply(case_id=case_id, body=form.cleaned_data["body"], actor=user,
                                 wait_for_customer=form.cleaned_data["wait_for_customer"])
                messages.success(request, _("Answer sent."))
            else:
                messages.error(request, _("Write the message first."))
        elif action == "note":
            form = forms.NoteForm(request.POST)
            if form.is_valid():
                cases.case_add_note(case_id=case_id, body=form.cleaned_data["body"], actor=user)
        elif action == "assign":
            form = forms.AssignForm(request.POST)
            if form.is_valid():
                cases.case_assign(case_id=case_id, assignee_id=form.cleaned_data["assignee"], actor=user)
        elif action == "wait":
            cases.case_wait_for_customer(case_id=case_id, actor=user)
        elif action == "resume":
            cases.case_resume(case_id=case_id, actor=user)
        elif action == "resolve":
            form = forms.ResolveForm(request.POST)
            if form.is_valid():
                cases.case_resolve(case_id=case_id, resolution=form.cleaned_data["resolution"],
                                   note=form.cleaned_data["note"], actor=user,
                                   voucher_amount=form.cleaned_data["voucher_amount"] or 0)
                messages.success(request, _("Case resolved."))
            else:
                messages.error(request, _("Choose a resolution."))
        elif action == "close":
            cases.case_close(case_id=case_id, actor=user)
        elif action == "reopen":
            cases.case_reopen(case_id=case_id, reason=request.POST.get("reason", ""), actor=user)
        elif action == "update":
            cases.case_update(case_id=case_id, category=request.POST.get("category") or None,
                              priority=request.POST.get("priority") or None, actor=user)
        elif action == "attach":
            form = forms.PhotoForm(request.POST, request.FILES)
            if form.is_valid():
                if form.cleaned_data["photo"]:
                    attachments.attachment_add_photo(case_id=case_id, uploaded=form.cleaned_data["photo"],
                                                     by_customer=False, actor=user)
                if form.cleaned_data["video_url"]:
                    attachments.attachment_add_video_link(case_id=case_id, url=form.cleaned_data["video_url"],
                                                          by_customer=False, actor=user)
            else:
                messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
        else:
            raise Http404
    except (DomainError, ValidationError) as exc:
        _fail(request, exc)
    return redirect("aftersales:case", case_id=case_id)


def _download(field_file, name: str) -> FileResponse:
    """A customer's upload, only ever as a download that cannot run as a page or script."""
    try:
        handle = field_file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    response = FileResponse(handle, as_attachment=True, filename=name, content_type="application/octet-stream")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@staff_required(VIEW)
def attachment_download(request: HttpRequest, attachment_id: int) -> HttpResponse:
    attachment = get_object_or_404(Attachment, pk=attachment_id, kind=Attachment.Kind.IMAGE)
    if not attachment.file:
        raise Http404
    return _download(attachment.file, f"case-{attachment.case_id}-photo-{attachment.pk}.jpg")


@staff_required("aftersales.view_review")
def review_photo_download(request: HttpRequest, photo_id: int) -> HttpResponse:
    photo = get_object_or_404(ReviewPhoto, pk=photo_id)
    return _download(photo.file, f"review-{photo.review_id}-photo-{photo.pk}.jpg")


# --- Returns -------------------------------------------------------------------------------------

RETURN_QUEUES = {
    "approve": ReturnStatus.REQUESTED, "receive": f"{ReturnStatus.APPROVED},{ReturnStatus.IN_TRANSIT}",
    "inspect": ReturnStatus.RECEIVED, "complete": ReturnStatus.INSPECTED,
}


@staff_required("aftersales.view_returnrequest")
def return_list(request: HttpRequest) -> HttpResponse:
    queue = request.GET.get("queue", "")
    q = request.GET.get("q", "").strip()[:100]
    page = _page(request, selectors.return_list(status=RETURN_QUEUES.get(queue, ""), search=q))
    return render(request, "aftersales/return_list.html", {"page": page, "queue": queue, "q": q,
                                                          "queues": RETURN_QUEUES})


@staff_required("aftersales.view_returnrequest")
def return_detail(request: HttpRequest, return_id: int) -> HttpResponse:
    rma = get_object_or_404(ReturnRequest.objects.select_related("order", "order__customer", "case",
                                                                 "replacement_order"), pk=return_id)
    lines = list(rma.lines.select_related("order_line"))
    return render(request, "aftersales/return_detail.html", {
        "rma": rma, "lines": lines, "value": returns.returned_value(rma),
        "ship_form": forms.ShipBackForm(), "reason_form": forms.ReasonForm(), "complete_form": forms.CompleteReturnForm(
            initial={"outcome": rma.requested_outcome}),
        "policy": returns.return_policy_get(), "statuses": ReturnStatus, "methods": ReturnMethod.choices,
        "events": rma.case.events.filter(kind__startswith="return_").select_related("actor"),
    })


_RETURN_PERMS = {
    "approve": "aftersales.approve_return", "reject": "aftersales.approve_return",
    "cancel": "aftersales.approve_return",
    "ship": "aftersales.approve_return", "receive": "aftersales.receive_return", "inspect": "aftersales.receive_return",
    "complete": "aftersales.approve_return",
}


@require_POST
@staff_required("aftersales.view_returnrequest")
def return_action(request: HttpRequest, return_id: int, action: str) -> HttpResponse:
    rma = get_object_or_404(ReturnRequest, pk=return_id)
    perm = _RETURN_PERMS.get(action)
    if perm is None:
        raise Http404
    user = request.user
    if action == "complete" and request.POST.get("outcome") == ReturnOutcome.REFUND:
        perm = "aftersales.approve_refund"
    if not user.has_perm(perm):
        messages.error(request, _("Your role does not allow this."))
        return redirect("aftersales:return", return_id=return_id)
    try:
        if action == "approve":
            returns.return_approve(return_id=rma.pk, actor=user, note=request.POST.get("note", ""),
                                   method=request.POST.get("method") or ReturnMethod.DROP_OFF)
        elif action in ("reject", "cancel"):
            service = returns.return_reject if action == "reject" else returns.return_cancel
            service(return_id=rma.pk, reason=request.POST.get("reason", ""), actor=user)
        elif action == "ship":
            returns.return_ship(return_id=rma.pk, courier=request.POST.get("courier", ""),
                                tracking_number=request.POST.get("tracking_number", ""), actor=user)
        elif action == "receive":
            returns.return_receive(return_id=rma.pk, actor=user, note=request.POST.get("note", ""))
        elif action == "inspect":
            results = []
            for line in rma.lines.all():
                counts = [request.POST.get(f"{part}_{line.pk}", "0").strip() or "0"
                          for part in ("resellable", "damaged", "missing")]
                numbers = [parse_count(c, maximum=100_000) for c in counts]
                if None in numbers:
                    raise ValidationError({"results": [_("Enter whole numbers of units.")]})
                results.append(returns.InspectionResult(line.pk, *numbers))
            returns.return_inspect(return_id=rma.pk, results=results, actor=user, note=request.POST.get("note", ""))
        elif action == "complete":
            form = forms.CompleteReturnForm(request.POST)
            if not form.is_valid():
                raise ValidationError({"outcome": [_("Choose the outcome.")]})
            data = form.cleaned_data
            amount = data["amount"]
            returns.return_complete(
                return_id=rma.pk, outcome=data["outcome"], actor=user, note=data["note"],
                refund_amount=amount if data["outcome"] == ReturnOutcome.REFUND else None,
                voucher_amount=amount if data["outcome"] == ReturnOutcome.VOUCHER else None,
            )
        messages.success(request, _("Return %(number)s updated.") % {"number": rma.number})
    except (DomainError, ValidationError) as exc:
        _fail(request, exc)
    return redirect("aftersales:return", return_id=return_id)


@require_POST
@staff_required(WORK)
def return_create_for_case(request: HttpRequest, case_id: int) -> HttpResponse:
    """A marketplace return case (or a case typed by CS) gets its RMA for the lines chosen."""
    case = get_object_or_404(Case.objects.select_related("order"), pk=case_id)
    if case.order is None:
        raise Http404
    wanted = []
    for line in case.order.lines.all():
        quantity = parse_count(request.POST.get(f"qty_{line.pk}") or "0", maximum=100_000)
        if quantity is None:
            messages.error(request, _("Enter whole numbers of units."))
            return redirect("aftersales:case", case_id=case.pk)
        if quantity:
            wanted.append(returns.ReturnLineRequest(line.pk, quantity))
    try:
        rma = returns.return_request_create(
            order_id=case.order_id, lines=wanted,
            reason=case.category if case.category in CaseCategory.values else "other",
            description=case.description or case.subject, channel=case.channel, actor=request.user,
            outside_window_note=request.POST.get("outside_window_note", ""),
        )
    except (DomainError, ValidationError) as exc:
        _fail(request, exc)
        return redirect("aftersales:case", case_id=case_id)
    return redirect("aftersales:return", return_id=rma.pk)


# --- Warranty --------------------------------------------------------------------------------------


@staff_required(WORK)
def warranty_create(request: HttpRequest) -> HttpResponse:
    """CS opens a warranty claim for a unit (order + SKU + serial number)."""
    from orders.models import OrderLine

    form = forms.WarrantyClaimForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        line = (OrderLine.objects.filter(order__number=data["order_number"].strip(), sku=data["sku"].strip())
                .order_by("pk").first())
        if line is None:
            form.add_error("sku", _("This order has no line with this SKU."))
        else:
            try:
                claim = warranty.warranty_claim_open(order_line_id=line.pk, serial_number=data["serial_number"],
                                                     problem=data["problem"], actor=request.user)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("Case %(number)s opened.") % {"number": claim.case.number})
                return redirect("aftersales:case", case_id=claim.case_id)
    return render(request, "aftersales/warranty_create.html", {"form": form}, status=400 if form.errors else 200)


@require_POST
@staff_required(WORK)
def warranty_action(request: HttpRequest, claim_id: int, action: str) -> HttpResponse:
    claim = get_object_or_404(WarrantyClaim, pk=claim_id)
    try:
        if action == "accept":
            warranty.warranty_claim_accept(claim_id=claim.pk, outcome=request.POST.get("outcome", ""),
                                           actor=request.user, note=request.POST.get("note", ""))
        elif action == "reject":
            warranty.warranty_claim_reject(claim_id=claim.pk, reason=request.POST.get("reason", ""), actor=request.user)
        elif action == "complete":
            warranty.warranty_claim_complete(claim_id=claim.pk, actor=request.user,
                                             replacement_serial=request.POST.get("replacement_serial", ""),
                                             note=request.POST.get("note", ""))
        else:
            raise Http404
    except (DomainError, ValidationError) as exc:
        _fail(request, exc)
    return redirect("aftersales:case", case_id=claim.case_id)


# --- Reviews ---------------------------------------------------------------------------------------


@staff_required("aftersales.view_review")
def review_list(request: HttpRequest) -> HttpResponse:
    queue = request.GET.get("queue", "")
    page = _page(request, selectors.review_list(queue=queue))
    return render(request, "aftersales/review_list.html", {
        "page": page, "queue": queue, "reply_form": forms.ReviewReplyForm(), "import_form": forms.ReviewImportForm(),
    })


@require_POST
@staff_required("aftersales.moderate_review")
def review_action(request: HttpRequest, review_id: int, action: str) -> HttpResponse:
    get_object_or_404(Review, pk=review_id)
    try:
        if action == "moderate":
            reviews.review_moderate(review_id=review_id, status=request.POST.get("status", ""), actor=request.user)
        elif action == "reply":
            reviews.review_reply(review_id=review_id, text=request.POST.get("reply", ""), actor=request.user)
        else:
            raise Http404
    except (DomainError, ValidationError) as exc:
        _fail(request, exc)
    queue = request.POST.get("queue", "")
    suffix = f"?queue={queue}" if queue in ("moderate", "unanswered", "low") else ""
    return redirect(reverse("aftersales:reviews") + suffix)


@require_POST
@staff_required("aftersales.moderate_review")
def review_import(request: HttpRequest) -> HttpResponse:
    form = forms.ReviewImportForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose the marketplace and a CSV file."))
        return redirect("aftersales:reviews")
    upload = form.cleaned_data["file"]
    if upload.size > reviews.CSV_MAX_BYTES:
        messages.error(request, _("The file is larger than 2 MB."))
        return redirect("aftersales:reviews")
    try:
        n = reviews.reviews_import_csv(data=upload.read(), source=form.cleaned_data["source"], actor=request.user)
    except ValidationError as exc:
        for text in exc.message_dict.get("file", exc.messages):
            messages.error(request, text)
        return redirect("aftersales:reviews")
    messages.success(request, _("%(n)s reviews imported.") % {"n": n})
    return redirect("aftersales:reviews")


# --- Feedback and settings ---------------------------------------------------------------------------


@staff_required("core.view_reports")
def feedback_view(request: HttpRequest) -> HttpResponse:
    group = request.GET.get("group", "product")
    if group not in feedback.GROUPS:
        group = "product"
    try:
        days = min(max(int(request.GET.get("days", 90)), 1), 730)
    except ValueError:
        days = 90
    now = timezone.now()
    summary = feedback.feedback_summary(date_from=now - timedelta(days=days), date_to=now + timedelta(minutes=1),
                                        group=group)
    return render(request, "aftersales/feedback.html", {"summary": summary, "group": group, "days": days,
                                                        "categories": dict(CaseCategory.choices)})


@staff_required("aftersales.manage_aftersales_settings")
def settings_view(request: HttpRequest) -> HttpResponse:
    policy = returns.return_policy_get()
    policy_form = forms.ReturnPolicyForm(initial={
        "window_working_days": policy.window_working_days, "conditions": policy.conditions,
        "shipping_paid_by": policy.shipping_paid_by, "requires_photo": policy.requires_photo,
        "return_address": policy.return_address})
    sla_form = forms.SlaPolicyForm()
    status = 200
    if request.method == "POST" and request.POST.get("form") == "policy":
        policy_form = forms.ReturnPolicyForm(request.POST)
        if policy_form.is_valid():
            try:
                returns.return_policy_update(**policy_form.cleaned_data, actor=request.user)
            except ValidationError as exc:
                _fail(request, exc)
            else:
                messages.success(request, _("Return policy saved."))
                return redirect("aftersales:settings")
        status = 400
    elif request.method == "POST" and request.POST.get("form") == "sla":
        instance = SlaPolicy.objects.filter(pk=request.POST.get("policy_id") or 0).first()
        sla_form = forms.SlaPolicyForm(request.POST, instance=instance)
        if sla_form.is_valid():
            sla_form.save()
            messages.success(request, _("SLA policy saved."))
            return redirect("aftersales:settings")
        status = 400
    warranty_form = forms.ProductWarrantyForm()
    if request.method == "POST" and request.POST.get("form") == "warranty":
        from catalog.models import ProductVariant

        warranty_form = forms.ProductWarrantyForm(request.POST)
        if warranty_form.is_valid():
            variant = ProductVariant.objects.filter(sku=warranty_form.cleaned_data["sku"].strip()).first()
            if variant is None:
                warranty_form.add_error("sku", _("No product has SKU %(sku)s.")
                                        % {"sku": warranty_form.cleaned_data["sku"]})
            else:
                warranty.product_warranty_set(product_id=variant.product_id,
                                              months=warranty_form.cleaned_data["months"],
                                              terms=warranty_form.cleaned_data["terms"])
                messages.success(request, _("Warranty saved."))
                return redirect("aftersales:settings")
        status = 400
    from aftersales.models import ProductWarranty

    return render(request, "aftersales/settings.html", {
        "policy_form": policy_form, "sla_form": sla_form, "policies": SlaPolicy.objects.all(),
        "warranty_form": warranty_form, "warranties": ProductWarranty.objects.select_related("product"),
    }, status=status)
