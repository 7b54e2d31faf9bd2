"""Lazada Open Platform: push verification, orders, order items, sellable stock update.

Push signature: Authorization = lowercase hex HMAC-SHA256(app secret, app_key + raw body).
API signature: every parameter except sign, sorted by name, name+value concatenated, prefixed
with the API path; sign = uppercase hex HMAC-SHA256(app secret, that string).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.parse
from collections import OrderedDict
from collections.abc import Mapping
from datetime import UTC, datetime
from xml.sax.saxutils import escape

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

DEFAULT_BASE_URL = "https://api.lazada.co.id/rest"
ORDER_PATH = "/order/get"
ORDERS_PATH = "/orders/get"
ORDER_ITEMS_PATH = "/orders/items/get"
STOCK_PATH = "/product/stock/sellable/update"
DETAIL_BATCH = 50
LIST_PAGE_SIZE = 100
MAX_LIST_PAGES = 200
STOCK_BATCH = 50
TRANSIENT_CODES = {"ServiceTimeout", "ApiCallLimit", "SYSTEM_ERROR", "ServiceUnavailable"}


def push_signature(app_key: str, app_secret: str, raw_body: bytes) -> str:
    return hmac.new(app_secret.encode(), app_key.encode() + raw_body, hashlib.sha256).hexdigest()


def api_signature(app_secret: str, path: str, params: Mapping[str, object]) -> str:
    base = path + "".join(f"{key}{params[key]}" for key in sorted(params) if key != "sign")
    return hmac.new(app_secret.encode(), base.encode(), hashlib.sha256).hexdigest().upper()


def account_ref(payload: dict) -> str:
    return str(payload.get("seller_id") or "")


def parse_time(value) -> datetime | None:
    """Lazada times look like '2026-11-20 13:30:00 +0700'; some fields are epoch numbers."""
    if value in (None, ""):
        return None
    if isinstance(value, int | float) or (str(value).isascii() and str(value).isdigit()):
        return from_epoch(value)
    text = str(value).strip()
    for fmt in ("%Y-%m-%d %H:%M:%S %z", "%Y-%m-%dT%H:%M:%S%z"):
        try:
            return datetime.strptime(text, fmt).astimezone(UTC)
        except ValueError:
            continue
    raise AdapterError(f"Lazada time {text!r} is not in a known format")


class LazadaAdapter(HttpAdapter):
    kind = "lazada"
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
        if not isinstance(payload, dict) or "message_type" not in payload:
            raise MalformedPush("a Lazada push has a message_type")
        data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
        event_type = str(payload.get("message_type"))
        order_ids = [str(data["trade_order_id"])] if event_type == "0" and data.get("trade_order_id") else []
        return PushInfo(
            external_event_id="",
            shop_id=account_ref(payload),
            event_type=event_type,
            order_ids=order_ids,
            status=str(data.get("order_status") or ""),
            updated_at=from_epoch(data.get("status_update_time") or payload.get("timestamp")),
        )

    def _call(self, method: str, path: str, params: dict | None = None, *, check: bool = True) -> dict:
        creds = self.channel.credentials
        app_key, app_secret = creds.get("app_key", ""), creds.get("app_secret", "")
        if not app_key or not app_secret:
            raise AdapterError("Lazada app key and app secret are not set for this channel.")
        query = {
            "app_key": app_key,
            "timestamp": int(self.clock() * 1000),
            "sign_method": "sha256",
            "access_token": creds.get("access_token", ""),
        }
        query.update({k: v for k, v in (params or {}).items() if v not in (None, "")})
        query["sign"] = api_signature(app_secret, path, query)
        base = (self.channel.api_base_url or DEFAULT_BASE_URL).rstrip("/")
        if method == "POST":
            # Lazada takes POST parameters (the XML payload included) as a form body.
            raw = urllib.parse.urlencode(query).encode()
            data = call(
                self.session, "POST", base + path, body=raw,
                headers={"Content-Type": "application/x-www-form-urlencoded;charset=utf-8"},
            )
        else:
            data = call(self.session, "GET", base + path, params=query)
        code = str(data.get("code", "0"))
        if code != "0" and check:
            message = f"Lazada {path}: {code} {data.get('message', '')}"
            raise (TransientAdapterError if code in TRANSIENT_CODES else AdapterError)(message)
        return data

    def fetch_orders(self, external_ids: list[str]) -> list[ExternalOrder]:
        orders: list[ExternalOrder] = []
        for batch in chunks(list(dict.fromkeys(external_ids)), DETAIL_BATCH):
            heads = [self._call("GET", ORDER_PATH, {"order_id": order_id}).get("data") or {} for order_id in batch]
            items = self._call("GET", ORDER_ITEMS_PATH, {"order_ids": json.dumps([int(i) for i in batch])})
            items_by_order = {str(e.get("order_id")): e.get("order_items") or [] for e in items.get("data") or []}
            orders.extend(
                to_external_order(head, items_by_order.get(str(head.get("order_id")), []))
                for head in heads
                if head.get("order_id")
            )
        return orders

    def list_orders_updated_since(self, since: datetime, until: datetime) -> list[str]:
        found: list[str] = []
        for page in range(MAX_LIST_PAGES):
            data = self._call(
                "GET",
                ORDERS_PATH,
                {
                    "update_after": since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00"),
                    "update_before": until.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00"),
                    "sort_by": "updated_at",
                    "sort_direction": "ASC",
                    "offset": page * LIST_PAGE_SIZE,
                    "limit": LIST_PAGE_SIZE,
                },
            ).get("data") or {}
            batch = [str(o["order_id"]) for o in data.get("orders") or [] if o.get("order_id")]
            found.extend(batch)
            if len(batch) < LIST_PAGE_SIZE:
                break
        else:
            raise AdapterError(f"Lazada orders/get returned more than {MAX_LIST_PAGES} pages")
        return list(dict.fromkeys(found))

    def push_stock(self, items: list[StockPushItem]) -> list[StockPushResult]:
        """Sellable quantity per SKU, 50 SKUs per call, as Lazada's XML payload."""
        results: dict[int, StockPushResult] = {}
        entries = []
        for index, item in enumerate(items):
            if not item.item_id:
                results[index] = StockPushResult(sku=item.sku, ok=False, error="no Lazada item id for this SKU")
            else:
                entries.append((index, item))
        for batch in chunks(entries, STOCK_BATCH):
            skus = "".join(
                "<Sku>"
                f"<ItemId>{escape(str(item.item_id))}</ItemId>"
                + (f"<SkuId>{escape(str(item.model_id))}</SkuId>" if item.model_id else "")
                + f"<SellerSku>{escape(item.sku)}</SellerSku>"
                f"<SellableQuantity>{max(int(item.quantity), 0)}</SellableQuantity>"
                "</Sku>"
                for _index, item in batch
            )
            payload = f"<Request><Product><Skus>{skus}</Skus></Product></Request>"
            try:
                # A partial failure answers a non-zero code with one detail per refused SKU.
                data = self._call("POST", STOCK_PATH, {"payload": payload}, check=False)
                details = data.get("detail") or []
                if str(data.get("code", "0")) != "0" and not details:
                    raise AdapterError(f"Lazada {STOCK_PATH}: {data.get('code')} {data.get('message', '')}")
            except AdapterError as exc:
                for index, item in batch:
                    results[index] = StockPushResult(sku=item.sku, ok=False, error=str(exc)[:500])
                continue
            failed = {str(d.get("seller_sku", "")): str(d.get("message") or "failed") for d in details}
            for index, item in batch:
                error = failed.get(item.sku)
                results[index] = StockPushResult(sku=item.sku, ok=error is None, error=error or "")
        return [results[i] for i in range(len(items))]


