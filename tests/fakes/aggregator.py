"""A fake Biteship + KiriminAja API over real HTTP on 127.0.0.1, for tests and the tracking-poll benchmark.

It checks each request's authentication (Biteship `authorization: <key>`; KiriminAja
`Authorization: Bearer <key>`) and the shape of the body (the fields the providers require,
weights in grams as integers), answers in the providers' shapes, and can misbehave on purpose:
`mode = "down"` (HTTP 500), `"garbage"` (200 with HTML), `"slow"` (answers after `delay` seconds),
`"bad_price"` (a price that is not a number). `rate_limit` answers 429 when more than that many
requests arrive within one second, and counts them in `limited`.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections import deque
from wsgiref.simple_server import make_server

from marketplaces.sandbox import _QuietHandler, _ThreadingServer

BITESHIP_KEY = "biteship_test.fake-key"
KIRIMINAJA_KEY = "ka-fake-key"
TRACK = re.compile(r"^/v1/trackings/(?P<waybill>[^/]+)/couriers/(?P<courier>[^/]+)$")


class FakeAggregator:
    def __init__(self, *, biteship_key: str = BITESHIP_KEY, kiriminaja_key: str = KIRIMINAJA_KEY,
                 rate_limit: int | None = None) -> None:
        self.biteship_key, self.kiriminaja_key = biteship_key, kiriminaja_key
        self.rate_limit = rate_limit
        self.mode = ""
        self.delay = 0.0
        self.requests: list[tuple[str, str, dict]] = []
        self.orders: dict[str, dict] = {}
        # waybill -> (status, history rows); a default history when unknown
        self.tracking: dict[str, tuple[str, list[dict]]] = {}
        self.limited = 0
        self.served = 0
        self._recent: deque[float] = deque()
        self.lock = threading.Lock()
        self._server = None

    def __enter__(self) -> FakeAggregator:
        self._server = make_server("127.0.0.1", 0, self.app, server_class=_ThreadingServer,
                                   handler_class=_QuietHandler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    # --- WSGI ----------------------------------------------------------------------------------
    def app(self, environ, start_response):
        path, method = environ["PATH_INFO"], environ["REQUEST_METHOD"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        with self.lock:
            if self.rate_limit:
                now = time.monotonic()
                while self._recent and now - self._recent[0] > 1.0:
                    self._recent.popleft()
                if len(self._recent) >= self.rate_limit:
                    self.limited += 1
                    return self._answer(start_response, 429, {"error": "Too many requests"})
                self._recent.append(now)
            mode, delay = self.mode, self.delay
        if mode == "slow":
            time.sleep(delay)
        if mode == "down":
            return self._answer(start_response, 500, {"error": "Internal Server Error"})
        if mode == "garbage":
            data = b"<html><body>502 Bad Gateway</body></html>"
            start_response("200 OK", [("Content-Type", "text/html"), ("Content-Length", str(len(data)))])
            return [data]
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            return self._answer(start_response, 400, {"success": False, "error": "invalid JSON"})
        with self.lock:
            self.requests.append((method, path, body))
            self.served += 1
        if path.startswith("/v1/"):
            if environ.get("HTTP_AUTHORIZATION") != self.biteship_key:
                return self._answer(start_response, 401, {"success": False, "error": "Authorization failed",
                                                          "code": 40101001})
            return self._biteship(method, path, body, start_response, mode)
        if path.startswith("/api/mitra/"):
            if environ.get("HTTP_AUTHORIZATION") != f"Bearer {self.kiriminaja_key}":
                return self._answer(start_response, 401, {"status": False, "text": "Unauthorized"})
            return self._kiriminaja(path, body, start_response, mode)
        return self._answer(start_response, 404, {"error": "not found"})

    # --- Biteship -------------------------------------------------------------------------------
    def _biteship(self, method, path, body, start_response, mode):
        if method == "POST" and path == "/v1/rates/couriers":
            problems = self._check_items(body.get("items"))
            if not (body.get("origin_postal_code") or body.get("origin_area_id")):
                problems.append("origin is required")
            if not (body.get("destination_postal_code") or body.get("destination_area_id")):
                problems.append("destination is required")
            if not body.get("couriers"):
                problems.append("couriers is required")
            if problems:
                return self._answer(start_response, 400, {"success": False, "error": "; ".join(problems)})
            weight = sum(i["weight"] * i.get("quantity", 1) for i in body["items"])
            kilos = max(-(-weight // 1000), 1)
            price = "sembilan ribu" if mode == "bad_price" else 9000 * kilos
            return self._answer(start_response, 200, {"success": True, "pricing": [
                {"courier_name": "JNE", "courier_code": "jne", "courier_service_name": "Reguler",
                 "courier_service_code": "reg", "price": price, "duration": "1 - 2 days",
                 "shipment_duration_range": "1 - 2", "shipment_duration_unit": "days",
                 "available_for_cash_on_delivery": True, "available_for_insurance": True},
                {"courier_name": "SiCepat", "courier_code": "sicepat", "courier_service_name": "BEST",
                 "courier_service_code": "best", "price": 15000 * kilos, "duration": "1 days",
                 "shipment_duration_range": "1", "shipment_duration_unit": "days",
                 "available_for_cash_on_delivery": False, "available_for_insurance": True},
            ]})
        if method == "POST" and path == "/v1/orders":
            required = ("origin_contact_name", "origin_contact_phone", "origin_address", "destination_contact_name",
                        "destination_contact_phone", "destination_address", "courier_company", "courier_type")
            problems = [f"{f} is required" for f in required if not body.get(f)]
            problems += self._check_items(body.get("items"))
            if problems:
                return self._answer(start_response, 400, {"success": False, "error": "; ".join(problems)})
            order_id = uuid.uuid4().hex[:24]
            waybill = f"WYB-{order_id[:10].upper()}"
            self.orders[order_id] = body
            return self._answer(start_response, 200, {
                "success": True, "id": order_id, "price": 18000, "status": "confirmed",
                "courier": {"tracking_id": uuid.uuid4().hex[:12], "waybill_id": waybill,
                            "company": body["courier_company"], "type": body["courier_type"],
                            "routing_code": "CGK-BDO-01"}})
        if method == "POST" and path.startswith("/v1/orders/") and path.endswith("/cancel"):
            return self._answer(start_response, 200, {"success": True, "status": "cancelled"})
        match = TRACK.match(path)
        if method == "GET" and match:
            status, history = self.tracking.get(match["waybill"], ("in_transit", [
                {"note": "Paket diterima di gudang sortir", "status": "picked",
                 "updated_at": "2026-11-20T09:00:00+07:00"},
                {"note": "Paket dalam perjalanan", "status": "in_transit", "updated_at": "2026-11-20T20:00:00+07:00"},
            ]))
            return self._answer(start_response, 200, {"success": True, "waybill_id": match["waybill"],
                                                      "courier": {"company": match["courier"]}, "status": status,
                                                      "history": history})
        return self._answer(start_response, 404, {"success": False, "error": "not found"})

    @staticmethod
    def _check_items(items) -> list[str]:
        if not isinstance(items, list) or not items:
            return ["items is required"]
        problems = []
        for item in items:
            if not isinstance(item.get("weight"), int) or item["weight"] <= 0:
                problems.append("items.weight must be a whole number of grams")
            if not isinstance(item.get("value"), int):
                problems.append("items.value must be a whole number")
        return problems

    # --- KiriminAja -----------------------------------------------------------------------------
    def _kiriminaja(self, path, body, start_response, mode):
        if path == "/api/mitra/v6.1/shipping_price":
            required = ("origin", "destination", "weight", "item_value", "courier")
            problems = [f"{f} is required" for f in required if body.get(f) in (None, "", [])]
            if not isinstance(body.get("weight"), int):
                problems.append("weight must be grams")
            if problems:
                return self._answer(start_response, 422, {"status": False, "text": "; ".join(problems)})
            kilos = max(-(-body["weight"] // 1000), 1)
            return self._answer(start_response, 200, {"status": True, "method": "shipping_price", "results": [
                {"service": "jne", "service_name": "JNE", "service_type": "REG", "cost": str(8500 * kilos),
                 "etd": "2-3", "cod": True, "group": "regular", "drop": False, "cut_off_time": None},
                {"service": "sicepat", "service_name": "SiCepat", "service_type": "GOKIL", "cost": str(30000),
                 "etd": "3-5", "cod": False, "group": "cargo", "drop": True, "cut_off_time": None},
            ]})
        if path == "/api/mitra/v6.1/request_pickup":
            packages = body.get("packages")
            problems = [f"{f} is required" for f in ("address", "phone", "name", "kecamatan_id", "schedule")
                        if not body.get(f)]
            if not isinstance(packages, list) or not packages:
                problems.append("packages is required")
            else:
                for package in packages:
                    if len(str(package.get("order_id") or "")) > 20 or not package.get("order_id"):
                        problems.append("order_id must be 1-20 characters")
                    if not str(package.get("destination_phone", "")).startswith(("62", "08")):
                        problems.append("destination_phone must start with 62 or 08")
            if problems:
                return self._answer(start_response, 422, {"status": False, "text": "; ".join(problems)})
            for package in packages:
                self.orders[package["order_id"]] = package
            return self._answer(start_response, 200, {"status": True, "text": "Request pickup berhasil",
                                                      "method": "request_pickup",
                                                      "details": {"pickup_number": "XID-" + uuid.uuid4().hex[:8]}})
        if path == "/api/mitra/tracking":
            order_id = str(body.get("order_id") or "")
            status, history = self.tracking.get(order_id, ("shipped", [
                {"created_at": "2026-11-20 09:00:00", "status": "Paket telah dijemput",
                 "status_code": "shipped_packages"},
            ]))
            return self._answer(start_response, 200, {"status": True, "details": {"status": status},
                                                      "histories": history})
        return self._answer(start_response, 404, {"status": False, "text": "not found"})

    @staticmethod
    def _answer(start_response, status: int, payload: dict):
        data = json.dumps(payload).encode()
        reasons = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 422: "Unprocessable Entity",
                   429: "Too Many Requests", 500: "Internal Server Error"}
        start_response(f"{status} {reasons[status]}", [("Content-Type", "application/json"),
                                                       ("Content-Length", str(len(data)))])
        return [data]
