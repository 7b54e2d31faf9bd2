from django import forms
from django.utils.translation import gettext_lazy as _


class ReviseForm(forms.Form):
    title = forms.CharField(max_length=200, label=_("Title"))
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 10}), max_length=20_000,
                           label=_("Procedure (one instruction per line)"))
    change_summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000,
                                     label=_("What changed and why"))


class RangeForm(forms.Form):
    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}), label=_("From"))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}), label=_("To"))

    def clean(self):
        from datetime import timedelta

        from django.utils import timezone

        data = super().clean()
        end = data.get("end") or timezone.localdate()
        start = data.get("start") or end - timedelta(days=27)
        if start > end:
            raise forms.ValidationError(_("The start date is after the end date."))
        if (end - start).days > 366:
            raise forms.ValidationError(_("Choose a range of at most one year."))
        data["start"], data["end"] = start, end
        return data
