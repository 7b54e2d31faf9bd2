"""Forms of the after-sales pages (staff) and of the customer's order page. They validate; services write."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from aftersales.models import (
    CaseCategory,
    CaseChannel,
    CaseKind,
    CasePriority,
    Resolution,
    ReturnOutcome,
    ReturnShippingPayer,
    ReviewSource,
    ReviewStatus,
    SlaPolicy,
)
from core.forms import MoneyField
from orders.forms import style_form


class _Styled(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_form(self)


class CaseCreateForm(_Styled):
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(label=_("What happened"), max_length=5000, required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    kind = forms.ChoiceField(label=_("Kind"), choices=CaseKind.choices, initial=CaseKind.COMPLAINT)
    category = forms.ChoiceField(label=_("Category"), choices=CaseCategory.choices)
    priority = forms.ChoiceField(label=_("Priority"), choices=CasePriority.choices, initial=CasePriority.NORMAL)
    channel = forms.ChoiceField(label=_("Came in through"), choices=CaseChannel.choices, initial=CaseChannel.WHATSAPP)
    order_number = forms.CharField(label=_("Order number"), max_length=40, required=False)
    customer_id = forms.IntegerField(label=_("Customer id"), required=False, min_value=1)


def _staff_choices():
    users = get_user_model().objects.filter(is_active=True).order_by("username")
    return [("", _("Nobody")), *[(u.pk, u.get_full_name() or u.get_username()) for u in users]]


class ReplyForm(_Styled):
    body = forms.CharField(label=_("Message"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    wait_for_customer = forms.BooleanField(label=_("Wait for the customer's answer (pauses the SLA)"), required=False)


class NoteForm(_Styled):
    body = forms.CharField(label=_("Internal note"), max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))


class AssignForm(_Styled):
    assignee = forms.TypedChoiceField(label=_("Assignee"), coerce=int, empty_value=None, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = _staff_choices()


class ResolveForm(_Styled):
    resolution = forms.ChoiceField(label=_("Resolution"), choices=Resolution.choices)
    note = forms.CharField(label=_("Note / reason"), max_length=2000, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))
    voucher_amount = MoneyField(label=_("Voucher amount"), required=False)


class ReasonForm(_Styled):
    reason = forms.CharField(label=_("Reason"), max_length=2000)


class PhotoForm(forms.Form):
    photo = forms.FileField(label=_("Photo"), required=False)
    video_url = forms.URLField(label=_("Video link (unboxing)"), required=False, max_length=500, assume_scheme="https")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_form(self)
        self.fields["photo"].widget.attrs["accept"] = "image/jpeg,image/png,image/webp,image/gif"


class ShipBackForm(_Styled):
    courier = forms.CharField(label=_("Courier"), max_length=60)
    tracking_number = forms.CharField(label=_("Tracking number (resi)"), max_length=64)


class CompleteReturnForm(_Styled):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=ReturnOutcome.choices)
    amount = MoneyField(label=_("Refund or voucher amount"), required=False,
                         help_text=_("Empty: the value of the returned items."))
    note = forms.CharField(label=_("Note"), max_length=2000, required=False)


class ReturnPolicyForm(_Styled):
    window_working_days = forms.IntegerField(label=_("Return window (working days after delivery)"), min_value=2,
                                             max_value=365)
    conditions = forms.CharField(label=_("Conditions shown to customers"), max_length=3000, required=False,
                                 widget=forms.Textarea(attrs={"rows": 3}))
    shipping_paid_by = forms.ChoiceField(label=_("Return shipping is paid by"), choices=ReturnShippingPayer.choices)
    requires_photo = forms.BooleanField(label=_("A photo is required"), required=False)
    return_address = forms.CharField(label=_("Return address"), max_length=1000, required=False,
                                     widget=forms.Textarea(attrs={"rows": 2}))


class SlaPolicyForm(forms.ModelForm):
    class Meta:
        model = SlaPolicy
        fields = ["name", "category", "priority", "first_response_minutes", "resolution_minutes", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_form(self)


class ReviewReplyForm(_Styled):
    reply = forms.CharField(label=_("Reply"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class ReviewModerateForm(forms.Form):
    status = forms.ChoiceField(choices=[(ReviewStatus.PUBLISHED, _("Publish")), (ReviewStatus.HIDDEN, _("Hide"))])


class ReviewImportForm(_Styled):
    source = forms.ChoiceField(label=_("Marketplace"),
                               choices=[c for c in ReviewSource.choices if c[0] != ReviewSource.OWN])
    file = forms.FileField(label=_("CSV file"))


# --- The customer's order page --------------------------------------------------------------


class CustomerComplaintForm(_Styled):
    category = forms.ChoiceField(label=_("What is the problem?"),
                                 choices=[c for c in CaseCategory.choices if c[0] != CaseCategory.WARRANTY])
    description = forms.CharField(label=_("Tell us what happened"), max_length=3000,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    photo = forms.FileField(label=_("Photo (optional)"), required=False)
    video_url = forms.URLField(label=_("Unboxing video link (optional)"), required=False, max_length=500,
                               assume_scheme="https")


class CustomerReturnForm(_Styled):
    reason = forms.ChoiceField(label=_("Reason"), choices=[c for c in CaseCategory.choices
                                                           if c[0] in ("damaged", "wrong_item", "missing_item",
                                                                       "quality", "other")])
    requested_outcome = forms.ChoiceField(label=_("What would you like?"), choices=ReturnOutcome.choices)
    description = forms.CharField(label=_("Tell us what happened"), max_length=3000,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    photo = forms.FileField(label=_("Photo"), required=False)

    def __init__(self, *args, order=None, left=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_lines = []
        for line in (order.lines.all() if order is not None else []):
            n = (left or {}).get(line.pk, 0)
            if n <= 0:
                continue
            name = f"qty_{line.pk}"
            self.fields[name] = forms.IntegerField(label=line.name or line.sku, min_value=0, max_value=n, initial=0,
                                                   required=False)
            self.fields[name].widget.attrs["class"] = "form-control form-control-sm w-25"
            self.order_lines.append((line, name))

    def line_fields(self):
        return [(line, self[name]) for line, name in self.order_lines]

    def clean(self):
        data = super().clean()
        data["lines"] = [(line.pk, data.get(name) or 0) for line, name in self.order_lines if data.get(name)]
        if not data["lines"]:
            raise forms.ValidationError(_("Choose at least one item to return."))
        return data


class CustomerMessageForm(_Styled):
    body = forms.CharField(label=_("Your message"), max_length=3000, widget=forms.Textarea(attrs={"rows": 2}))
    photo = forms.FileField(label=_("Photo (optional)"), required=False)


class SurveyForm(forms.Form):
    score = forms.IntegerField(min_value=0, max_value=10)
    comment = forms.CharField(max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class WarrantyClaimForm(_Styled):
    order_number = forms.CharField(label=_("Order number"), max_length=40)
    sku = forms.CharField(label=_("SKU"), max_length=64)
    serial_number = forms.CharField(label=_("Serial number"), max_length=80)
    problem = forms.CharField(label=_("Describe the problem."), max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 2}))


class ProductWarrantyForm(_Styled):
    sku = forms.CharField(label=_("SKU of the product"), max_length=64)
    months = forms.IntegerField(label=_("Warranty (months)"), min_value=1, max_value=120)
    terms = forms.CharField(label=_("Terms"), max_length=2000, required=False)
