"""Forms of the CRM pages: they validate, services write."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import MoneyField
from customers.models import Campaign, LoyaltyTier, Segment, Voucher
from notifications.models import ConsentPurpose, ConsentSource
from orders.forms import TagsField, style_form


class _Styled(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_form(self)


class TagsForm(_Styled):
    tags = TagsField(label=_("Tags"))


class NoteForm(_Styled):
    body = forms.CharField(label=_("Note"), max_length=3000, widget=forms.Textarea(attrs={"rows": 2}))
    pinned = forms.BooleanField(label=_("Pin"), required=False)


class ConsentForm(_Styled):
    purpose = forms.ChoiceField(label=_("Purpose"), choices=ConsentPurpose.choices)
    granted = forms.TypedChoiceField(label=_("Answer"), coerce=lambda v: v == "1",
                                     choices=[("1", _("Agrees")), ("0", _("Withdraws"))])
    source = forms.ChoiceField(label=_("Where"), choices=ConsentSource.choices)
    proof = forms.CharField(label=_("Proof (what the customer said or ticked)"), max_length=2000)


class PointsAdjustForm(_Styled):
    points = forms.IntegerField(label=_("Points (+/-)"), min_value=-10**7, max_value=10**7)
    note = forms.CharField(label=_("Reason"), max_length=255)


class MergeForm(_Styled):
    duplicate_id = forms.IntegerField(label=_("Customer id of the duplicate"), min_value=1)


class EraseForm(_Styled):
    confirm = forms.CharField(label=_("Type the customer's id to confirm"), max_length=20)
    reason = forms.CharField(label=_("Reason (e.g. the customer's request)"), max_length=500)


class VoucherForm(_Styled):
    code = forms.CharField(label=_("Code (empty: generated)"), max_length=40, required=False)
    name = forms.CharField(label=_("Name"), max_length=120, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=Voucher.Kind.choices)
    value_amount = MoneyField(label=_("Amount off"), required=False)
    percent = forms.DecimalField(label=_("Percent off"), required=False, min_value=0, max_value=100, decimal_places=2)
    max_discount_amount = MoneyField(label=_("At most (percent)"), required=False)
    min_spend_amount = MoneyField(label=_("Minimum spend"), required=False)
    total_limit = forms.IntegerField(label=_("Total uses (empty: no limit)"), required=False, min_value=1)
    per_customer_limit = forms.IntegerField(label=_("Uses per customer"), required=False, min_value=1, initial=1)
    valid_from = forms.DateTimeField(label=_("Valid from"), required=False,
                                     widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    valid_until = forms.DateTimeField(label=_("Valid until"), required=False,
                                      widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))


class LoyaltySettingsForm(_Styled):
    is_enabled = forms.BooleanField(label=_("Loyalty programme on"), required=False)
    rupiah_per_point = forms.IntegerField(label=_("Rupiah spent per point"), min_value=1)
    point_value_amount = forms.IntegerField(label=_("Rupiah off per point"), min_value=1)
    expiry_months = forms.IntegerField(label=_("Points expire after (months)"), min_value=1, max_value=120)
    min_redeem_points = forms.IntegerField(label=_("Minimum points per redemption"), min_value=1)
    max_redeem_percent = forms.IntegerField(label=_("At most this percentage of the items paid with points"),
                                            min_value=1, max_value=100)


class TierForm(forms.ModelForm):
    min_spend_amount = MoneyField(label=_("12-month spend from"))

    class Meta:
        model = LoyaltyTier
        fields = ["name", "min_spend_amount", "earn_multiplier", "benefits"]
        widgets = {"benefits": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_form(self)


class CampaignForm(_Styled):
    name = forms.CharField(label=_("Name"), max_length=120)
    channel = forms.ChoiceField(label=_("Send by"), choices=[("whatsapp", "WhatsApp"), ("email", _("E-mail"))])
    segment = forms.ModelChoiceField(label=_("Saved segment"), queryset=Segment.objects.all(), required=False)
    inactive_days = forms.IntegerField(label=_("No order for at least (days)"), required=False, min_value=1)
    min_orders = forms.IntegerField(label=_("At least this many orders"), required=False, min_value=1)
    min_spend = MoneyField(label=_("Lifetime spend from"), required=False)
    tags = TagsField(label=_("With any of these tags"))
    customer_list = forms.ChoiceField(label=_("Customer list"), required=False)
    subject = forms.CharField(label=_("E-mail subject"), max_length=200, required=False)
    body = forms.CharField(label=_("Message"), max_length=2000, widget=forms.Textarea(attrs={"rows": 5}),
                           initial="Halo {{ name }}, kami kangen! Pakai voucher {{ voucher_code }} "
                                   "({{ voucher_value }}) sampai {{ valid_until }}. "
                                   "Berhenti menerima promo: {{ unsubscribe_link }}")
    voucher_kind = forms.ChoiceField(label=_("Personal voucher"), required=False,
                                     choices=[("", _("No voucher")), *Voucher.Kind.choices])
    voucher_value_amount = MoneyField(label=_("Amount off"), required=False)
    voucher_percent = forms.DecimalField(label=_("Percent off"), required=False, min_value=0, max_value=100)
    voucher_min_spend_amount = MoneyField(label=_("Minimum spend"), required=False)
    voucher_valid_days = forms.IntegerField(label=_("Voucher valid for (days)"), min_value=1, max_value=365,
                                            initial=14)

    def __init__(self, *args, sources=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer_list"].choices = [("", "-"), *sources]

    def segment_filters(self) -> dict:
        data = self.cleaned_data
        filters = {key: data[key] for key in ("inactive_days", "min_orders", "min_spend") if data.get(key)}
        if data.get("tags"):
            filters["tags"] = data["tags"]
        if data.get("customer_list"):
            filters["list"] = data["customer_list"]
        return filters


class TestSendForm(_Styled):
    recipient = forms.CharField(label=_("Send a test to (your phone or e-mail)"), max_length=254)


CampaignStatusChoices = Campaign._meta.get_field("status").choices
