"""Gateway notification endpoints, thin: core.inbox checks size, verifies through `_inspect_*`,
stores the raw delivery (duplicates stored as such and not processed), answers 200 and queues
`gateway_delivery_process_task`."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from core import inbox
from payments import conf
from payments.services import gateways


def _json(body: bytes) -> dict:
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise inbox.Rejected(400, "invalid JSON") from None
    if not isinstance(payload, dict):
        raise inbox.Rejected(400, "JSON body is not an object")
    return payload


def _inspect_midtrans(body: bytes, request: HttpRequest) -> inbox.Accepted:
    payload = _json(body)
    status = str(payload.get("transaction_status", ""))
    if not gateways.midtrans_verify(payload, server_key=conf.midtrans_server_key()):
        raise inbox.Rejected(403, "invalid signature_key", event_type=status)
    external_id = ":".join(
        str(payload.get(k) or "") for k in ("transaction_id", "transaction_status", "fraud_status", "status_code")
    )
    return inbox.Accepted(account_ref=str(payload.get("merchant_id", ""))[:128], external_id=external_id,
                          event_type=status)


def _inspect_xendit(body: bytes, request: HttpRequest) -> inbox.Accepted:
    if not gateways.xendit_verify(request.headers.get("x-callback-token"), expected=conf.xendit_callback_token()):
        raise inbox.Rejected(403, "invalid x-callback-token")
    payload = _json(body)
    status = str(payload.get("status", ""))
    return inbox.Accepted(account_ref=str(payload.get("user_id", ""))[:128],
                          external_id=f"{payload.get('id') or ''}:{status}", event_type=status)


@csrf_exempt
@require_POST
def midtrans(request: HttpRequest) -> HttpResponse:
    from payments.tasks import gateway_delivery_process_task

    return inbox.receive(request, provider=gateways.MIDTRANS, inspect=_inspect_midtrans,
                         task=gateway_delivery_process_task, max_body_bytes=conf.WEBHOOK_MAX_BYTES)


@csrf_exempt
@require_POST
def xendit(request: HttpRequest) -> HttpResponse:
    from payments.tasks import gateway_delivery_process_task

    return inbox.receive(request, provider=gateways.XENDIT, inspect=_inspect_xendit,
                         task=gateway_delivery_process_task, max_body_bytes=conf.WEBHOOK_MAX_BYTES)
