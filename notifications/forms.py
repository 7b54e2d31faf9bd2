from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from notifications import rendering
from notifications.models import Notification, NotificationChannel, NotificationEvent, NotificationTemplate


def _blank(choices) -> list:
    return [("", _("All")), *choices]


class NotificationFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=_blank(Notification.Status.choices), required=False)
    channel = forms.ChoiceField(label=_("Channel"), choices=_blank(NotificationChannel.choices), required=False)
    event = forms.ChoiceField(label=_("Event"), choices=_blank(NotificationEvent.choices), required=False)
    q = forms.CharField(label=_("Order number or recipient"), max_length=100, required=False)


class TemplateForm(forms.ModelForm):
    """Edit a template; both parts must compile in the sandbox and render against a sample order."""

    class Meta:
        model = NotificationTemplate
        fields = ["subject", "body", "is_active"]
        widgets = {
            "subject": forms.TextInput(attrs={"class": "form-control"}),
            "body": forms.Textarea(attrs={"class": "form-control font-monospace", "rows": 16}),
            "is_active": forms.CheckboxInput(attrs={"class": "form-check-input"}),
        }

    def __init__(self, *args, sample_context: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.sample_context = sample_context
        if self.instance.channel != NotificationChannel.EMAIL:
            self.fields["subject"].disabled = True
            self.fields["subject"].help_text = _("Only e-mail messages have a subject.")

    def _check(self, field: str) -> str:
        value = self.cleaned_data.get(field) or ""
        try:
            rendering.validate_template(value)
        except rendering.TemplateError as exc:
            raise forms.ValidationError(_("This template has an error: %(error)s"), params={"error": exc},
                                        code="template_syntax") from None
        return value

    def clean_subject(self) -> str:
        return self._check("subject")

    def clean_body(self) -> str:
        return self._check("body")

    def clean(self):
        cleaned = super().clean()
        if self.errors or self.sample_context is None:
            return cleaned
        try:
            rendering.render(subject=cleaned.get("subject") or "", body=cleaned.get("body") or "",
                             context=self.sample_context, language=self.instance.language)
        except rendering.TemplateError as exc:
            self.add_error("body", forms.ValidationError(
                _("This template does not render: %(error)s"), params={"error": exc}, code="template_render"
            ))
        return cleaned
