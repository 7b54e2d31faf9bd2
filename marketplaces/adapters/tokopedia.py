"""Tokopedia Open API (legacy; shops are moving to TikTok Shop): webhooks, orders, stock.

Push signature: header Authorization-Hmac = hex HMAC-SHA256(webhook secret, raw body).
API calls carry the OAuth access token as a Bearer header; `fs_id` is the app id (stored as the
channel's partner id). Order status codes are numbers (220 paid, 400 accepted, 500 shipped...).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from channels.adapters import register_adapter
from channels.adapters.base import (
    AdapterError,
    MalformedPush,
    PushInfo,
    StockPushItem,
    StockPushResult,
)
from core.untrusted import signature_matches
from marketplaces.adapters.http import HttpAdapter, amount, call, chunks, from_epoch, header, load_push_json
from orders.inputs import ExternalOrder, ExternalOrderLine

DEFAULT_BASE_URL = "https://fs.tokopedia.net"
LIST_WINDOW = timedelta(days=3)  # order list range limit
LIST_PAGE_SIZE = 100
MAX_LIST_PAGES = 100
STOCK_BATCH = 50
DETAIL_BATCH = 50  # no batch endpoint: one call per order, in chunks for the sync loop


def push_signature(webhook_secret: str, raw_body: bytes) -> str:
    return hmac.new(webhook_secret.encode(), raw_body, hashlib.sha256).hexdigest()


def account_ref(payload: dict) -> str:
    return str(payload.get("shop_id") or "")


def parse_time(value) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, int | float) or (str(value).isascii() and str(value).isdigit()):
        return from_epoch(value)
    text = str(value).replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise AdapterError(f"Tokopedia time {value!r} is not ISO 8601") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class TokopediaAdapter(HttpAdapter):
    kind = "tokopedia"
    detail_batch = DETAIL_BATCH

    def verify_push(self, raw_body: bytes, headers: Mapping[str, str]) -> bool:
        secret = self.channel.credentials.get("webhook_secret", "")
        received = header(headers, "Authorization-Hmac")
        if not secret or not received:
            return False
        return signature_matches(push_signature(secret, raw_body), received.lower())

    def parse_push(self, raw_body: bytes) -> PushInfo:
        payload = load_push_json(raw_body)
        if not isinstance(payload, dict) or "order_id" not in payload:
            raise MalformedPush("a Tokopedia order push has an order_id")
        return PushInfo(
            external_event_id="",
            shop_id=account_ref(payload),
            event_type="order_status" if "order_status" in payload else "order",
            order_ids=[str(payload["order_id"])],
            status=str(payload.get("order_status", "")),
            updated_at=from_epoch(payload.get("update_time")) if payload.get("update_time") else None,
        )

    def _call(self, method: str, path: str, params: dict | None = None, body=None) -> dict:
        token = self.channel.credentials.get("access_token", "")
        if not token or not self._fs_id():
            raise AdapterError("Tokopedia app id (fs_id) and access token are not set for this channel.")
        base = (self.channel.api_base_url or DEFAULT_BASE_URL).rstrip("/")
        raw = json.dumps(body).encode() if body is not None else None
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        data = call(self.session, method, base + path, params=params, body=raw, headers=headers)
        status = data.get("_http_status", 200)
        head = data.get("header") or {}
        if status >= 400 or head.get("error_code"):
            raise AdapterError(f"Tokopedia {path}: HTTP {status} {head.get('reason') or head.get('messages', '')}")
        return data

    def _fs_id(self) -> str:
        return self.channel.credentials.get("partner_id", "")

    def fetch_orders(self, external_ids: list[str]) -> list[ExternalOrder]:
        orders = []
        for order_id in dict.fromkeys(external_ids):
            data = self._call("GET", f"/v2/fs/{self._fs_id()}/order", {"order_id": order_id}).get("data")
            if data:
                orders.append(to_external_order(data))
        return orders

    def list_orders_updated_since(self, since: datetime, until: datetime) -> list[str]:
        """Orders in [since, until] by Tokopedia's order list (3-day windows, numbered pages)."""
        found: list[str] = []
        start = since
        while start < until:
            end = min(start + LIST_WINDOW, until)
            for page in range(1, MAX_LIST_PAGES + 1):
                rows = self._call("GET", "/v2/order/list", {
                    "fs_id": self._fs_id(), "shop_id": self.channel.shop_id, "from_date": int(start.timestamp()),
                    "to_date": int(end.timestamp()) + 1, "page": page, "per_page": LIST_PAGE_SIZE,
                }).get("data") or []
                found.extend(str(r["order_id"]) for r in rows if r.get("order_id"))
                if len(rows) < LIST_PAGE_SIZE:
                    break
            else:
                raise AdapterError(f"Tokopedia order list returned more than {MAX_LIST_PAGES} pages")
            start = end
        return list(dict.fromkeys(found))

    def push_stock(self, items: list[StockPushItem]) -> list[StockPushResult]:
        results: dict[int, StockPushResult] = {}
        entries = []
        for index, item in enumerate(items):
            if not item.item_id:
                results[index] = StockPushResult(sku=item.sku, ok=False, error="no Tokopedia product id for this SKU")
            else:
                entries.append((index, item))
        for batch in chunks(entries, STOCK_BATCH):
            body = [{"product_id": int(item.item_id), "new_stock": max(int(item.quantity), 0)} for _i, item in batch]
            try:
                data = self._call("POST", f"/inventory/v1/fs/{self._fs_id()}/stock/update",
                                  {"shop_id": self.channel.shop_id}, body).get("data") or {}
            except AdapterError as exc:
                for index, item in batch:
                    results[index] = StockPushResult(sku=item.sku, ok=False, error=str(exc)[:500])
                continue
            failed = {str(r.get("product_id")): str(r.get("message") or "failed")
                      for r in data.get("failed_rows_data") or []}
            for index, item in batch:
                error = failed.get(str(item.item_id))
                results[index] = StockPushResult(sku=item.sku, ok=error is None, error=error or "")
        return [results[i] for i in range(len(items))]


