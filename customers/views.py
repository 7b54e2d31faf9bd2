"""Pelanggan: customer list and profile, duplicates, vouchers, loyalty and campaigns. Thin views."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.permissions import staff_required
from customers import forms, segments, selectors
from customers.models import Campaign, CampaignStatus, CustomerMerge, LoyaltyTier, Voucher
from customers.services import campaigns, loyalty, merge, privacy, profile, vouchers
from notifications.consent import consent_record, consent_state
from orders.models import Customer

VIEW = "orders.view_customer"
CRM = "customers.manage_crm"
MARKETING = "customers.manage_marketing"


def _fail(request: HttpRequest, exc: Exception) -> None:
    if isinstance(exc, ValidationError):
        text = " ".join(m for msgs in exc.message_dict.values() for m in msgs) if hasattr(exc, "error_dict") \
            else " ".join(exc.messages)
        messages.error(request, text)
    else:
        messages.error(request, exc.message)


@staff_required(VIEW)
def customer_list(request: HttpRequest) -> HttpResponse:
    q, tag = request.GET.get("q", "").strip()[:100], request.GET.get("tag", "").strip()[:40]
    page = Paginator(selectors.customer_list(search=q, tag=tag), 50).get_page(request.GET.get("page"))
    return render(request, "customers/list.html", {"page": page, "q": q, "tag": tag})


@staff_required(VIEW)
def customer_profile(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = selectors.customer_profile(customer_id=customer_id)
    if customer is None:
        raise Http404
    settings_row = loyalty.loyalty_settings_get()
    return render(request, "customers/profile.html", {
        "customer": customer, "timeline": selectors.customer_timeline(customer_id=customer_id),
        "tags": list(customer.crm_tags.values_list("tag", flat=True)),
        "notes": customer.crm_notes.select_related("author"),
        "consents": consent_state(customer_id=customer_id), "points": loyalty.points_balance(customer_id=customer_id),
        "points_value": loyalty.points_balance(customer_id=customer_id) * settings_row.point_value_amount,
        "tier": loyalty.tier_for(customer_id=customer_id),
        "spend_12m": loyalty.spend_12_months(customer_id=customer_id),
        "vouchers": Voucher.objects.filter(customer=customer).order_by("-created_at")[:20],
        "merges": CustomerMerge.objects.filter(target=customer),
        "tags_form": forms.TagsForm(initial={"tags": ", ".join(customer.crm_tags.values_list("tag", flat=True))}),
        "note_form": forms.NoteForm(), "consent_form": forms.ConsentForm(), "points_form": forms.PointsAdjustForm(),
        "merge_form": forms.MergeForm(), "erase_form": forms.EraseForm(),
    })


@require_POST
@staff_required(VIEW)
def customer_action(request: HttpRequest, customer_id: int, action: str) -> HttpResponse:
    customer = get_object_or_404(Customer, pk=customer_id)
    user = request.user
    needed = {"tags": CRM, "note": CRM, "consent": "notifications.record_consent", "points": MARKETING,
              "merge": CRM, "erase": "customers.erase_customer"}.get(action)
    if needed is None:
        raise Http404
    if not user.has_perm(needed):
        messages.error(request, _("Your role does not allow this."))
        return redirect("customers:profile", customer_id=customer_id)
    form_class = {"tags": forms.TagsForm, "note": forms.NoteForm, "consent": forms.ConsentForm,
                  "points": forms.PointsAdjustForm, "merge": forms.MergeForm, "erase": forms.EraseForm}[action]
    form = form_class(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
        return redirect("customers:profile", customer_id=customer_id)
    data = form.cleaned_data
    try:
        if action == "tags":
            profile.customer_tags_set(customer_id=customer.pk, tags=data["tags"])
        elif action == "note":
            profile.customer_note_add(customer_id=customer.pk, body=data["body"], pinned=data["pinned"], actor=user)
        elif action == "consent":
            consent_record(customer_id=customer.pk, purpose=data["purpose"], granted=data["granted"],
                           source=data["source"], proof=data["proof"], actor=user,
                           ip_address=request.META.get("REMOTE_ADDR") or None)
        elif action == "points":
            loyalty.points_adjust(customer_id=customer.pk, points=data["points"], note=data["note"], actor=user)
        elif action == "merge":
            record = merge.customer_merge(source_id=data["duplicate_id"], target_id=customer.pk, actor=user)
            messages.success(request, _("Merged: %(rows)s rows moved.") % {"rows": sum(record.moved.values())})
        elif action == "erase":
            if data["confirm"].strip() != str(customer.pk):
                raise ValidationError({"confirm": [_("Type the customer's id to confirm.")]})
            privacy.customer_erase(customer_id=customer.pk, actor=user, reason=data["reason"])
            messages.success(request, _("Personal data erased; orders are kept for bookkeeping."))
    except (DomainError, ValidationError) as exc:
        _fail(request, exc)
    return redirect("customers:profile", customer_id=customer_id)


@staff_required(CRM)
def customer_export(request: HttpRequest, customer_id: int) -> HttpResponse:
    try:
        data = privacy.customer_data_export(customer_id=customer_id)
    except DomainError:
        raise Http404 from None
    response = HttpResponse(json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="customer-{customer_id}.json"'
    response["Cache-Control"] = "private, no-store"
    return response


@staff_required(CRM)
def duplicates(request: HttpRequest) -> HttpResponse:
    return render(request, "customers/duplicates.html", {"pairs": selectors.possible_duplicates()})


@staff_required("customers.view_voucher")
def voucher_list(request: HttpRequest) -> HttpResponse:
    form = forms.VoucherForm(request.POST or None)
    if request.method == "POST":
        if not request.user.has_perm(MARKETING):
            raise Http404
        if form.is_valid():
            d = form.cleaned_data
            try:
                voucher = vouchers.voucher_create(
                    kind=d["kind"], code=d["code"], name=d["name"], value_amount=d["value_amount"] or 0,
                    percent=d["percent"] or 0, max_discount_amount=d["max_discount_amount"],
                    min_spend_amount=d["min_spend_amount"] or 0, total_limit=d["total_limit"],
                    per_customer_limit=d["per_customer_limit"], valid_from=d["valid_from"],
                    valid_until=d["valid_until"], actor=request.user)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("Voucher %(code)s created.") % {"code": voucher.code})
                return redirect("customers:vouchers")
    page = Paginator(Voucher.objects.filter(customer__isnull=True, campaign__isnull=True), 50).get_page(
        request.GET.get("page"))
    return render(request, "customers/vouchers.html", {"page": page, "form": form},
                  status=400 if form.errors else 200)


@staff_required(MARKETING)
def loyalty_view(request: HttpRequest) -> HttpResponse:
    row = loyalty.loyalty_settings_get()
    settings_form = forms.LoyaltySettingsForm(
        initial={f: getattr(row, f) for f in forms.LoyaltySettingsForm.base_fields})
    tier_form = forms.TierForm()
    if request.method == "POST" and request.POST.get("form") == "settings":
        settings_form = forms.LoyaltySettingsForm(request.POST)
        if settings_form.is_valid():
            loyalty.loyalty_settings_update(**settings_form.cleaned_data)
            messages.success(request, _("Loyalty settings saved."))
            return redirect("customers:loyalty")
    elif request.method == "POST" and request.POST.get("form") == "tier":
        tier_form = forms.TierForm(request.POST)
        if tier_form.is_valid():
            tier_form.save()
            return redirect("customers:loyalty")
    return render(request, "customers/loyalty.html", {"settings_form": settings_form, "tier_form": tier_form,
                                                      "tiers": LoyaltyTier.objects.all()})


@staff_required("customers.view_campaign")
def campaign_list(request: HttpRequest) -> HttpResponse:
    form = forms.CampaignForm(request.POST or None, sources=segments.segment_sources())
    if request.method == "POST":
        if not request.user.has_perm(MARKETING):
            raise Http404
        if form.is_valid():
            d = form.cleaned_data
            try:
                campaign = campaigns.campaign_create(
                    name=d["name"], channel=d["channel"], body=d["body"], subject=d["subject"],
                    segment_id=d["segment"].pk if d["segment"] else None, segment_filters=form.segment_filters(),
                    voucher_kind=d["voucher_kind"], voucher_value_amount=d["voucher_value_amount"] or 0,
                    voucher_percent=d["voucher_percent"] or 0,
                    voucher_min_spend_amount=d["voucher_min_spend_amount"] or 0,
                    voucher_valid_days=d["voucher_valid_days"], actor=request.user)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                return redirect("customers:campaign", campaign_id=campaign.pk)
    page = Paginator(Campaign.objects.all(), 30).get_page(request.GET.get("page"))
    for campaign in page:
        campaign.results = campaigns.campaign_results(campaign_id=campaign.pk) \
            if campaign.status != CampaignStatus.DRAFT else None
    return render(request, "customers/campaigns.html", {"page": page, "form": form},
                  status=400 if form.errors else 200)


@staff_required("customers.view_campaign")
def campaign_detail(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    return render(request, "customers/campaign.html", {
        "campaign": campaign, "preview": campaigns.campaign_preview(campaign_id=campaign.pk),
        "results": campaigns.campaign_results(campaign_id=campaign.pk),
        "orders": campaigns.campaign_redeemed_orders(campaign_id=campaign.pk)[:50],
        "test_form": forms.TestSendForm(), "now": timezone.now(),
    })


@require_POST
@staff_required(MARKETING)
def campaign_action(request: HttpRequest, campaign_id: int, action: str) -> HttpResponse:
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    try:
        if action == "test":
            form = forms.TestSendForm(request.POST)
            if not form.is_valid():
                raise ValidationError({"recipient": [_("Give a phone number or an e-mail address.")]})
            campaigns.campaign_test_send(campaign_id=campaign.pk, recipient=form.cleaned_data["recipient"])
            messages.success(request, _("Test message queued."))
        elif action == "launch":
            from customers.tasks import campaign_queue_task

            if campaign.status != CampaignStatus.DRAFT:
                raise ValidationError({"status": [_("Only a draft campaign can be launched.")]})
            campaign_queue_task.delay_on_commit(campaign.pk)
            messages.success(request, _("The campaign is being queued; messages go out at the provider's rate."))
        elif action == "cancel":
            campaigns.campaign_cancel(campaign_id=campaign.pk)
        else:
            raise Http404
    except (DomainError, ValidationError) as exc:
        _fail(request, exc)
    return redirect("customers:campaign", campaign_id=campaign_id)
