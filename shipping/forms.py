"""Forms of the shipping pages: they validate and say what is wrong; services write."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import MoneyField
from orders.forms import style_form
from shipping.models import (
    Courier,
    CourierService,
    PackagePreset,
    Shipment,
    ShipmentDirection,
    ShipmentStatus,
    ShippingAccount,
    ShippingSettings,
)
from shipping.services import shipments as svc
from shipping.services.rate_import import MAX_FILE_BYTES

S = ShipmentStatus


class ErrorTextMixin:
    def error_text(self) -> str:
        parts = []
        for field, errors in self.errors.items():
            label = self.fields[field].label if field in self.fields else ""
            parts.append(f"{label}: {' '.join(errors)}" if label else " ".join(errors))
        return " ".join(str(p) for p in parts)


class StyledForm(ErrorTextMixin, forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_form(self, small=True)


class PackFinishForm(StyledForm):
    preset = forms.ModelChoiceField(label=_("Package"), queryset=PackagePreset.objects.filter(is_active=True),
                                    required=False)
    weight_grams = forms.IntegerField(label=_("Weight (grams)"), min_value=1, max_value=1_000_000)
    length_cm = forms.IntegerField(label=_("Length (cm)"), min_value=0, max_value=1000, required=False)
    width_cm = forms.IntegerField(label=_("Width (cm)"), min_value=0, max_value=1000, required=False)
    height_cm = forms.IntegerField(label=_("Height (cm)"), min_value=0, max_value=1000, required=False)
    photo = forms.ImageField(label=_("Photo of the packed parcel"), required=False)


class ShipmentFilterForm(StyledForm):
    q = forms.CharField(label=_("Resi, order or shipment"), required=False, max_length=100)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("All")), *S.choices])
    courier = forms.ChoiceField(label=_("Courier"), required=False)
    queue = forms.ChoiceField(label=_("Queue"), required=False, choices=[
        ("", _("All")), ("to_hand_over", _("To hand over today")), ("at_risk", _("At risk")), ("late", _("Late")),
        ("stale_tracking", _("No tracking update")), ("failed_delivery", _("Delivery exceptions")),
        ("rts", _("Returns to sender")), ("disputes", _("Weight disputes"))])
    direction = forms.ChoiceField(label=_("Direction"), required=False,
                                  choices=[("", _("All")), *ShipmentDirection.choices])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["courier"].choices = [("", _("All")), *Courier.objects.values_list("code", "name")]


class ResiForm(StyledForm):
    courier = forms.ModelChoiceField(label=_("Courier"), queryset=Courier.objects.filter(is_active=True),
                                     required=False)
    tracking_number = forms.CharField(label=_("Resi"), max_length=64)


STATUS_SERVICES = {
    S.IN_TRANSIT: svc.shipment_mark_in_transit,
    S.OUT_FOR_DELIVERY: svc.shipment_mark_out_for_delivery,
    S.DELIVERED: svc.shipment_mark_delivered,
    S.ON_HOLD: svc.shipment_put_on_hold,
    S.FAILED_DELIVERY: svc.shipment_mark_failed_delivery,
    S.RETURNING_TO_SENDER: svc.shipment_mark_returning,
    S.RETURNED: svc.shipment_mark_returned,
    S.LOST: svc.shipment_mark_lost,
}


class StatusForm(StyledForm):
    status = forms.ChoiceField(label=_("New status"))
    note = forms.CharField(label=_("What the courier said"), max_length=500, required=False)

    def __init__(self, *args, shipment: Shipment, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = shipment.__class__ and [s for s in STATUS_SERVICES if shipment.can_transition_to(s)]
        self.fields["status"].choices = [(s, S(s).label) for s in allowed]


class ReasonForm(StyledForm):
    reason = forms.CharField(label=_("Reason"), max_length=255)


class DisputeForm(StyledForm):
    charged_amount = MoneyField(label=_("Charged by the courier"), min_value=1)
    charged_weight_grams = forms.IntegerField(label=_("Charged weight (grams)"), min_value=0, required=False)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class BookForm(StyledForm):
    account = forms.ModelChoiceField(label=_("Aggregator account"),
                                     queryset=ShippingAccount.objects.filter(is_active=True))
    service = forms.ModelChoiceField(label=_("Courier service"),
                                     queryset=CourierService.objects.filter(is_active=True).select_related("courier"))
    price = MoneyField(label=_("Quoted price"), required=False)
    area_id = forms.CharField(label=_("Destination area id (Biteship)"), max_length=60, required=False)
    kecamatan_id = forms.CharField(label=_("Destination kecamatan id (KiriminAja)"), max_length=20, required=False)

    def __init__(self, *args, shipment: Shipment, **kwargs):
        super().__init__(*args, **kwargs)
        if shipment.service_id:
            self.fields["service"].initial = shipment.service_id


class RateImportForm(StyledForm):
    name = forms.CharField(label=_("Table name"), max_length=120)
    origin_city = forms.CharField(label=_("Sent from (city)"), max_length=100)
    file = forms.FileField(label=_("CSV or XLSX file"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        return upload


class ServiceForm(ErrorTextMixin, forms.ModelForm):
    class Meta:
        model = CourierService
        fields = ["volumetric_divisor", "min_weight_grams", "rounding_threshold_grams", "cod_available",
                  "insurance_available", "etd_min_days", "etd_max_days", "is_active"]


class SettingsForm(ErrorTextMixin, forms.ModelForm):
    class Meta:
        model = ShippingSettings
        fields = ["sender_name", "sender_phone", "origin_address", "origin_city", "origin_province",
                  "origin_postal_code", "cutoff_time", "at_risk_hours", "stale_tracking_days", "poll_after_hours",
                  "complete_after_days", "label_format", "alert_recipients"]
        widgets = {"origin_address": forms.Textarea(attrs={"rows": 2}), "cutoff_time": forms.TimeInput(
            attrs={"type": "time"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_form(self)