def to_external_order(data: dict) -> ExternalOrder:
    info = data.get("order_info") or {}
    shipping = info.get("shipping_info") or {}
    recipient = data.get("recipient") or {}
    address = recipient.get("address") or {}
    buyer = data.get("buyer_info") or {}
    lines = [
        ExternalOrderLine(
            external_line_id=str(d.get("order_detail_id") or d.get("product_id")),
            sku=str(d.get("sku") or ""),
            name=str(d.get("product_name") or d.get("sku") or ""),
            quantity=int(d.get("quantity") or 0),
            unit_price_amount=amount(d.get("product_price")),
            item_id=str(d.get("product_id") or ""),
        )
        for d in info.get("order_detail") or []
        if int(d.get("quantity") or 0) > 0
    ]
    placed_at = parse_time(data.get("create_time"))
    if placed_at is None:
        raise AdapterError(f"Tokopedia order {data.get('order_id')} has no create_time")
    payment = data.get("payment_info") or {}
    return ExternalOrder(
        external_id=str(data["order_id"]),
        status=str(data.get("order_status", "")),
        placed_at=placed_at,
        updated_at=parse_time(data.get("update_time")) or placed_at,
        lines=lines,
        total_amount=amount(data.get("open_amt")),
        shipping_amount=amount(shipping.get("shipping_price")),
        payment_method=str(payment.get("gateway_name") or ""),
        paid_at=parse_time(payment.get("payment_date")),
        buyer_name=str(buyer.get("buyer_fullname") or ""),
        buyer_phone=str(buyer.get("buyer_phone") or ""),
        buyer_email=str(buyer.get("buyer_email") or ""),
        shipping_name=str(recipient.get("name") or ""),
        shipping_phone=str(recipient.get("phone") or ""),
        shipping_address=str(address.get("address_full") or ""),
        shipping_city=str(address.get("city") or ""),
        shipping_province=str(address.get("province") or ""),
        shipping_postal_code=str(address.get("postal_code") or ""),
        courier=str(shipping.get("logistic_name") or ""),
        tracking_number=str(shipping.get("awb") or ""),
        raw=data,
    )


register_adapter("tokopedia", TokopediaAdapter)
