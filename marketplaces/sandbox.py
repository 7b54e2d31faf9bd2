"""A sandbox marketplace (Shopee, TikTok Shop, Lazada) served over real HTTP on 127.0.0.1.

It checks every request's signature with its own implementation of each provider's recipe,
serves orders in the providers' shapes (order detail, order list/search with cursors), records
stock updates, and can send signed pushes to the app. `manage.py simulate_marketplace` uses it to
let a new user watch orders arrive; the tests and the webhook benchmark use it as the provider
they cannot reach from here (tests/fakes/marketplace.py)::

    with FakeMarketplace() as fake:
        fake.put_order("shopee", "220810QSK8S7BX", status="READY_TO_SHIP", lines=[("SKU-1", 2, 50000)])
        channel.api_base_url = fake.base_url("shopee")
        ...
        fake.send_push("shopee", "220810QSK8S7BX", url=live_server.url + "/webhooks/shopee/")
"""

# The sandbox's own made-up credentials, known to both sides on purpose: not secrets.
# ruff: noqa: S105

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import socketserver
import threading
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import parse_qsl
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import requests

SHOPEE_STATUSES = ["UNPAID", "READY_TO_SHIP", "PROCESSED", "SHIPPED", "TO_CONFIRM_RECEIVE", "COMPLETED", "CANCELLED"]


@dataclass
class Credentials:
    shopee_partner_id: str = "2001887"
    shopee_partner_key: str = "test-partner-key"
    shopee_push_key: str = "test-partner-key"
    shopee_access_token: str = "test-access-token"
    shopee_shop_id: str = "727720655"
    tiktok_app_key: str = "tts-app-key"
    tiktok_app_secret: str = "tts-app-secret"
    tiktok_access_token: str = "tts-access-token"
    tiktok_shop_id: str = "7495012348800"
    lazada_app_key: str = "100123"
    lazada_app_secret: str = "lazada-app-secret"
    lazada_access_token: str = "lazada-access-token"
    lazada_seller_id: str = "1234567"
    tokopedia_fs_id: str = "13004"
    tokopedia_access_token: str = "tkpd-access-token"
    tokopedia_webhook_secret: str = "tkpd-webhook-secret"
    tokopedia_shop_id: str = "4821553"

    def for_channel(self, provider: str) -> dict:
        if provider == "shopee":
            return {
                "partner_id": self.shopee_partner_id, "partner_key": self.shopee_partner_key,
                "push_key": self.shopee_push_key, "access_token": self.shopee_access_token,
            }
        if provider == "tiktok":
            return {"app_key": self.tiktok_app_key, "app_secret": self.tiktok_app_secret,
                    "access_token": self.tiktok_access_token}
        if provider == "tokopedia":
            return {"partner_id": self.tokopedia_fs_id, "access_token": self.tokopedia_access_token,
                    "webhook_secret": self.tokopedia_webhook_secret}
        return {"app_key": self.lazada_app_key, "app_secret": self.lazada_app_secret,
                "access_token": self.lazada_access_token}

    def shop_id(self, provider: str) -> str:
        return {"shopee": self.shopee_shop_id, "tiktok": self.tiktok_shop_id, "lazada": self.lazada_seller_id,
                "tokopedia": self.tokopedia_shop_id}[provider]


@dataclass
class FakeOrder:
    provider: str
    order_id: str
    status: str
    lines: list[tuple[str, int, int]]  # sku, quantity, unit price
    create_time: int
    update_time: int
    buyer: str = "Budi Santoso"
    phone: str = "6281234567890"
    city: str = "Jakarta Selatan"
    province: str = "DKI Jakarta"
    shipping_fee: int = 10000
    cod: bool = False
    extra: dict = field(default_factory=dict)

    @property
    def subtotal(self) -> int:
        return sum(q * p for _s, q, p in self.lines)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


class _ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    request_queue_size = 256


def _hmac(key: str, message: bytes) -> str:
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


