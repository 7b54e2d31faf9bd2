"""The filters every report takes: a date range (Jakarta days), the comparison, and the dimensions.

Parsed from a query string by one form for the pages, the exports and the API alike, so a bad
value gets the same clear 400 everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MAX_RANGE_DAYS = 3 * 366
GRANULARITIES = ("day", "week", "month")


@dataclass(frozen=True)
class ReportFilters:
    start: date
    end: date  # inclusive
    channel_id: int | None = None
    product_id: int | None = None
    category: str = ""
    warehouse_id: int | None = None
    province: str = ""
    city: str = ""
    granularity: str = "day"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def has_product(self) -> bool:
        return bool(self.product_id or self.category)

    @property
    def has_geo(self) -> bool:
        return bool(self.province or self.city)

    def previous(self) -> ReportFilters:
        """The period of the same length just before."""
        return replace(self, start=self.start - timedelta(days=self.days), end=self.start - timedelta(days=1))

    def last_year(self) -> ReportFilters:
        return replace(self, start=_minus_year(self.start), end=_minus_year(self.end))

    def as_query(self) -> dict[str, str]:
        query = {"start": self.start.isoformat(), "end": self.end.isoformat(), "granularity": self.granularity}
        for name in ("channel_id", "product_id", "warehouse_id"):
            value = getattr(self, name)
            if value:
                query[name.removesuffix("_id")] = str(value)
        for name in ("category", "province", "city"):
            if getattr(self, name):
                query[name] = getattr(self, name)
        return query


def _minus_year(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def today() -> date:
    return timezone.localdate()


class ReportFilterForm(forms.Form):
    start = forms.DateField(required=False, label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    channel = forms.IntegerField(required=False, min_value=1, max_value=2**62, label=_("Channel"))
    product = forms.IntegerField(required=False, min_value=1, max_value=2**62, label=_("Product"))
    category = forms.CharField(required=False, max_length=120, label=_("Category"))
    warehouse = forms.IntegerField(required=False, min_value=1, max_value=2**62, label=_("Warehouse"))
    province = forms.CharField(required=False, max_length=100, label=_("Province"))
    city = forms.CharField(required=False, max_length=100, label=_("City"))
    granularity = forms.ChoiceField(
        required=False, label=_("Group by"),
        choices=[("day", _("Day")), ("week", _("Week")), ("month", _("Month"))],
    )

    def clean(self):
        data = super().clean()
        end = data.get("end") or today()
        start = data.get("start") or end - timedelta(days=29)
        if start > end:
            raise forms.ValidationError(_("The start date is after the end date."))
        if (end - start).days + 1 > MAX_RANGE_DAYS:
            raise forms.ValidationError(
                _("Choose a range of at most %(days)s days.") % {"days": MAX_RANGE_DAYS}
            )
        data["start"], data["end"] = start, end
        for name in ("category", "province", "city"):
            value = data.get(name) or ""
            if "\x00" in value:
                raise forms.ValidationError({name: _("Contains a character that is not allowed.")})
            data[name] = value.strip()
        return data

    def filters(self) -> ReportFilters:
        data = self.cleaned_data
        return ReportFilters(
            start=data["start"], end=data["end"], channel_id=data.get("channel"), product_id=data.get("product"),
            category=data["category"], warehouse_id=data.get("warehouse"), province=data["province"],
            city=data["city"], granularity=data.get("granularity") or "day",
        )


def filters_from_query(query) -> tuple[ReportFilters | None, dict]:
    """(filters, {}) or (None, errors) from a QueryDict or dict."""
    data = {key: query.get(key) for key in ReportFilterForm.base_fields if query.get(key) not in (None, "")}
    for key, value in list(data.items()):
        if isinstance(value, str) and "\x00" in value:
            return None, {key: [str(_("Contains a character that is not allowed."))]}
    form = ReportFilterForm(data)
    if not form.is_valid():
        return None, {k: [str(m) for m in v] for k, v in form.errors.items()}
    return form.filters(), {}
