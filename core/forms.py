from __future__ import annotations

import re
from datetime import time

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core import validators
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.deadlines import validate_intervals
from core.models import CalendarClosure, WorkingHours
from core.money import MAX_AMOUNT, MAX_AMOUNT_TEXT, AmountError, parse_idr


class LoginForm(AuthenticationForm):
    """Django's login form with the dashboard's input styling."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control")


class MoneyField(forms.Field):
    """Whole rupiah typed the way people type it, read by core.money.parse_idr.

    "89.000", "89000", "Rp 89.000", "Rp89.000,00" and "89,000.00" are all Rp 89.000; text that
    can be read two ways ("89.5") or carries sen is refused with a message, never shrunk a
    thousand times. Cleans to an int (or None when empty and not required). Bounds default to
    0..core.money.MAX_AMOUNT; pass min_value / max_value to narrow them.
    """

    widget = forms.TextInput

    def __init__(self, *, min_value: int | None = 0, max_value: int | None = MAX_AMOUNT, **kwargs):
        self.min_value, self.max_value = min_value, max_value
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        if isinstance(widget, forms.TextInput) and not isinstance(widget, forms.HiddenInput):
            # A text box (not type=number, which refuses "89.000" in some browsers and locales).
            attrs.update({"inputmode": "decimal", "autocomplete": "off", "maxlength": str(MAX_AMOUNT_TEXT),
                          "data-money": ""})
        return attrs

    def to_python(self, value):
        if value in self.empty_values or (isinstance(value, str) and not value.strip()):
            return None
        try:
            return parse_idr(value, min_amount=self.min_value, max_amount=self.max_value)
        except AmountError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from None

    def prepare_value(self, value):
        """An amount shown back in the box grouped the Indonesian way (89.000), which reads back the same."""
        if isinstance(value, int) and not isinstance(value, bool):
            return f"{value:,}".replace(",", ".")
        return value


# Upper bounds of typed whole numbers. Without one, a model's BigIntegerField lets Django answer
# "Ensure this value is less than or equal to 9223372036854775807."
QUANTITY_MAX = 100_000  # pieces in one line, one receipt, one count
WEIGHT_MAX_GRAMS = 1_000_000  # one tonne
NUMBER_MAX = 1_000_000_000  # any other count, setting or limit


def _default_limit(name: str) -> int:
    if "weight" in name or name.endswith("_grams"):
        return WEIGHT_MAX_GRAMS
    if "quantity" in name or name in {"qty", "quantity_change"}:
        return QUANTITY_MAX
    return NUMBER_MAX


def bound_numbers(form: forms.BaseForm, *, limits: dict[str, int] | None = None) -> None:
    """Give every whole-number field of `form` an upper bound and human messages for its bounds.

    The bound is `limits[name]`, else the field's own max_value when it has a smaller one, else
    QUANTITY_MAX for quantities, WEIGHT_MAX_GRAMS for weights in grams, NUMBER_MAX for the rest.
    The messages name the limit grouped the reader's way ("paling besar 100.000"), never Django's
    "Ensure this value is less than or equal to ...". Money fields (MoneyField) carry their own.
    """
    from core.formatting import number

    limits = limits or {}
    for name, field in form.fields.items():
        if not isinstance(field, forms.IntegerField):
            continue
        limit = limits.get(name) or _default_limit(name)
        if field.max_value is not None and name not in limits:
            limit = min(limit, field.max_value)
        field.max_value = limit
        field.validators = [v for v in field.validators if not isinstance(v, validators.MaxValueValidator)]
        field.validators.append(validators.MaxValueValidator(limit))
        field.widget.attrs["max"] = str(limit)
        field.error_messages["max_value"] = gettext("Enter a number no larger than %(limit)s.") % {
            "limit": number(limit)}
        if field.min_value is not None:
            field.error_messages["min_value"] = gettext("Enter a number no smaller than %(limit)s.") % {
                "limit": number(field.min_value)}


_INTERVAL = re.compile(r"^(\d{1,2})[:.](\d{2})\s*[-\u2013\u2014]\s*(\d{1,2})[:.](\d{2})$")
MAX_INTERVALS_PER_DAY = 8


def format_intervals(intervals) -> str:
    return ", ".join(f"{opens:%H:%M}-{closes:%H:%M}" for opens, closes in intervals)


class IntervalsField(forms.CharField):
    """One day's opening hours typed as "08:00-12:00, 13:00-17:00" (dots work too: 08.00-12.00).

    Empty means closed that day.
    """

    max_text_length = 200

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        return {**super().widget_attrs(widget), "maxlength": str(self.max_text_length)}

    def to_python(self, value) -> list[tuple[time, time]]:
        text = super().to_python(value).strip()
        if not text:
            return []
        if len(text) > self.max_text_length:
            raise forms.ValidationError(_("At most %(limit_value)d characters."),
                                        params={"limit_value": self.max_text_length}, code="max_length")
        parts = [part.strip() for part in re.split(r"[,;\n]", text) if part.strip()]
        if len(parts) > MAX_INTERVALS_PER_DAY:
            raise forms.ValidationError(_("At most %(n)s intervals a day."), params={"n": MAX_INTERVALS_PER_DAY},
                                        code="too_many")
        intervals = []
        for part in parts:
            match = _INTERVAL.match(part)
            try:
                if match is None:
                    raise ValueError(part)
                h1, m1, h2, m2 = (int(group) for group in match.groups())
                intervals.append((time(h1, m1), time(h2, m2)))
            except ValueError:
                raise forms.ValidationError(
                    _("%(part)s is not an interval like 08:00-12:00."), params={"part": part[:40]}, code="format"
                ) from None
        try:
            return list(validate_intervals(intervals))
        except ValueError:
            raise forms.ValidationError(
                _("Each interval must open before it closes, and the intervals of one day must not overlap."),
                code="intervals",
            ) from None

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return format_intervals(value)
        return value


class WorkingHoursForm(forms.Form):
    weekday = forms.TypedChoiceField(choices=WorkingHours.Weekday.choices, coerce=int, widget=forms.HiddenInput)
    intervals = IntervalsField(
        label=_("Working hours"),
        # Empty means closed; the page explains the format once, below the week.
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm", "placeholder": _("Closed")}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Seven of these forms share a page: ids carry the weekday (hours-0-intervals).
        weekday = str(self.data.get("weekday") if self.is_bound else self.initial.get("weekday", ""))
        self.auto_id = f"hours-{weekday if weekday in '0123456' and len(weekday) == 1 else 'x'}-%s"


class CalendarClosureForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date", "class": "form-control"},
                                                                      format="%Y-%m-%d"))
    kind = forms.ChoiceField(label=_("Kind"), choices=CalendarClosure.Kind.choices,
                             widget=forms.Select(attrs={"class": "form-select"}))
    name = forms.CharField(label=_("Name"), max_length=120, widget=forms.TextInput(attrs={"class": "form-control"}))
    note = forms.CharField(label=_("Note"), max_length=1000, required=False,
                           widget=forms.TextInput(attrs={"class": "form-control"}))

    def clean_date(self):
        day = self.cleaned_data["date"]
        if not 2000 <= day.year <= 2100:
            raise forms.ValidationError(_("Choose a date between 2000 and 2100."), code="range")
        return day


class CalendarYearForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100, required=False)