def to_external_order(head: dict, items: list[dict]) -> ExternalOrder:
    address = head.get("address_shipping") or {}
    grouped: OrderedDict[str, list[dict]] = OrderedDict()
    for item in items:
        grouped.setdefault(str(item.get("sku_id") or item.get("sku") or item.get("order_item_id")), []).append(item)
    lines = []
    courier = tracking = ""
    for key, units in grouped.items():
        first = units[0]
        price = amount(first.get("item_price"))
        discount = sum(amount(u.get("voucher_amount")) for u in units)
        courier = courier or str(first.get("shipment_provider") or "")
        tracking = tracking or str(first.get("tracking_code") or "")
        lines.append(
            ExternalOrderLine(
                external_line_id=str(first.get("order_item_id") or key),
                sku=str(first.get("sku") or ""),
                name=str(first.get("name") or first.get("sku") or key),
                quantity=len(units),
                unit_price_amount=price,
                discount_amount=discount,
                item_id=str(first.get("product_id") or ""),
                model_id=str(first.get("sku_id") or ""),
            )
        )
    statuses = [str(s) for s in head.get("statuses") or []]
    placed_at = parse_time(head.get("created_at"))
    if placed_at is None:
        raise AdapterError(f"Lazada order {head.get('order_id')} has no created_at")
    name = " ".join(p for p in (address.get("first_name", ""), address.get("last_name", "")) if p).strip()
    street = ", ".join(str(address[k]) for k in ("address1", "address2") if address.get(k))
    shipping = amount(head.get("shipping_fee"))
    return ExternalOrder(
        external_id=str(head["order_id"]),
        status=statuses[0] if statuses else "",
        placed_at=placed_at,
        updated_at=parse_time(head.get("updated_at")) or placed_at,
        lines=lines,
        total_amount=amount(head.get("price")) + shipping - amount(head.get("voucher")),
        shipping_amount=shipping,
        discount_amount=amount(head.get("voucher")),
        payment_method=str(head.get("payment_method") or ""),
        is_cod=str(head.get("payment_method") or "").upper() == "COD",
        buyer_name=" ".join(
            p for p in (head.get("customer_first_name", ""), head.get("customer_last_name", "")) if p
        ).strip(),
        shipping_name=name,
        shipping_phone=str(address.get("phone") or ""),
        shipping_address=street,
        shipping_city=str(address.get("city") or ""),
        shipping_province=str(address.get("address3") or ""),
        shipping_postal_code=str(address.get("post_code") or ""),
        courier=courier,
        tracking_number=tracking,
        raw={"order": head, "items": items},
    )


register_adapter("lazada", LazadaAdapter)
