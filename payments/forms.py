from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import MoneyField
from payments.models import OVERPAID_DECISIONS, UNDERPAID_DECISIONS, BankAccount, MatchDecision, Refund, StatementImport


class ProofUploadForm(forms.Form):
    file = forms.FileField(label=_("Photo or PDF of the transfer"))
    sender_name = forms.CharField(label=_("Account holder name"), max_length=120, required=False)
    sender_bank = forms.CharField(label=_("Bank"), max_length=60, required=False)
    declared_amount = MoneyField(label=_("Amount transferred (Rp)"), min_value=1, required=False)


class StatementUploadForm(forms.Form):
    file = forms.FileField(label=_("Statement file (CSV or Excel)"))
    format = forms.ChoiceField(label=_("Format"), choices=StatementImport.Format.choices)
    bank_account = forms.ModelChoiceField(label=_("Account"), queryset=BankAccount.objects.all(), required=False)
    date_column = forms.CharField(label=_("Date column"), required=False)
    description_column = forms.CharField(label=_("Description column"), required=False)
    amount_column = forms.CharField(label=_("Amount column (signed or with CR/DB)"), required=False)
    credit_column = forms.CharField(label=_("Credit column"), required=False)
    debit_column = forms.CharField(label=_("Debit column"), required=False)

    def mapping(self) -> dict:
        data = self.cleaned_data
        keys = {"date": "date_column", "description": "description_column", "amount": "amount_column",
                "credit": "credit_column", "debit": "debit_column"}
        return {key: data[field].strip() for key, field in keys.items() if data.get(field, "").strip()}


class DecisionForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    received_amount = MoneyField(label=_("Amount received (Rp)"), min_value=1, required=False)
    line = forms.IntegerField(required=False, widget=forms.HiddenInput)


class RefundForm(forms.Form):
    amount = MoneyField(label=_("Amount (Rp)"), min_value=1)
    kind = forms.ChoiceField(label=_("Linked to"), choices=Refund.Kind.choices)
    reference = forms.CharField(label=_("Return or cancellation reference"), max_length=64, required=False)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class SettlementUploadForm(forms.Form):
    file = forms.FileField(label=_("Settlement report (CSV)"))
    channel = forms.ModelChoiceField(label=_("Channel"), queryset=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from channels.models import Channel

        self.fields["channel"].queryset = Channel.objects.filter(kind__in=list(Channel.MARKETPLACE_KINDS))


class CodUploadForm(forms.Form):
    file = forms.FileField(label=_("Courier remittance (CSV)"))
    courier = forms.CharField(label=_("Courier"), max_length=60)
    reference = forms.CharField(label=_("Remittance reference"), max_length=80, required=False)
    remitted_on = forms.DateField(label=_("Remitted on"), widget=forms.DateInput(attrs={"type": "date"}))


class MatchDifferenceForm(forms.Form):
    """Finance's choice when a credit matched by hand differs from what the payment expects."""

    decision = forms.ChoiceField(
        label=_("What to do with the difference"), widget=forms.RadioSelect,
        error_messages={"required": _("Choose what to do with the difference."),
                        "invalid_choice": _("Choose what to do with the difference.")},
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Give a reason for the difference.")},
    )

    def __init__(self, *args, difference: int, can_accept_short: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.difference = difference
        self.can_accept_short = can_accept_short
        allowed = OVERPAID_DECISIONS if difference > 0 else UNDERPAID_DECISIONS
        self.fields["decision"].choices = [(d.value, d.label) for d in allowed]

    def clean_decision(self) -> str:
        decision = self.cleaned_data["decision"]
        if decision == MatchDecision.ACCEPT_PAID and not self.can_accept_short:
            raise forms.ValidationError(_("Only Finance may accept a short payment as paid."))
        return decision
