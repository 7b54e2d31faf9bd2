"""A fake Midtrans Snap + Xendit invoice API over real HTTP on 127.0.0.1.

It checks each request's Basic authentication (server key / secret key with an empty password),
the body's required fields and Midtrans's rule that an order_id is used once, and answers in the
providers' shapes (Snap: 201 {token, redirect_url}; Xendit: 200 {id, external_id, status,
invoice_url, ...}). `lose_next` makes it create a page and then answer 502, as when the answer is
lost on the way back.
"""

from __future__ import annotations

import base64
import json
import threading
import uuid
from wsgiref.simple_server import make_server

from marketplaces.sandbox import _QuietHandler, _ThreadingServer


class FakeGateway:
    def __init__(self, *, server_key: str = "SB-Mid-server-test", xendit_key: str = "xnd_development_test") -> None:
        self.server_key, self.xendit_key = server_key, xendit_key
        self.snap_orders: dict[str, dict] = {}
        self.invoices: dict[str, dict] = {}
        self.requests: list[tuple[str, dict]] = []
        self.lose_next = 0
        self.down = False
        self.lock = threading.Lock()
        self._server = None
        self._thread = None

    # --- lifecycle -------------------------------------------------------------------------------
    def __enter__(self) -> FakeGateway:
        self._server = make_server("127.0.0.1", 0, self.app, server_class=_ThreadingServer,
                                   handler_class=_QuietHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
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
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return self._answer(start_response, 400, {"error_messages": ["invalid JSON"]})
        with self.lock:
            self.requests.append((path, body))
            if self.down:
                return self._answer(start_response, 503, {"error_messages": ["Service unavailable"]})
            if method == "POST" and path == "/snap/v1/transactions":
                return self._snap(environ, start_response, body)
            if method == "POST" and path == "/v2/invoices":
                return self._invoice(environ, start_response, body)
        return self._answer(start_response, 404, {"error_messages": ["not found"]})

    def _authorised(self, environ, key: str) -> bool:
        expected = "Basic " + base64.b64encode(f"{key}:".encode()).decode()
        return environ.get("HTTP_AUTHORIZATION") == expected

    def _snap(self, environ, start_response, body):
        if not self._authorised(environ, self.server_key):
            return self._answer(start_response, 401, {"error_messages": [
                "Access denied due to unauthorized transaction, please check client or server key"]})
        details = body.get("transaction_details") or {}
        order_id, amount = details.get("order_id"), details.get("gross_amount")
        if not order_id or not isinstance(amount, int) or amount <= 0:
            return self._answer(start_response, 400, {"error_messages": ["transaction_details is invalid"]})
        if order_id in self.snap_orders:
            return self._answer(start_response, 400, {"error_messages": [
                "transaction_details.order_id sudah digunakan"]})
        token = str(uuid.uuid4())
        self.snap_orders[order_id] = {"token": token, "body": body}
        if self.lose_next:
            self.lose_next -= 1
            return self._answer(start_response, 502, {})
        return self._answer(start_response, 201, {
            "token": token, "redirect_url": f"{self.url}/snap/v3/redirection/{token}"})

    def _invoice(self, environ, start_response, body):
        if not self._authorised(environ, self.xendit_key):
            return self._answer(start_response, 401, {"error_code": "INVALID_API_KEY",
                                                      "message": "API key is not authorized for this API service"})
        if not body.get("external_id") or not isinstance(body.get("amount"), int):
            return self._answer(start_response, 400, {"error_code": "API_VALIDATION_ERROR",
                                                      "message": "external_id and amount are required"})
        invoice_id = uuid.uuid4().hex[:24]
        invoice = {"id": invoice_id, "external_id": body["external_id"], "status": "PENDING",
                   "amount": body["amount"], "currency": body.get("currency", "IDR"),
                   "invoice_url": f"{self.url}/web/{invoice_id}", "expiry_date": "2026-11-24T10:00:00.000Z"}
        self.invoices[invoice_id] = {"body": body, **invoice}
        if self.lose_next:
            self.lose_next -= 1
            return self._answer(start_response, 502, {})
        return self._answer(start_response, 200, invoice)

    @staticmethod
    def _answer(start_response, status: int, payload: dict):
        data = json.dumps(payload).encode()
        reason = {200: "OK", 201: "Created", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found",
                  502: "Bad Gateway", 503: "Service Unavailable"}[status]
        start_response(f"{status} {reason}", [("Content-Type", "application/json"),
                                              ("Content-Length", str(len(data)))])
        return [data]
