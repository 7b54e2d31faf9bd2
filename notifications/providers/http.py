"""A generic HTTP gateway for WhatsApp or SMS: JSON POST with a bearer token.

Fits the WhatsApp Business API resellers and SMS gateways common in Indonesia, which take a
JSON message and answer with the message id. Configuration per channel:
NOTIFY_<CHANNEL>_URL, NOTIFY_<CHANNEL>_TOKEN, NOTIFY_HTTP_TIMEOUT (seconds).

Request body: {"to", "channel", "type": "text", "text", "subject", "language", "reference"};
headers Authorization: Bearer <token> and Idempotency-Key: <reference> (the same on every retry).
Answers: 2xx sent (message id taken from "id", "message_id", "messages"[0]["id"] or
"data"["id"]); 408/425/429 and 5xx, timeouts and connection errors are transient; other 4xx
and redirects are permanent.
"""

from __future__ import annotations

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from notifications.providers.base import OutboundMessage, PermanentSendError, Provider, SendResult, TransientSendError

TRANSIENT_STATUSES = {408, 425, 429}


class HttpProvider(Provider):
    name = "http"

    def __init__(self, *, channel: str) -> None:
        super().__init__(channel=channel)
        prefix = f"NOTIFY_{channel.upper()}"
        self.url = getattr(settings, f"{prefix}_URL", "") or ""
        self.token = getattr(settings, f"{prefix}_TOKEN", "") or ""
        self.timeout = getattr(settings, "NOTIFY_HTTP_TIMEOUT", 10)
        if not self.url:
            raise ImproperlyConfigured(f"{prefix}_URL must be set to use the http provider for {channel}.")

    def send(self, message: OutboundMessage) -> SendResult:
        headers = {"Accept": "application/json", "Idempotency-Key": message.reference}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        payload = {
            "to": message.recipient,
            "channel": message.channel,
            "type": "text",
            "text": message.body,
            "subject": message.subject,
            "language": message.language,
            "reference": message.reference,
        }
        try:
            response = requests.post(
                self.url, json=payload, headers=headers, timeout=(min(5, self.timeout), self.timeout),
                allow_redirects=False,
            )
        except requests.Timeout as exc:
            raise TransientSendError(f"timeout after {self.timeout}s: {exc}") from None
        except requests.ConnectionError as exc:
            raise TransientSendError(f"connection failed: {exc}") from None
        except requests.RequestException as exc:
            raise PermanentSendError(f"request not sent: {exc}") from None

        status = response.status_code
        detail = f"HTTP {status}: {response.text[:300]}"
        if 200 <= status < 300:
            return SendResult(provider_message_id=_message_id(response)[:255])
        if status in TRANSIENT_STATUSES or status >= 500:
            raise TransientSendError(detail)
        raise PermanentSendError(detail)


def _message_id(response: requests.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return ""
    if not isinstance(data, dict):
        return ""
    for key in ("id", "message_id", "messageId"):
        if data.get(key):
            return str(data[key])
    messages = data.get("messages")
    if isinstance(messages, list) and messages and isinstance(messages[0], dict) and messages[0].get("id"):
        return str(messages[0]["id"])
    inner = data.get("data")
    if isinstance(inner, dict) and inner.get("id"):
        return str(inner["id"])
    return ""
