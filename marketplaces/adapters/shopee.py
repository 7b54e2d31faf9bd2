"""Shopee Open Platform v2: push verification, order detail/list, stock update.

Push signature: Authorization = hex HMAC-SHA256(push key or partner key, callback_url + "|" + raw body).
API signature (shop-level): hex HMAC-SHA256(partner key, partner_id + path + timestamp + access_token + shop_id).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections import OrderedDict
from collections.abc import Mapping
from datetime import datetime, timedelta

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

DEFAULT_BASE_URL = "https://partner.shopeemobile.com"
ORDER_DETAIL_PATH = "/api/v2/order/get_order_detail"
ORDER_LIST_PATH = "/api/v2/order/get_order_list"
UPDATE_STOCK_PATH = "/api/v2/product/update_stock"
DETAIL_BATCH = 50  # order_sn_list limit
STOCK_BATCH = 50  # models per update_stock call
LIST_WINDOW = timedelta(days=15)  # get_order_list time range limit
LIST_PAGE_SIZE = 100
MAX_LIST_PAGES = 200  # bounded loop: 20,000 orders per window is far beyond a shop's day
OPTIONAL_FIELDS = (
    "buyer_user_id,buyer_username,estimated_shipping_fee,recipient_address,actual_shipping_fee,"
    "item_list,pay_time,package_list,shipping_carrier,payment_method,total_amount,cancel_by,cancel_reason"
)
ORDER_PUSH_CODES = {3, 4, 15}  # order status, tracking number, shipping document status
CREATE_DOCUMENT_PATH = "/api/v2/logistics/create_shipping_document"
DOCUMENT_RESULT_PATH = "/api/v2/logistics/get_shipping_document_result"
DOWNLOAD_DOCUMENT_PATH = "/api/v2/logistics/download_shipping_document"
DOCUMENT_TYPE = "THERMAL_AIR_WAYBILL"
TRANSIENT_ERRORS = {"error_server", "error_busy", "error_inner", "error_network", "error_too_many_request"}


def push_signature(key: str, callback_url: str, raw_body: bytes) -> str:
    message = callback_url.encode() + b"|" + raw_body
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def api_signature(partner_key: str, partner_id: str, path: str, timestamp: int, access_token: str, shop_id: str) -> str:
    base = f"{partner_id}{path}{timestamp}{access_token}{shop_id}"
    return hmac.new(partner_key.encode(), base.encode(), hashlib.sha256).hexdigest()


def account_ref(payload: dict) -> str:
    return str(payload.get("shop_id") or "")


class ShopeeAdapter(HttpAdapter):
    kind = "shopee"
    detail_batch = DETAIL_BATCH

    # --- pushes ------------------------------------------------------------------------------
    def verify_push(self, raw_body: bytes, headers: Mapping[str, str]) -> bool:
        creds = self.channel.credentials
        key = creds.get("push_key") or creds.get("partner_key")
        received = header(headers, "Authorization")
        if not key or not received or not self.channel.callback_url:
            return False
        expected = push_signature(key, self.channel.callback_url, raw_body)
        return signature_matches(expected, received.lower())

    def parse_push(self, raw_body: bytes) -> PushInfo:
        payload = load_push_json(raw_body)
        if not isinstance(payload, dict) or "code" not in payload:
            raise MalformedPush("a Shopee push has a code")
        data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
        try:
            code = int(payload["code"])
        except (TypeError, ValueError):
            raise MalformedPush("code is not a number") from None
        order_ids = []
        if code in ORDER_PUSH_CODES and data.get("ordersn"):
            order_ids = [str(data["ordersn"])]
        return PushInfo(
            external_event_id=str(payload.get("msg_id") or ""),
            shop_id=account_ref(payload),
            event_type=str(code),
            order_ids=order_ids,
            status=str(data.get("status") or ""),
            updated_at=from_epoch(data.get("update_time") or payload.get("timestamp")),
        )

    # --- API ---------------------------------------------------------------------------------
    def _base_url(self) -> str:
        return (self.channel.api_base_url or DEFAULT_BASE_URL).rstrip("/")

    def signed_params(self, path: str) -> dict:
        creds = self.channel.credentials
        partner_id = creds.get("partner_id", "")
        partner_key = creds.get("partner_key", "")
        if not partner_id or not partner_key:
            raise AdapterError("Shopee partner id and partner key are not set for this channel.")
        timestamp = int(self.clock())
        access_token = creds.get("access_token", "")
        shop_id = str(self.channel.shop_id)
        return {
            "partner_id": partner_id,
            "timestamp": timestamp,
            "access_token": access_token,
            "shop_id": shop_id,
            "sign": api_signature(partner_key, partner_id, path, timestamp, access_token, shop_id),
        }

    def _call(self, method: str, path: str, params: dict | None = None, body: dict | None = None) -> dict:
        query = self.signed_params(path)
        query.update(params or {})
        raw = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if raw is not None else None
        data = call(self.session, method, self._base_url() + path, params=query, body=raw, headers=headers)
        error = data.get("error") or ""
        if error:
            message = f"Shopee {path}: {error}: {data.get('message', '')}"
            raise (TransientAdapterError if error in TRANSIENT_ERRORS else AdapterError)(message)
        if data.get("_http_status", 200) >= 400:
            raise AdapterError(f"Shopee {path}: HTTP {data['_http_status']}")
        return data.get("response") or {}

    def fetch_orders(self, external_ids: list[str]) -> list[ExternalOrder]:
        orders: list[ExternalOrder] = []
        for batch in chunks(list(dict.fromkeys(external_ids)), DETAIL_BATCH):
            response = self._call(
                "GET",
                ORDER_DETAIL_PATH,
                {"order_sn_list": ",".join(batch), "response_optional_fields": OPTIONAL_FIELDS},
            )
            orders.extend(to_external_order(raw) for raw in response.get("order_list") or [])
        return orders

    def list_orders_updated_since(self, since: datetime, until: datetime) -> list[str]:
        """Order numbers updated in [since, until], walking ≤15-day windows and cursor pages."""
        found: list[str] = []
        start = since
        while start < until:
            end = min(start + LIST_WINDOW, until)
            cursor = ""
            for _page in range(MAX_LIST_PAGES):
                response = self._call(
                    "GET",
                    ORDER_LIST_PATH,
                    {
                        "time_range_field": "update_time",
                        "time_from": int(start.timestamp()),
                        "time_to": int(end.timestamp()),
                        "page_size": LIST_PAGE_SIZE,
                        "cursor": cursor,
                    },
                )
                found.extend(str(o["order_sn"]) for o in response.get("order_list") or [] if o.get("order_sn"))
                cursor = response.get("next_cursor") or ""
                if not response.get("more") or not cursor:
                    break
            else:
                raise AdapterError(f"Shopee get_order_list returned more than {MAX_LIST_PAGES} pages")
            start = end
        return list(dict.fromkeys(found))

    def push_stock(self, items: list[StockPushItem]) -> list[StockPushResult]:
        """update_stock per listing item, 1–50 models per call; one result per input item."""
        results: dict[int, StockPushResult] = {}
        by_item: OrderedDict[str, list[tuple[int, StockPushItem]]] = OrderedDict()
        for index, item in enumerate(items):
            if not item.item_id:
                results[index] = StockPushResult(sku=item.sku, ok=False, error="no Shopee item id for this SKU")
                continue
            by_item.setdefault(str(item.item_id), []).append((index, item))
        for item_id, entries in by_item.items():
            for batch in chunks(entries, STOCK_BATCH):
                body = {
                    "item_id": int(item_id),
                    "stock_list": [
                        {
                            "model_id": int(item.model_id or 0),
                            "seller_stock": [{"location_id": "-", "stock": max(int(item.quantity), 0)}],
                        }
                        for _index, item in batch
                    ],
                }
                try:
                    response = self._call("POST", UPDATE_STOCK_PATH, body=body)
                except AdapterError as exc:
                    for index, item in batch:
                        results[index] = StockPushResult(sku=item.sku, ok=False, error=str(exc)[:500])
                    continue
                failures = {
                    str(f.get("model_id", 0)): str(f.get("failed_reason") or "failed")
                    for f in response.get("failure_list") or []
                }
                succeeded = {str(s.get("model_id", 0)) for s in response.get("success_list") or []}
                for index, item in batch:
                    model = str(int(item.model_id or 0))
                    if model in failures:
                        results[index] = StockPushResult(sku=item.sku, ok=False, error=failures[model])
                    elif model in succeeded:
                        results[index] = StockPushResult(sku=item.sku, ok=True)
                    else:
                        results[index] = StockPushResult(sku=item.sku, ok=False, error="not in Shopee's answer")
        return [results[i] for i in range(len(items))]


    # --- shipping documents (Shopee's own airway bill for its logistics) -------------------------
    def _package(self, order_sn: str, package_number: str = "") -> dict:
        entry = {"order_sn": order_sn}
        if package_number:
            entry["package_number"] = package_number
        return entry

    def create_shipping_document(self, *, order_sn: str, package_number: str = "", tracking_number: str = "",
                                 document_type: str = DOCUMENT_TYPE) -> None:
        """Ask Shopee to prepare the airway bill of an arranged order; AdapterError with its reason."""
        entry = {**self._package(order_sn, package_number), "shipping_document_type": document_type}
        if tracking_number:
            entry["tracking_number"] = tracking_number
        response = self._call("POST", CREATE_DOCUMENT_PATH, body={"order_list": [entry]})
        for result in response.get("result_list") or []:
            if result.get("fail_error"):
                raise AdapterError(f"Shopee create_shipping_document {order_sn}: {result.get('fail_error')}: "
                                   f"{result.get('fail_message', '')}")

    def shipping_document_status(self, *, order_sn: str, package_number: str = "",
                                 document_type: str = DOCUMENT_TYPE) -> str:
        """READY, PROCESSING or FAILED."""
        response = self._call("POST", DOCUMENT_RESULT_PATH, body={
            "order_list": [self._package(order_sn, package_number)], "shipping_document_type": document_type})
        results = response.get("result_list") or []
        return str(results[0].get("status") or "") if results else ""

    def download_shipping_document(self, *, order_sn: str, package_number: str = "",
                                   document_type: str = DOCUMENT_TYPE) -> bytes:
        """The airway bill as PDF bytes; AdapterError when Shopee answers anything but a PDF."""
        body = json.dumps({"shipping_document_type": document_type,
                           "order_list": [self._package(order_sn, package_number)]}).encode()
        url = self._base_url() + DOWNLOAD_DOCUMENT_PATH
        try:
            response = self.session.post(url, params=self.signed_params(DOWNLOAD_DOCUMENT_PATH), data=body,
                                         headers={"Content-Type": "application/json"}, timeout=(5, 30))
        except Exception as exc:  # requests' errors: the network, not the document
            raise TransientAdapterError(f"Shopee download_shipping_document: {exc.__class__.__name__}") from None
        if response.status_code == 429 or response.status_code >= 500:
            raise TransientAdapterError(f"Shopee download_shipping_document: HTTP {response.status_code}")
        content = response.content[:20 * 1024 * 1024 + 1]
        if not content.startswith(b"%PDF"):
            raise AdapterError(f"Shopee download_shipping_document: not a PDF: {content[:200]!r}")
        return content


def to_external_order(raw: dict) -> ExternalOrder:
    address = raw.get("recipient_address") or {}
    lines = []
    for item in raw.get("item_list") or []:
        quantity = int(item.get("model_quantity_purchased") or 0)
        if quantity <= 0:
            continue
        original = amount(item.get("model_original_price"))
        discounted = amount(item.get("model_discounted_price") or item.get("model_original_price"))
        name = " ".join(p for p in (item.get("item_name", ""), item.get("model_name", "")) if p).strip()
        lines.append(
            ExternalOrderLine(
                external_line_id=f"{item.get('item_id', '')}-{item.get('model_id', 0)}",
                sku=str(item.get("model_sku") or item.get("item_sku") or ""),
                name=name or str(item.get("item_sku") or ""),
                quantity=quantity,
                unit_price_amount=original,
                discount_amount=max(original - discounted, 0) * quantity,
                item_id=str(item.get("item_id") or ""),
                model_id=str(item.get("model_id") or ""),
            )
        )
    packages = raw.get("package_list") or []
    courier = raw.get("shipping_carrier") or (packages[0].get("shipping_carrier") if packages else "") or ""
    placed_at = from_epoch(raw.get("create_time"))
    if placed_at is None:
        raise AdapterError(f"Shopee order {raw.get('order_sn')} has no create_time")
    return ExternalOrder(
        external_id=str(raw["order_sn"]),
        status=str(raw.get("order_status") or ""),
        placed_at=placed_at,
        updated_at=from_epoch(raw.get("update_time")) or placed_at,
        lines=lines,
        total_amount=amount(raw.get("total_amount")),
        shipping_amount=amount(raw.get("actual_shipping_fee") or raw.get("estimated_shipping_fee")),
        payment_method=str(raw.get("payment_method") or ""),
        is_cod=bool(raw.get("cod")),
        paid_at=from_epoch(raw.get("pay_time")),
        ship_by=from_epoch(raw.get("ship_by_date")),
        buyer_name=str(raw.get("buyer_username") or ""),
        shipping_name=str(address.get("name") or ""),
        shipping_phone=str(address.get("phone") or ""),
        shipping_address=str(address.get("full_address") or ""),
        shipping_city=str(address.get("city") or ""),
        shipping_province=str(address.get("state") or ""),
        shipping_postal_code=str(address.get("zipcode") or ""),
        courier=str(courier),
        cancel_reason=str(raw.get("cancel_reason") or ""),
        raw=raw,
    )


register_adapter("shopee", ShopeeAdapter)
