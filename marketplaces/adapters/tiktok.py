"""TikTok Shop Partner API (202309): push verification, orders, search, inventory update.

Push signature [community]: Authorization = hex HMAC-SHA256(app secret, app_key + raw body).
API signature: params except sign/access_token sorted by key, key+value concatenated;
base = app_secret + path + params + raw body + app_secret; sign = hex HMAC-SHA256(app secret, base).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections import OrderedDict
from collections.abc import Mapping
from datetime import datetime

from channels.adapters import register_adapter
from channels.adapters.base import (
    AdapterError,
    MalformedPush,
    PushInfo,
    StockPushItem,
    StockPushResult,
    TransientAdapterError,
)
from core.untrusted import signature_matches
from marketplaces.adapters.http import HttpAdapter, amount, call, chunks, from_epoch, header, load_push_json
from orders.inputs import ExternalOrder, ExternalOrderLine

DEFAULT_BASE_URL = "https://open-api.tiktokglobalshop.com"
ORDER_DETAIL_PATH = "/order/202309/orders"
ORDER_SEARCH_PATH = "/order/202309/orders/search"
INVENTORY_PATH = "/product/202309/products/{product_id}/inventory/update"
DETAIL_BATCH = 50
SEARCH_PAGE_SIZE = 100
MAX_SEARCH_PAGES = 200
STOCK_BATCH = 50
ORDER_PUSH_TYPES = {1, 4, 11, 12}  # order status, package update, cancellation, return
TRANSIENT_CODES = {36009003, 36009004, 105001, 105002}  # internal error, rate limited (community)


def push_signature(app_key: str, app_secret: str, raw_body: bytes) -> str:
    return hmac.new(app_secret.encode(), app_key.encode() + raw_body, hashlib.sha256).hexdigest()


def api_signature(app_secret: str, path: str, params: Mapping[str, object], raw_body: bytes = b"") -> str:
    pairs = "".join(f"{key}{params[key]}" for key in sorted(params) if key not in ("sign", "access_token"))
    base = app_secret.encode() + path.encode() + pairs.encode() + raw_body + app_secret.encode()
    return hmac.new(app_secret.encode(), base, hashlib.sha256).hexdigest()


def account_ref(payload: dict) -> str:
    return str(payload.get("shop_id") or "")


class TikTokShopAdapter(HttpAdapter):
    kind = "tiktok_shop"
    detail_batch = DETAIL_BATCH

    def verify_push(self, raw_body: bytes, headers: Mapping[str, str]) -> bool:
        creds = self.channel.credentials
        app_key, app_secret = creds.get("app_key", ""), creds.get("app_secret", "")
        received = header(headers, "Authorization")
        if not app_key or not app_secret or not received:
            return False
        return signature_matches(push_signature(app_key, app_secret, raw_body), received.lower())

    def parse_push(self, raw_body: bytes) -> PushInfo:
        payload = load_push_json(raw_body)
        if not isinstance(payload, dict) or "type" not in payload:
            raise MalformedPush("a TikTok Shop push has a type")
        data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
        try:
            kind = int(payload["type"])
        except (TypeError, ValueError):
            raise MalformedPush("type is not a number") from None
        order_ids = [str(data["order_id"])] if kind in ORDER_PUSH_TYPES and data.get("order_id") else []
        return PushInfo(
            external_event_id=str(payload.get("tts_notification_id") or ""),
            shop_id=account_ref(payload),
            event_type=str(kind),
            order_ids=order_ids,
            # a type 12 (return) push carries the return's status instead of the order's
            status=str(data.get("order_status") or data.get("return_status") or ""),
            updated_at=from_epoch(data.get("update_time") or payload.get("timestamp")),
        )

    def _call(self, method: str, path: str, params: dict | None = None, body: dict | None = None) -> dict:
        creds = self.channel.credentials
        app_key, app_secret = creds.get("app_key", ""), creds.get("app_secret", "")
        if not app_key or not app_secret:
            raise AdapterError("TikTok Shop app key and app secret are not set for this channel.")
        query = {"app_key": app_key, "timestamp": int(self.clock())}
        if creds.get("shop_cipher"):
            query["shop_cipher"] = creds["shop_cipher"]
        query.update({k: v for k, v in (params or {}).items() if v not in (None, "")})
        raw = json.dumps(body, separators=(",", ":")).encode() if body is not None else b""
        query["sign"] = api_signature(app_secret, path, query, raw)
        headers = {"x-tts-access-token": creds.get("access_token", ""), "Content-Type": "application/json"}
        base = (self.channel.api_base_url or DEFAULT_BASE_URL).rstrip("/")
        data = call(self.session, method, base + path, params=query, body=raw or None, headers=headers)
        code = data.get("code", 0)
        if code not in (0, "0"):
            message = f"TikTok Shop {path}: {code} {data.get('message', '')}"
            raise (TransientAdapterError if code in TRANSIENT_CODES else AdapterError)(message)
        return data.get("data") or {}

    def fetch_orders(self, external_ids: list[str]) -> list[ExternalOrder]:
        orders: list[ExternalOrder] = []
        for batch in chunks(list(dict.fromkeys(external_ids)), DETAIL_BATCH):
            data = self._call("GET", ORDER_DETAIL_PATH, {"ids": ",".join(batch)})
            orders.extend(to_external_order(raw) for raw in data.get("orders") or [])
        return orders

    def list_orders_updated_since(self, since: datetime, until: datetime) -> list[str]:
        found: list[str] = []
        token = ""
        # update_time_lt is exclusive; +1 keeps orders updated in the last second of the range.
        body = {"update_time_ge": int(since.timestamp()), "update_time_lt": int(until.timestamp()) + 1}
        for _page in range(MAX_SEARCH_PAGES):
            data = self._call("POST", ORDER_SEARCH_PATH, {"page_size": SEARCH_PAGE_SIZE, "page_token": token}, body)
            found.extend(str(o["id"]) for o in data.get("orders") or [] if o.get("id"))
            token = data.get("next_page_token") or ""
            if not token:
                break
        else:
            raise AdapterError(f"TikTok Shop order search returned more than {MAX_SEARCH_PAGES} pages")
        return list(dict.fromkeys(found))

    def push_stock(self, items: list[StockPushItem]) -> list[StockPushResult]:
        """One inventory update per product (item_id), SKUs (model_id) batched by 50."""
        results: dict[int, StockPushResult] = {}
        by_product: OrderedDict[str, list[tuple[int, StockPushItem]]] = OrderedDict()
        for index, item in enumerate(items):
            if not item.item_id or not item.model_id:
                results[index] = StockPushResult(sku=item.sku, ok=False, error="no TikTok product or SKU id")
                continue
            by_product.setdefault(str(item.item_id), []).append((index, item))
        for product_id, entries in by_product.items():
            for batch in chunks(entries, STOCK_BATCH):
                body = {
                    "skus": [
                        {"id": str(item.model_id), "inventory": [{"quantity": max(int(item.quantity), 0)}]}
                        for _index, item in batch
                    ]
                }
                try:
                    data = self._call("POST", INVENTORY_PATH.format(product_id=product_id), body=body)
                except AdapterError as exc:
                    for index, item in batch:
                        results[index] = StockPushResult(sku=item.sku, ok=False, error=str(exc)[:500])
                    continue
                errors = {
                    str((e.get("detail") or {}).get("sku_id", "")): str(e.get("message") or "failed")
                    for e in data.get("errors") or []
                }
                for index, item in batch:
                    error = errors.get(str(item.model_id))
                    results[index] = StockPushResult(sku=item.sku, ok=error is None, error=error or "")
        return [results[i] for i in range(len(items))]


def _district(address: dict, level: str) -> str:
    for entry in address.get("district_info") or []:
        if str(entry.get("address_level_name", "")).lower() == level:
            return str(entry.get("address_name") or "")
    return ""


def to_external_order(raw: dict) -> ExternalOrder:
    payment = raw.get("payment") or {}
    address = raw.get("recipient_address") or {}
    # TikTok sends one line item per unit; group them back into lines per SKU.
    grouped: OrderedDict[str, list[dict]] = OrderedDict()
    for item in raw.get("line_items") or []:
        grouped.setdefault(str(item.get("sku_id") or item.get("id")), []).append(item)
    lines = []
    for sku_id, units in grouped.items():
        first = units[0]
        original = amount(first.get("original_price") or first.get("sale_price"))
        discount = sum(max(original - amount(u.get("sale_price") or original), 0) for u in units)
        name = " ".join(p for p in (first.get("product_name", ""), first.get("sku_name", "")) if p).strip()
        lines.append(
            ExternalOrderLine(
                external_line_id=str(first.get("id") or sku_id),
                sku=str(first.get("seller_sku") or ""),
                name=name or str(first.get("seller_sku") or sku_id),
                quantity=len(units),
                unit_price_amount=original,
                discount_amount=discount,
                item_id=str(first.get("product_id") or ""),
                model_id=sku_id,
            )
        )
    placed_at = from_epoch(raw.get("create_time"))
    if placed_at is None:
        raise AdapterError(f"TikTok Shop order {raw.get('id')} has no create_time")
    return ExternalOrder(
        external_id=str(raw["id"]),
        status=str(raw.get("status") or ""),
        placed_at=placed_at,
        updated_at=from_epoch(raw.get("update_time")) or placed_at,
        lines=lines,
        total_amount=amount(payment.get("total_amount")),
        shipping_amount=amount(payment.get("shipping_fee")),
        discount_amount=amount(payment.get("seller_discount")) + amount(payment.get("platform_discount")),
        payment_method=str(raw.get("payment_method_name") or ""),
        is_cod=bool(raw.get("is_cod")),
        paid_at=from_epoch(raw.get("paid_time")),
        ship_by=from_epoch(raw.get("rts_sla_time")),
        buyer_email=str(raw.get("buyer_email") or ""),
        buyer_name=str(address.get("name") or ""),
        shipping_name=str(address.get("name") or ""),
        shipping_phone=str(address.get("phone_number") or ""),
        shipping_address=str(address.get("full_address") or ""),
        shipping_city=_district(address, "city"),
        shipping_province=_district(address, "province"),
        shipping_postal_code=str(address.get("postal_code") or ""),
        courier=str(raw.get("shipping_provider") or ""),
        tracking_number=str(raw.get("tracking_number") or ""),
        cancel_reason=str(raw.get("cancel_reason") or ""),
        raw=raw,
    )


register_adapter("tiktok_shop", TikTokShopAdapter)
