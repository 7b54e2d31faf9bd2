"""Forms for the seller's report inputs. Money is typed the Indonesian way (core.forms.MoneyField)."""

from __future__ import annotations

import re
from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from analytics.models import ChangeLogEntry
from core.forms import MoneyField

MAX_UPLOAD_BYTES = 2 * 1024 * 1024


def _channel_field(required=True):
    from channels.models import Channel

    return forms.ModelChoiceField(queryset=Channel.objects.order_by("name"), required=required, label=_("Channel"))


def _product_field():
    from catalog.models import Product

    return forms.ModelChoiceField(queryset=Product.objects.order_by("name"), required=False, label=_("Product"),
                                  empty_label=_("Whole shop"))


class VisitsForm(forms.Form):
    day = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    visits = forms.IntegerField(min_value=0, max_value=10**9, label=_("Visits"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields = {"channel": _channel_field(), "product": _product_field(), **self.fields}


class VisitsImportForm(forms.Form):
    file = forms.FileField(label=_("CSV file (date, channel code, visits[, SKU or product id])"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 2 MB."))
        return upload


class SpendForm(forms.Form):
    month = forms.CharField(label=_("Month (YYYY-MM)"), max_length=7, widget=forms.TextInput(attrs={"type": "month"}))
    amount = MoneyField(label=_("Amount"))
    note = forms.CharField(label=_("Note"), max_length=255, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields = {"channel": _channel_field(), **self.fields}

    def clean_month(self):
        raw = self.cleaned_data["month"].strip()
        match = re.fullmatch(r"(\d{4})-(\d{2})", raw)
        if not match or not 1 <= int(match.group(2)) <= 12 or not 2000 <= int(match.group(1)) <= 2100:
            raise forms.ValidationError(_("Give the month as YYYY-MM, e.g. 2026-05."))
        return date(int(match.group(1)), int(match.group(2)), 1)


class ChangeForm(forms.Form):
    day = forms.DateField(label=_("Date of the change"), widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(choices=ChangeLogEntry.Kind.choices, label=_("Kind"))
    title = forms.CharField(max_length=200, label=_("What changed"))
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), label=_("Details"))
    window_days = forms.IntegerField(min_value=1, max_value=90, initial=14, label=_("Compare over (days)"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields = {**self.fields, "channel": _channel_field(required=False), "product": _product_field()}
