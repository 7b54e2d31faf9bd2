"""Marketplace push endpoints. Thin: core.inbox does size, storage, duplicates and queueing.

Each endpoint parses the JSON (400 if malformed), finds the channel by the shop id in the body
(401 if unknown), verifies the signature over the raw bytes (401 if wrong) and answers 200 with
an empty body; channels.tasks.delivery_process then fetches the order from the marketplace.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from channels import selectors, tasks
from channels.adapters import get_adapter, lazada, shopee, tiktok, tokopedia
from channels.adapters.base import MalformedPush
from channels.models import Channel
from core import inbox

MAX_PUSH_BYTES = 64 * 1024  # real pushes are a few hundred bytes


def _inspector(kind: str, account_ref: Callable[[dict], str]) -> inbox.Inspector:
    def inspect(body: bytes, request: HttpRequest) -> inbox.Accepted:
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise inbox.Rejected(400, "malformed JSON") from None
        if not isinstance(payload, dict):
            raise inbox.Rejected(400, "the JSON body is not an object")
        shop_id = account_ref(payload)
        if not shop_id:
            raise inbox.Rejected(400, "no shop id in the body")
        channel = selectors.channel_for_push(kind=kind, shop_id=shop_id)
        adapter = get_adapter(channel) if channel is not None else None
        if adapter is None:
            raise inbox.Rejected(401, f"unknown shop {shop_id}", account_ref=shop_id)
        if not adapter.verify_push(body, request.headers):
            raise inbox.Rejected(401, "bad signature", account_ref=shop_id, channel=channel)
        try:
            info = adapter.parse_push(body)
        except MalformedPush as exc:
            raise inbox.Rejected(400, str(exc), account_ref=shop_id, channel=channel) from None
        return inbox.Accepted(
            account_ref=shop_id, external_id=info.external_event_id, event_type=info.event_type, channel=channel
        )

    return inspect


_SHOPEE = _inspector(Channel.Kind.SHOPEE, shopee.account_ref)
_TIKTOK = _inspector(Channel.Kind.TIKTOK_SHOP, tiktok.account_ref)
_LAZADA = _inspector(Channel.Kind.LAZADA, lazada.account_ref)
_TOKOPEDIA = _inspector(Channel.Kind.TOKOPEDIA, tokopedia.account_ref)


# The provider names deliveries are stored under.
PROVIDER_KINDS = ("shopee", "tiktok", "lazada", "tokopedia")


def _receive(request: HttpRequest, provider: str, inspect: inbox.Inspector) -> HttpResponse:
    return inbox.receive(
        request, provider=provider, inspect=inspect, schedule=tasks.delivery_schedule, max_body_bytes=MAX_PUSH_BYTES
    )


@csrf_exempt
@require_POST
def shopee_push(request: HttpRequest) -> HttpResponse:
    return _receive(request, "shopee", _SHOPEE)


@csrf_exempt
@require_POST
def tiktok_push(request: HttpRequest) -> HttpResponse:
    return _receive(request, "tiktok", _TIKTOK)


@csrf_exempt
@require_POST
def lazada_push(request: HttpRequest) -> HttpResponse:
    return _receive(request, "lazada", _LAZADA)


@csrf_exempt
@require_POST
def tokopedia_push(request: HttpRequest) -> HttpResponse:
    return _receive(request, "tokopedia", _TOKOPEDIA)
