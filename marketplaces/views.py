"""Dashboard pages of a marketplace channel: sync now, and its webhook delivery log with retry."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from channels import selectors
from channels.models import Channel
from core.models import InboundDelivery
from core.permissions import staff_required
from marketplaces import services, tasks


@require_POST
@staff_required("channels.sync_channel")
def channel_sync_now(request: HttpRequest, channel_id: int) -> HttpResponse:
    channel = get_object_or_404(Channel, pk=channel_id)
    if not channel.is_marketplace or not channel.is_active:
        messages.warning(request, _("Only active marketplace channels can sync."))
    else:
        tasks.channel_sync.delay_on_commit(channel.pk)
        messages.success(request, _("Sync of %(name)s started. Refresh in a moment to see the result.")
                         % {"name": channel.name})
    return redirect("channels:list")


@staff_required("channels.view_channel", "core.view_inbounddelivery")
def delivery_list(request: HttpRequest, channel_id: int) -> HttpResponse:
    channel = get_object_or_404(Channel, pk=channel_id)
    status = request.GET.get("status", "")
    if status not in InboundDelivery.Status.values:
        status = ""
    page = Paginator(selectors.delivery_list(channel_id=channel.pk, status=status), 50).get_page(
        request.GET.get("page")
    )
    return render(request, "marketplaces/delivery_list.html", {
        "channel": channel, "page": page, "status": status, "statuses": InboundDelivery.Status.choices,
        "stage_key": "settings",
    })


@require_POST
@staff_required("channels.sync_channel")
def delivery_retry(request: HttpRequest, delivery_id: int) -> HttpResponse:
    delivery = get_object_or_404(InboundDelivery.objects.defer("body"), pk=delivery_id, channel__isnull=False)
    if services.delivery_retry(delivery_id=delivery.pk):
        messages.success(request, _("Delivery queued again."))
    else:
        messages.warning(request, _("Only failed deliveries can be retried."))
    return redirect("channels:deliveries", channel_id=delivery.channel_id)
