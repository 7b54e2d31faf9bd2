"""Gateway notification endpoints, thin: core.inbox checks size, verifies through `_inspect_*`,
stores the raw delivery (duplicates stored as such and not processed), answers 200 and queues
`gateway_delivery_process_task`."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from core import inbox
from payments import conf
from payments.services import gateways


def _text(payload: dict, key: str, *, max_length: int = 128) -> str:
    """A field of a verified notification as clean text ("" when absent); ValueError when unusable."""
    value = payload.get(key)
    if value is None or value == "":
        return ""
    return inbox.clean_ref(value, name=key, max_length=max_length)


# No payment is this large; a bigger amount is not one (and would not fit the database).
MAX_AMOUNT = 10**15


def _amount(payload: dict, key: str) -> None:
    """ValueError when an amount field is present but not a finite number of rupiah in range."""
    value = payload.get(key)
    if value is None or value == "":
        return
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"{key} is not a number")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"{key} is not a number: {str(value)[:40]!r}") from None
    if not number.is_finite() or not 0 <= number < MAX_AMOUNT:
        raise ValueError(f"{key} is out of range: {str(value)[:40]}")


def _inspect_midtrans(body: bytes, request: HttpRequest) -> inbox.Accepted:
    # Midtrans signs inside the body (signature_key): parse it cheaply, verify, then check fields.
    payload = inbox.parse_json(body, check_strings=False)
    if not gateways.midtrans_verify(payload, server_key=conf.midtrans_server_key()):
        raise inbox.Rejected(403, "invalid signature_key")
    try:
        inbox.check_json_strings(payload)
        status = _text(payload, "transaction_status", max_length=64)
        external_id = ":".join(
            _text(payload, key) for key in ("transaction_id", "transaction_status", "fraud_status", "status_code")
        )
        merchant = _text(payload, "merchant_id")
        _text(payload, "order_id")
        for key in ("gross_amount", "refund_amount"):
            _amount(payload, key)
    except ValueError as exc:
        raise inbox.Rejected.verified_push(f"unusable notification: {exc}") from None
    return inbox.Accepted(account_ref=merchant, external_id=external_id, event_type=status)


def _inspect_xendit(body: bytes, request: HttpRequest) -> inbox.Accepted:
    # The token is a header: unsigned junk is refused before the body is parsed.
    if not gateways.xendit_verify(request.headers.get("x-callback-token"), expected=conf.xendit_callback_token()):
        raise inbox.Rejected(403, "invalid x-callback-token")
    try:
        payload = inbox.parse_json(body)
    except inbox.Rejected as exc:  # a verified sender: stored and refused once, not retried
        raise inbox.Rejected.verified_push(f"unusable callback: {exc.reason}") from None
    try:
        status = _text(payload, "status", max_length=64)
        external_id = f"{_text(payload, 'id')}:{status}"
        user = _text(payload, "user_id")
        _text(payload, "external_id")
        for key in ("amount", "paid_amount"):
            _amount(payload, key)
    except ValueError as exc:
        raise inbox.Rejected.verified_push(f"unusable callback: {exc}") from None
    return inbox.Accepted(account_ref=user, external_id=external_id, event_type=status)


# Neither gateway signs a send time (Midtrans signs order_id + status_code + gross_amount; Xendit
# sends a shared token), so there is no replay window to check: a replayed notification is a
# duplicate by its transaction id and status, and a payment never moves backwards.


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
