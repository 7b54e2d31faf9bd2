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


@csrf_exempt
def ceiling(request):
    """The same single INSERT the webhook does, and nothing else (no lookup, signature or queue)."""
    body = request.body
    InboundDelivery.objects.create(
        provider="ceiling", account_ref="727720655", external_id=hashlib.sha256(body).hexdigest(),
        event_type="3", headers=dict(request.headers), body=body, remote_addr=request.META.get("REMOTE_ADDR"),
    )
    return HttpResponse(status=200)


urlpatterns = [
    path("bench/ceiling/", ceiling),
    path("", include("oms.urls")),
]
