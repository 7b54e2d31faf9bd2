from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from channels.models import CREDENTIAL_FIELDS, Channel
from core.forms import MoneyField

PLAIN_FIELDS = ("kind", "name", "code", "shop_id", "api_base_url", "callback_url", "is_active",
                "commission_percent", "fixed_fee_amount")


class ChannelForm(forms.Form):
    """Channel settings. Secrets are write-only: the inputs start empty and blank keeps the stored value."""

    kind = forms.ChoiceField(label=_("Platform"), choices=Channel.Kind.choices)
    name = forms.CharField(label=_("Name"), max_length=120)
    code = forms.SlugField(label=_("Code"), max_length=40, help_text=_("Short code used in order numbers."))
    shop_id = forms.CharField(label=_("Shop id"), max_length=128, required=False,
                              help_text=_("The platform's shop or seller id (pushes are matched by it)."))
    api_base_url = forms.URLField(label=_("API base URL"), required=False, assume_scheme="https",
                                  help_text=_("Production, sandbox or a local fake; empty uses the platform default."))
    callback_url = forms.URLField(label=_("Callback URL"), required=False, assume_scheme="https",
                                  help_text=_("The exact webhook URL registered with the platform."))
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    commission_percent = forms.DecimalField(label=_("Commission (%)"), max_digits=5, decimal_places=2, min_value=0,
                                            max_value=100, initial=0)
    fixed_fee_amount = MoneyField(label=_("Fixed fee per order (Rp)"), initial=0)
    clear_credentials = forms.MultipleChoiceField(
        label=_("Remove stored secrets"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=list(CREDENTIAL_FIELDS.items()),
    )

    def __init__(self, *args, stored: list[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        stored = stored or []
        for name, label in CREDENTIAL_FIELDS.items():
            self.fields[f"cred_{name}"] = forms.CharField(
                label=label, required=False, max_length=512, strip=True,
                widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
                help_text=_("Stored — leave empty to keep it.") if name in stored else _("Not set."),
            )
        self.fields["clear_credentials"].choices = [(n, CREDENTIAL_FIELDS[n]) for n in stored]
        if not stored:
            del self.fields["clear_credentials"]
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            elif not isinstance(widget, forms.CheckboxSelectMultiple):
                widget.attrs.setdefault("class", "form-control")

    @staticmethod
    def initial_for(channel: Channel) -> dict:
        return {name: getattr(channel, name) for name in PLAIN_FIELDS}

    def plain_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in PLAIN_FIELDS}

    def credentials(self) -> dict:
        return {name: self.cleaned_data.get(f"cred_{name}", "") for name in CREDENTIAL_FIELDS
                if self.cleaned_data.get(f"cred_{name}")}

    def credential_fields(self):
        return [self[f"cred_{name}"] for name in CREDENTIAL_FIELDS]

    def setting_fields(self):
        return [self[name] for name in PLAIN_FIELDS]
