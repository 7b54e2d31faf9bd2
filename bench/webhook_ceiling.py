"""URLconf for bench/webhook_intake.py: the whole app plus a bare view doing only the delivery insert.

Served with DJANGO_SETTINGS_MODULE=bench.webhook_settings, so both endpoints run in the same
gunicorn, on the same database, with the same middleware.
"""

from __future__ import annotations

import hashlib

from django.http import HttpResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

from core.models import InboundDelivery

_channel_id: list[int] = []


def _bench_channel_id() -> int:
    # Looked up once per process, so the view does only the INSERT per request.
    if not _channel_id:
        from channels.models import Channel

        _channel_id.append(Channel.objects.values_list("pk", flat=True).get(code="SHPB"))
    return _channel_id[0]


@csrf_exempt
def ceiling(request):
    """The same single INSERT the webhook does (same columns, channel included), and nothing else."""
    body = request.body
    InboundDelivery.objects.create(
        provider="ceiling", channel_id=_bench_channel_id(), account_ref="727720655",
        external_id=hashlib.sha256(body).hexdigest(),
        event_type="3", headers=dict(request.headers), body=body, remote_addr=request.META.get("REMOTE_ADDR"),
    )
    return HttpResponse(status=200)


urlpatterns = [
    path("bench/ceiling/", ceiling),
    path("", include("oms.urls")),
]
