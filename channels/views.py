"""Dashboard pages for sales channels: list with health, create/edit (secrets write-only).

Sync now and the webhook delivery log of a channel are marketplaces.views."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from channels import forms, selectors, services
from channels.models import Channel
from core.permissions import staff_required


def _form_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@staff_required("channels.view_channel")
def channel_list(request: HttpRequest) -> HttpResponse:
    channels = selectors.channel_list()
    problems = request.GET.get("health") == "problems"
    if problems:
        channels = channels.filter(is_active=True).filter(Q(sync_failures__gt=0) | Q(deliveries_failed_day__gt=0))
    return render(request, "channels/channel_list.html", {
        "channels": channels, "problems": problems, "stage_key": "settings",
    })


def _save(request: HttpRequest, form: forms.ChannelForm, channel: Channel | None) -> Channel | None:
    try:
        if channel is None:
            return services.channel_create(credentials=form.credentials(), **form.plain_data())
        with transaction.atomic():
            if form.cleaned_data.get("clear_credentials"):
                services.channel_credentials_clear(channel_id=channel.pk, names=form.cleaned_data["clear_credentials"])
            return services.channel_update(channel_id=channel.pk, credentials=form.credentials(), **form.plain_data())
    except ValidationError as exc:
        _form_errors(form, exc)
        return None


@staff_required("channels.add_channel")
def channel_create(request: HttpRequest) -> HttpResponse:
    form = forms.ChannelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        channel = _save(request, form, None)
        if channel is not None:
            messages.success(request, _("Channel %(name)s created.") % {"name": channel.name})
            return redirect("channels:list")
    return render(request, "channels/channel_form.html", {
        "form": form, "title": _("New channel"), "stage_key": "settings",
    })


@staff_required("channels.change_channel")
def channel_edit(request: HttpRequest, channel_id: int) -> HttpResponse:
    channel = get_object_or_404(Channel, pk=channel_id)
    form = forms.ChannelForm(request.POST or None, initial=forms.ChannelForm.initial_for(channel),
                             stored=channel.credentials_set)
    if request.method == "POST" and form.is_valid():
        saved = _save(request, form, channel)
        if saved is not None:
            messages.success(request, _("Channel %(name)s saved.") % {"name": saved.name})
            return redirect("channels:list")
    return render(request, "channels/channel_form.html", {
        "form": form, "channel": channel, "title": _("Edit %(name)s") % {"name": channel.name},
        "stage_key": "settings",
    })
