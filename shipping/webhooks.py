"""Aggregator webhook endpoints, thin: core.inbox checks the size, `_inspect_*` authenticates and
names the event, the raw body is stored, the answer is an empty 200, and a task applies it.

Biteship: a shared secret, accepted in the account's configured header or as `?token=` in the
registered URL (Biteship does not document a signature); its install-time test POST has no
`event` and is answered 200 whatever it carries. KiriminAja: `Authorization: Bearer <api key>`.
"""

from __future__ import annotations

import hmac

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from core import inbox
from shipping.models import ShippingAccount
from shipping.services.inbound import BITESHIP, KIRIMINAJA

MAX_BODY_BYTES = 64 * 1024


def _json(body: bytes) -> dict:
    """The body as a JSON object (depth-bounded); its strings are checked once the sender is known."""
    return inbox.parse_json(body, check_strings=False) if body.strip() else {}


def _usable(payload: dict, refs: list, *, account_ref: str, event_type: str) -> None:
    """An authenticated push with a field we cannot store is kept and refused once (200: no retries)."""
    try:
        inbox.check_json_strings(payload)
        for ref in refs:
            if ref not in (None, ""):
                inbox.clean_ref(ref, name="order id / resi", max_length=128)
    except ValueError as exc:
        raise inbox.Rejected.verified_push(f"unusable push: {exc}", account_ref=account_ref,
                                           event_type=event_type) from None


def _same(given: str, expected: str) -> bool:
    return bool(given) and bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def _inspect_biteship(body: bytes, request: HttpRequest) -> inbox.Accepted:
    payload = _json(body)
    event = str(payload.get("event") or "")
    if not event:
        # Biteship checks the URL with a POST without an event when it is installed: answer 200.
        raise inbox.Rejected(200, "installation test (no event)")
    token = request.GET.get("token", "")
    account = None
    for candidate in ShippingAccount.objects.filter(provider=BITESHIP, is_active=True).order_by("id"):
        secret = candidate.credential("webhook_secret")
        header = request.headers.get(candidate.webhook_header or "X-Oms-Webhook-Secret", "")
        if _same(header, secret) or _same(token, secret):
            account = candidate
            break
    if account is None:
        raise inbox.Rejected(401, "missing or wrong webhook secret", event_type=event[:64])
    _usable(payload, [payload.get("order_id"), payload.get("courier_waybill_id")], account_ref=str(account.pk),
            event_type=event[:64])
    external_id = ":".join(str(payload.get(k) or "") for k in ("order_id", "event", "status", "courier_waybill_id",
                                                               "order_price", "updated_at"))
    return inbox.Accepted(account_ref=str(account.pk), external_id=external_id, event_type=event[:64])


def _inspect_kiriminaja(body: bytes, request: HttpRequest) -> inbox.Accepted:
    auth = request.headers.get("Authorization", "")
    given = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
    account = next((a for a in ShippingAccount.objects.filter(provider=KIRIMINAJA, is_active=True).order_by("id")
                    if _same(given, a.credential("api_key"))), None)
    if account is None:
        raise inbox.Rejected(401, "missing or wrong bearer token")
    payload = _json(body)
    method = str(payload.get("method") or "")
    if not method or not isinstance(payload.get("data"), list):
        raise inbox.Rejected(400, "a KiriminAja push has a method and a data list", account_ref=str(account.pk))
    refs = [value for item in payload["data"] if isinstance(item, dict) for value in (item.get("order_id"),
                                                                                   item.get("awb"))]
    _usable(payload, refs, account_ref=str(account.pk), event_type=method[:64])
    return inbox.Accepted(account_ref=str(account.pk), event_type=method[:64])


@csrf_exempt
@require_POST
def biteship(request: HttpRequest) -> HttpResponse:
    from shipping.tasks import shipping_delivery_process_task

    secret_headers = ShippingAccount.objects.filter(provider=BITESHIP).values_list("webhook_header", flat=True)
    return inbox.receive(request, provider=BITESHIP, inspect=_inspect_biteship, task=shipping_delivery_process_task,
                         max_body_bytes=MAX_BODY_BYTES,
                         redact=("authorization", "x-oms-webhook-secret", *[h for h in secret_headers if h]))


@csrf_exempt
@require_POST
def kiriminaja(request: HttpRequest) -> HttpResponse:
    from shipping.tasks import shipping_delivery_process_task

    return inbox.receive(request, provider=KIRIMINAJA, inspect=_inspect_kiriminaja,
                         task=shipping_delivery_process_task, max_body_bytes=MAX_BODY_BYTES,
                         redact=("authorization",))