class FakeMarketplace:
    def __init__(
        self, credentials: Credentials | None = None, *, max_clock_skew: int = 300, auto_orders: str = ""
    ) -> None:
        self.creds = credentials or Credentials()
        # Order ids starting with this prefix are invented on first request (benchmarks, the simulator).
        self.auto_orders = auto_orders
        self.max_clock_skew = max_clock_skew
        self.lock = threading.Lock()
        self.orders: dict[tuple[str, str], FakeOrder] = {}
        self.stock_updates: list[tuple[str, dict]] = []
        self.calls: list[tuple[str, str, int]] = []  # provider, path, HTTP status
        self.stock_failures: set[str] = set()  # model/sku ids that update_stock refuses
        self.fail_next: int = 0  # answer the next N API calls with HTTP 503
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._msg_ids = itertools.count(1)

    # --- lifecycle ---------------------------------------------------------------------------
    def start(self, port: int = 0) -> FakeMarketplace:
        self._server = make_server("127.0.0.1", port, self.wsgi, server_class=_ThreadingServer,
                                   handler_class=_QuietHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeMarketplace:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def base_url(self, provider: str) -> str:
        return {"shopee": f"{self.url}/shopee", "tiktok": f"{self.url}/tiktok", "lazada": f"{self.url}/lazada/rest",
                "tokopedia": f"{self.url}/tokopedia"}[provider]

    # --- state -------------------------------------------------------------------------------
    def put_order(
        self, provider: str, order_id: str, *, status: str, lines: list[tuple[str, int, int]] | None = None,
        update_time: int | None = None, **extra,
    ) -> FakeOrder:
        now = int(time.time())
        with self.lock:
            existing = self.orders.get((provider, order_id))
            if existing is not None:
                existing.status = status
                existing.update_time = update_time or max(now, existing.update_time + 1)
                if lines is not None:
                    existing.lines = lines
                return existing
            order = FakeOrder(
                provider=provider, order_id=order_id, status=status, lines=lines or [("SKU-1", 1, 50000)],
                create_time=now - 60, update_time=update_time or now, **extra,
            )
            self.orders[(provider, order_id)] = order
            return order

    # --- pushes ------------------------------------------------------------------------------
    def push_body(self, provider: str, order_id: str, *, event_id: str | None = None) -> bytes:
        order = self.orders[(provider, order_id)]
        event_id = event_id or f"{uuid.uuid4().hex[:16]}"
        if provider == "shopee":
            payload = {
                "msg_id": event_id,
                "data": {"items": [], "ordersn": order_id, "status": order.status, "completed_scenario": "",
                         "update_time": order.update_time},
                "shop_id": int(self.creds.shopee_shop_id), "code": 3, "timestamp": order.update_time,
            }
        elif provider == "tiktok":
            payload = {
                "type": 1, "tts_notification_id": event_id, "shop_id": self.creds.tiktok_shop_id,
                "timestamp": order.update_time,
                "data": {"order_id": order_id, "order_status": order.status, "is_on_hold_order": False,
                         "update_time": order.update_time},
            }
        elif provider == "tokopedia":
            payload = {
                "fs_id": int(self.creds.tokopedia_fs_id), "order_id": int(order_id), "order_status": int(order.status),
                "shop_id": int(self.creds.tokopedia_shop_id), "update_time": order.update_time,
                "product_details": [{"id": 1000 + i, "Name": f"Produk {sku}", "Quantity": qty}
                                    for i, (sku, qty, _p) in enumerate(order.lines)],
            }
        else:
            payload = {
                "seller_id": self.creds.lazada_seller_id, "message_type": 0,
                "data": {"order_status": order.status, "trade_order_id": order_id,
                         "trade_order_line_id": f"{order_id}01", "status_update_time": order.update_time},
                "timestamp": order.update_time * 1000 + next(self._msg_ids) % 1000, "site": "lazada_id",
            }
        return json.dumps(payload, separators=(",", ":")).encode()

    def sign_push(self, provider: str, body: bytes, *, callback_url: str = "") -> dict[str, str]:
        if provider == "shopee":
            signature = _hmac(self.creds.shopee_push_key, callback_url.encode() + b"|" + body)
        elif provider == "tiktok":
            signature = _hmac(self.creds.tiktok_app_secret, self.creds.tiktok_app_key.encode() + body)
        elif provider == "tokopedia":
            return {"Authorization-Hmac": _hmac(self.creds.tokopedia_webhook_secret, body),
                    "Content-Type": "application/json"}
        else:
            signature = _hmac(self.creds.lazada_app_secret, self.creds.lazada_app_key.encode() + body)
        return {"Authorization": signature, "Content-Type": "application/json"}

    def send_push(
        self, provider: str, order_id: str, *, url: str, callback_url: str | None = None,
        event_id: str | None = None, session: requests.Session | None = None, timeout: float = 10,
    ) -> requests.Response:
        """POST a signed push about an order to the app (callback_url defaults to url)."""
        body = self.push_body(provider, order_id, event_id=event_id)
        headers = self.sign_push(provider, body, callback_url=callback_url or url)
        return (session or requests).post(url, data=body, headers=headers, timeout=timeout)

    # --- WSGI --------------------------------------------------------------------------------
    def wsgi(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        method = environ["REQUEST_METHOD"]
        query = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        provider = path.strip("/").split("/", 1)[0]
        try:
            if self.fail_next > 0:
                with self.lock:
                    self.fail_next -= 1
                status, payload = 503, {"error": "error_server", "message": "try later"}
            elif provider == "shopee":
                status, payload = self._shopee(method, path[len("/shopee"):], query, body)
            elif provider == "tiktok":
                status, payload = self._tiktok(method, path[len("/tiktok"):], query, body, environ)
            elif provider == "lazada":
                status, payload = self._lazada(method, path[len("/lazada/rest"):], query, body)
            elif provider == "tokopedia":
                status, payload = self._tokopedia(method, path[len("/tokopedia"):], query, body, environ)
            elif provider == "_admin" and path == "/_admin/orders" and method == "POST":
                # Loopback test control: set orders' statuses (the benchmark moves orders along).
                for row in json.loads(body):
                    self._lookup(row["provider"], str(row["order_id"]))  # invent it first, with its lines
                    self.put_order(row["provider"], str(row["order_id"]), status=row["status"])
                status, payload = 200, {"ok": True}
            else:
                status, payload = 404, {"error": "not_found"}
        except Exception as exc:  # the fake must answer, and say what broke
            status, payload = 500, {"error": "fake_crashed", "message": repr(exc)}
        with self.lock:
            self.calls.append((provider, path, status))
        data = json.dumps(payload).encode()
        start_response(f"{status} X", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
        return [data]

    def _lookup(self, provider: str, order_id: str) -> FakeOrder | None:
        with self.lock:
            order = self.orders.get((provider, order_id))
        if order is None and self.auto_orders and order_id.startswith(self.auto_orders):
            number = int("".join(ch for ch in order_id if ch.isdigit()) or 0)
            order = self.put_order(provider, order_id, status={"shopee": "READY_TO_SHIP", "tiktok": "AWAITING_SHIPMENT",
                                                               "lazada": "pending", "tokopedia": "220"}[provider],
                                   lines=[(f"SIM-{number % 20:02d}", 1 + number % 3, 25000 + 5000 * (number % 7))])
        return order

    def _orders_of(self, provider: str) -> list[FakeOrder]:
        with self.lock:
            return [o for (p, _i), o in self.orders.items() if p == provider]

    # Shopee ------------------------------------------------------------------------------
    def _shopee(self, method: str, path: str, query: dict, body: bytes):
        c = self.creds
        try:
            timestamp = int(query.get("timestamp", "0"))
        except ValueError:
            timestamp = 0
        if abs(time.time() - timestamp) > self.max_clock_skew:
            return 403, {"error": "error_auth", "message": "timestamp expired", "response": {}}
        q = query.get
        base = f"{q('partner_id', '')}{path}{timestamp}{q('access_token', '')}{q('shop_id', '')}"
        expected = _hmac(c.shopee_partner_key, base.encode())
        if (
            query.get("partner_id") != c.shopee_partner_id
            or query.get("shop_id") != c.shopee_shop_id
            or query.get("access_token") != c.shopee_access_token
            or not hmac.compare_digest(expected, query.get("sign", ""))
        ):
            return 403, {"error": "error_sign", "message": "Wrong sign.", "response": {}}
        if path == "/api/v2/order/get_order_detail" and method == "GET":
            wanted = [s for s in query.get("order_sn_list", "").split(",") if s]
            if not 1 <= len(wanted) <= 50:
                return 200, {"error": "error_param", "message": "order_sn_list must hold 1-50 orders"}
            found = [o for o in (self._lookup("shopee", sn) for sn in wanted) if o is not None]
            return 200, {"error": "", "message": "", "request_id": uuid.uuid4().hex,
                         "response": {"order_list": [self._shopee_order(o) for o in found]}}
        if path == "/api/v2/order/get_order_list" and method == "GET":
            time_from, time_to = int(query["time_from"]), int(query["time_to"])
            if time_to - time_from > 15 * 86400 or time_to < time_from:
                return 200, {"error": "error_param", "message": "time range over 15 days"}
            page_size = min(int(query.get("page_size") or 20), 100)
            offset = int(query.get("cursor") or 0)
            rows = sorted(
                (o for o in self._orders_of("shopee") if time_from <= o.update_time <= time_to),
                key=lambda o: (o.update_time, o.order_id),
            )
            page = rows[offset : offset + page_size]
            more = offset + page_size < len(rows)
            return 200, {"error": "", "message": "", "response": {
                "more": more, "next_cursor": str(offset + page_size) if more else "",
                "order_list": [{"order_sn": o.order_id} for o in page]}}
        if path == "/api/v2/product/update_stock" and method == "POST":
            payload = json.loads(body)
            stock_list = payload.get("stock_list") or []
            if not 1 <= len(stock_list) <= 50:
                return 200, {"error": "error_param", "message": "stock_list must hold 1-50 models"}
            with self.lock:
                self.stock_updates.append(("shopee", payload))
            ok = [s for s in stock_list if str(s["model_id"]) not in self.stock_failures]
            bad = [s for s in stock_list if str(s["model_id"]) in self.stock_failures]
            return 200, {"error": "", "message": "", "response": {
                "success_list": [{"model_id": s["model_id"], "location_id": "-",
                                  "stock": s["seller_stock"][0]["stock"]} for s in ok],
                "failure_list": [{"model_id": s["model_id"], "failed_reason": "model is not active"} for s in bad]}}
        return 404, {"error": "error_not_found", "message": path}

    def _shopee_order(self, o: FakeOrder) -> dict:
        return {
            "order_sn": o.order_id, "order_status": o.status, "region": "ID", "currency": "IDR", "cod": o.cod,
            "total_amount": float(o.subtotal + o.shipping_fee), "create_time": o.create_time,
            "update_time": o.update_time, "pay_time": o.create_time + 30 if o.status != "UNPAID" else None,
            "ship_by_date": o.create_time + 2 * 86400, "days_to_ship": 2, "buyer_user_id": 40051234,
            "buyer_username": o.buyer.lower().replace(" ", "_"), "estimated_shipping_fee": float(o.shipping_fee),
            "actual_shipping_fee": float(o.shipping_fee), "message_to_seller": "", "payment_method": "Bank Transfer",
            "shipping_carrier": "SPX Standard", "cancel_by": "", "cancel_reason": "",
            "recipient_address": {
                "name": o.buyer, "phone": o.phone, "town": "", "district": "Kebayoran Baru", "city": o.city,
                "state": o.province, "region": "ID", "zipcode": "12110",
                "full_address": f"Jl. Melawai Raya No. 12, Kebayoran Baru, {o.city}, {o.province}, ID, 12110",
            },
            "item_list": [
                {"item_id": 1000 + i, "item_name": f"Produk {sku}", "item_sku": sku, "model_id": 0, "model_name": "",
                 "model_sku": sku, "model_quantity_purchased": qty, "model_original_price": float(price),
                 "model_discounted_price": float(price), "wholesale": False, "weight": 0.3}
                for i, (sku, qty, price) in enumerate(o.lines)
            ],
            "package_list": [{"package_number": f"OFG{o.order_id}", "logistics_status": "LOGISTICS_READY",
                              "shipping_carrier": "SPX Standard"}],
        }

    # TikTok ------------------------------------------------------------------------------
    def _tiktok(self, method: str, path: str, query: dict, body: bytes, environ):
        c = self.creds
        params = {k: v for k, v in query.items() if k not in ("sign", "access_token")}
        base = c.tiktok_app_secret + path + "".join(f"{k}{params[k]}" for k in sorted(params))
        expected = _hmac(c.tiktok_app_secret, base.encode() + body + c.tiktok_app_secret.encode())
        if (
            query.get("app_key") != c.tiktok_app_key
            or environ.get("HTTP_X_TTS_ACCESS_TOKEN") != c.tiktok_access_token
            or not hmac.compare_digest(expected, query.get("sign", ""))
        ):
            return 401, {"code": 106001, "message": "Invalid signature", "data": None}
        if abs(time.time() - int(query.get("timestamp", "0"))) > self.max_clock_skew:
            return 401, {"code": 106002, "message": "timestamp expired", "data": None}
        ok = {"code": 0, "message": "Success", "request_id": uuid.uuid4().hex}
        if path == "/order/202309/orders" and method == "GET":
            wanted = [s for s in query.get("ids", "").split(",") if s]
            if not 1 <= len(wanted) <= 50:
                return 400, {"code": 36009001, "message": "ids must hold 1-50 orders", "data": None}
            found = [o for o in (self._lookup("tiktok", i) for i in wanted) if o is not None]
            return 200, {**ok, "data": {"orders": [self._tiktok_order(o) for o in found]}}
        if path == "/order/202309/orders/search" and method == "POST":
            criteria = json.loads(body or b"{}")
            ge, lt = criteria.get("update_time_ge", 0), criteria.get("update_time_lt", 2**40)
            rows = sorted((o for o in self._orders_of("tiktok") if ge <= o.update_time < lt),
                          key=lambda o: (o.update_time, o.order_id))
            size = min(int(query.get("page_size") or 20), 100)
            offset = int(query.get("page_token") or 0)
            page = rows[offset : offset + size]
            token = str(offset + size) if offset + size < len(rows) else ""
            return 200, {**ok, "data": {"orders": [self._tiktok_order(o) for o in page],
                                        "next_page_token": token, "total_count": len(rows)}}
        if path.startswith("/product/202309/products/") and path.endswith("/inventory/update") and method == "POST":
            payload = json.loads(body)
            with self.lock:
                self.stock_updates.append(("tiktok", {"product_id": path.split("/")[4], **payload}))
            errors = [{"code": 17019001, "message": "sku is not active", "detail": {"sku_id": s["id"]}}
                      for s in payload.get("skus", []) if str(s["id"]) in self.stock_failures]
            return 200, {**ok, "data": {"errors": errors}}
        return 404, {"code": 40400, "message": path, "data": None}

    def _tiktok_order(self, o: FakeOrder) -> dict:
        units = []
        for i, (sku, qty, price) in enumerate(o.lines):
            for u in range(qty):
                units.append({
                    "id": f"{o.order_id}{i}{u}", "sku_id": f"17{i:05d}", "seller_sku": sku,
                    "product_id": f"172{i:05d}", "product_name": f"Produk {sku}", "sku_name": "",
                    "original_price": str(price), "sale_price": str(price), "currency": "IDR",
                    "display_status": o.status,
                })
        return {
            "id": o.order_id, "status": o.status, "create_time": o.create_time, "update_time": o.update_time,
            "paid_time": o.create_time + 30 if o.status != "UNPAID" else None, "rts_sla_time": o.create_time + 86400,
            "is_cod": o.cod, "payment_method_name": "DANA", "buyer_email": "v3x1@scs.tiktokw.us",
            "shipping_provider": "J&T Express", "tracking_number": "", "cancel_reason": "",
            "payment": {"currency": "IDR", "sub_total": str(o.subtotal), "shipping_fee": str(o.shipping_fee),
                        "seller_discount": "0", "platform_discount": "0",
                        "total_amount": str(o.subtotal + o.shipping_fee)},
            "recipient_address": {
                "name": o.buyer, "phone_number": f"(+62){o.phone[2:]}", "postal_code": "12110",
                "full_address": f"Jl. Melawai Raya No. 12, {o.city}, {o.province}",
                "district_info": [{"address_level_name": "Country", "address_name": "Indonesia"},
                                  {"address_level_name": "Province", "address_name": o.province},
                                  {"address_level_name": "City", "address_name": o.city}],
            },
            "line_items": units,
        }

    # Lazada ------------------------------------------------------------------------------
    def _lazada(self, method: str, path: str, query: dict, body: bytes):
        c = self.creds
        params = dict(query)
        if method == "POST":
            params.update(dict(parse_qsl(body.decode(), keep_blank_values=True)))
        base = path + "".join(f"{k}{params[k]}" for k in sorted(params) if k != "sign")
        expected = _hmac(c.lazada_app_secret, base.encode()).upper()
        if params.get("app_key") != c.lazada_app_key or not hmac.compare_digest(expected, params.get("sign", "")):
            return 200, {"code": "IncompleteSignature", "type": "ISV", "message": "Bad signature"}
        if params.get("access_token") != c.lazada_access_token:
            return 200, {"code": "IllegalAccessToken", "type": "ISV", "message": "Invalid token"}
        if path == "/order/get":
            o = self._lookup("lazada", params.get("order_id", ""))
            return 200, {"code": "0", "request_id": uuid.uuid4().hex, "data": self._lazada_order(o) if o else {}}
        if path == "/orders/items/get":
            ids = [str(i) for i in json.loads(params.get("order_ids", "[]"))]
            found = [o for o in (self._lookup("lazada", i) for i in ids) if o is not None]
            return 200, {"code": "0", "data": [{"order_id": int(o.order_id), "order_number": int(o.order_id),
                                                "order_items": self._lazada_items(o)} for o in found]}
        if path == "/orders/get":
            def parse(value: str) -> int:
                from datetime import datetime

                return int(datetime.fromisoformat(value).timestamp())

            after = parse(params["update_after"])
            before = parse(params.get("update_before") or "2100-01-01T00:00:00+00:00")
            rows = sorted((o for o in self._orders_of("lazada") if after <= o.update_time <= before),
                          key=lambda o: (o.update_time, o.order_id))
            offset, limit = int(params.get("offset") or 0), min(int(params.get("limit") or 100), 100)
            page = rows[offset : offset + limit]
            return 200, {"code": "0", "data": {"count": len(page), "countTotal": len(rows),
                                               "orders": [self._lazada_order(o) for o in page]}}
        if path == "/product/stock/sellable/update" and method == "POST":
            payload = params.get("payload", "")
            with self.lock:
                self.stock_updates.append(("lazada", {"payload": payload}))
            failed = [s for s in self.stock_failures if f"<SellerSku>{s}</SellerSku>" in payload]
            if failed:
                return 200, {"code": "500", "message": "some skus failed",
                             "detail": [{"seller_sku": s, "message": "SKU not found"} for s in failed]}
            return 200, {"code": "0", "request_id": uuid.uuid4().hex}
        return 200, {"code": "InvalidApiPath", "message": path}

    # Tokopedia ---------------------------------------------------------------------------
    def _tokopedia(self, method: str, path: str, query: dict, body: bytes, environ):
        c = self.creds
        if environ.get("HTTP_AUTHORIZATION") != f"Bearer {c.tokopedia_access_token}":
            return 401, {"header": {"error_code": "UNAUTHORIZED", "reason": "invalid token"}, "data": None}
        ok = {"header": {"process_time": 0.01, "messages": "Your request has been processed successfully"}}
        if path == f"/v2/fs/{c.tokopedia_fs_id}/order" and method == "GET":
            o = self._lookup("tokopedia", query.get("order_id", ""))
            return 200, {**ok, "data": self._tokopedia_order(o) if o else None}
        if path == "/v2/order/list" and method == "GET":
            start, end = int(query["from_date"]), int(query["to_date"])
            if end - start > 3 * 86400 + 1:
                return 400, {"header": {"error_code": "BAD_REQUEST", "reason": "range over 3 days"}, "data": None}
            rows = sorted((o for o in self._orders_of("tokopedia") if start <= o.update_time < end),
                          key=lambda o: (o.update_time, o.order_id))
            page, per_page = int(query.get("page") or 1), min(int(query.get("per_page") or 50), 100)
            chunk = rows[(page - 1) * per_page : page * per_page]
            return 200, {**ok, "data": [{"order_id": int(o.order_id)} for o in chunk]}
        if path == f"/inventory/v1/fs/{c.tokopedia_fs_id}/stock/update" and method == "POST":
            rows = json.loads(body)
            with self.lock:
                self.stock_updates.append(("tokopedia", {"shop_id": query.get("shop_id"), "rows": rows}))
            failed = [r for r in rows if str(r["product_id"]) in self.stock_failures]
            return 200, {**ok, "data": {"failed_rows": len(failed), "succeed_rows": len(rows) - len(failed),
                                        "failed_rows_data": [{"product_id": r["product_id"], "message": "not found"}
                                                             for r in failed]}}
        return 404, {"header": {"error_code": "NOT_FOUND", "reason": path}, "data": None}

    def _tokopedia_order(self, o: FakeOrder) -> dict:
        from datetime import UTC, datetime

        def iso(epoch: int) -> str:
            return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

        return {
            "order_id": int(o.order_id), "order_status": int(o.status), "shop_id": int(self.creds.tokopedia_shop_id),
            "create_time": iso(o.create_time), "update_time": iso(o.update_time),
            "open_amt": o.subtotal + o.shipping_fee, "item_price": o.subtotal,
            "buyer_info": {"buyer_id": 8970001, "buyer_fullname": o.buyer, "buyer_phone": o.phone,
                           "buyer_email": "pembeli@example.id"},
            "recipient": {"name": o.buyer, "phone": o.phone, "address": {
                "address_full": f"Jl. Melawai Raya No. 12, {o.city}, {o.province}", "district": "Kebayoran Baru",
                "city": o.city, "province": o.province, "country": "Indonesia", "postal_code": "12110"}},
            "payment_info": {"gateway_name": "BCA Virtual Account",
                             "payment_date": iso(o.create_time + 30) if int(o.status) >= 220 else ""},
            "order_info": {
                "order_detail": [{"order_detail_id": int(f"{o.order_id}{i}"), "product_id": 2000 + i,
                                  "product_name": f"Produk {sku}", "sku": sku, "quantity": qty,
                                  "product_price": price, "subtotal_price": qty * price}
                                 for i, (sku, qty, price) in enumerate(o.lines)],
                "shipping_info": {"logistic_name": "JNE Reguler", "shipping_price": o.shipping_fee, "awb": ""},
            },
        }

    @staticmethod
    def _lazada_time(epoch: int) -> str:
        from datetime import datetime, timedelta, timezone

        return datetime.fromtimestamp(epoch, tz=timezone(timedelta(hours=7))).strftime("%Y-%m-%d %H:%M:%S +0700")

    def _lazada_order(self, o: FakeOrder) -> dict:
        first, _sep, last = o.buyer.partition(" ")
        return {
            "order_id": int(o.order_id), "order_number": int(o.order_id), "statuses": [o.status],
            "created_at": self._lazada_time(o.create_time), "updated_at": self._lazada_time(o.update_time),
            "price": f"{o.subtotal:.2f}", "shipping_fee": float(o.shipping_fee), "voucher": 0.0,
            "payment_method": "COD" if o.cod else "MIXEDCARD", "items_count": sum(q for _s, q, _p in o.lines),
            "customer_first_name": first, "customer_last_name": last,
            "address_shipping": {"first_name": first, "last_name": last, "phone": o.phone,
                                 "address1": "Jl. Melawai Raya No. 12", "address3": o.province,
                                 "city": o.city, "post_code": "12110", "country": "Indonesia"},
        }

    def _lazada_items(self, o: FakeOrder) -> list[dict]:
        items = []
        for i, (sku, qty, price) in enumerate(o.lines):
            for u in range(qty):
                items.append({
                    "order_item_id": int(f"{o.order_id}{i}{u}"), "order_id": int(o.order_id), "sku": sku,
                    "shop_sku": f"{3000 + i}_ID-{5000 + i}", "sku_id": str(5000 + i), "product_id": str(3000 + i),
                    "name": f"Produk {sku}", "item_price": float(price), "paid_price": float(price),
                    "voucher_amount": 0.0, "status": o.status, "shipment_provider": "LEX ID",
                    "tracking_code": "",
                })
        return items


def main() -> None:
    """Serve a sandbox marketplace until interrupted: python -m marketplaces.sandbox --port 8701."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--port", type=int, default=8701)
    parser.add_argument("--auto-orders", default="", help="invent orders whose id starts with this prefix")
    args = parser.parse_args()
    fake = FakeMarketplace(auto_orders=args.auto_orders).start(port=args.port)
    print(f"fake marketplace on {fake.url}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":
    main()
