"""Marketplace push endpoints. Thin: core.inbox does size, storage, duplicates and queueing.

Each endpoint parses the JSON (400 if malformed, too deep, or holding NUL/surrogates), finds the
channel by the shop id in the body (401 if unknown), verifies the signature over the raw bytes
(401 if wrong), refuses a verified push it cannot use (stored as rejected, answered 200 so the
marketplace stops retrying) or one older than the provider's retry window (400, a replay), and
answers 200 with an empty body; marketplaces.tasks.delivery_process then fetches the order.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from channels import selectors
from channels.adapters import get_adapter
from channels.adapters.base import MalformedPush
from channels.models import Channel
from core import inbox
from marketplaces import tasks
from marketplaces.adapters import lazada, shopee, tiktok, tokopedia

MAX_PUSH_BYTES = 64 * 1024  # real pushes are a few hundred bytes


# How long after sending a provider may still deliver a push (its documented retries, plus the
# lost-push APIs); a verified push sent longer ago is refused as a replay. Shopee retries at 5 min,
# 30 min and 3 h and `get_lost_push_message` reaches back 3 days; TikTok Shop retries for ~15.5 h
# (2 min ... 12 h) and Lazada for 6 h (12 x 30 min): one day covers both with margin. Tokopedia
# documents no retries and its order push carries no send time, so it has no window (a replayed
# push only makes us re-fetch the order's current state).
REPLAY_WINDOWS = {
    "shopee": timedelta(days=3),
    "tiktok": timedelta(days=1),
    "lazada": timedelta(days=1),
}


def _inspector(kind: str, provider: str, account_ref: Callable[[dict], str]) -> inbox.Inspector:
    def inspect(body: bytes, request: HttpRequest) -> inbox.Accepted:
        # Cheap checks first: unsigned junk is answered 4xx before any lookup or signature work.
        payload = inbox.parse_json(body, check_strings=False)
        shop_id = account_ref(payload)
        if not shop_id:
            raise inbox.Rejected(400, "no shop id in the body")
        try:
            shop_id = inbox.clean_ref(shop_id, name="shop id")
        except ValueError as exc:
            raise inbox.Rejected(400, str(exc)) from None
        channel = selectors.channel_for_push(kind=kind, shop_id=shop_id)
        adapter = get_adapter(channel) if channel is not None else None
        if adapter is None:
            raise inbox.Rejected(401, f"unknown shop {shop_id}", account_ref=shop_id)
        if not adapter.verify_push(body, request.headers):
            raise inbox.Rejected(401, "bad signature", account_ref=shop_id, channel=channel)
        # Verified: a field we cannot use is stored whole and refused once (200, no retries).
        try:
            inbox.check_json_strings(payload)
            info = adapter.parse_push(body)
            for order_id in info.order_ids:
                inbox.clean_ref(order_id, name="order id", max_length=64)
            sent_at = inbox.epoch_datetime(payload.get("timestamp"), name="timestamp")
        except (MalformedPush, ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
            raise inbox.Rejected.verified_push(
                f"unusable push: {exc}", account_ref=shop_id, channel=channel
            ) from None
        window = REPLAY_WINDOWS.get(provider)
        if window is not None:
            try:
                inbox.check_fresh(sent_at, window=window)
            except inbox.Rejected as exc:
                raise inbox.Rejected(
                    exc.status, exc.reason, account_ref=shop_id, channel=channel, event_type=info.event_type
                ) from None
        return inbox.Accepted(
            account_ref=shop_id, external_id=info.external_event_id, event_type=info.event_type, channel=channel
        )

    return inspect


_SHOPEE = _inspector(Channel.Kind.SHOPEE, "shopee", shopee.account_ref)
_TIKTOK = _inspector(Channel.Kind.TIKTOK_SHOP, "tiktok", tiktok.account_ref)
_LAZADA = _inspector(Channel.Kind.LAZADA, "lazada", lazada.account_ref)
_TOKOPEDIA = _inspector(Channel.Kind.TOKOPEDIA, "tokopedia", tokopedia.account_ref)


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
