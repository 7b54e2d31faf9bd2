"""Shopee's own airway bill: create, wait until ready, download, store; errors in words."""

import json
import threading
from wsgiref.simple_server import make_server

import pytest

from core.errors import DomainError
from marketplaces.sandbox import Credentials, _QuietHandler, _ThreadingServer
from shipping.services.marketplace_docs import marketplace_document_fetch
from shipping.services.shipments import shipment_create

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n% fake airway bill\n%%EOF\n"


class FakeShopeeLogistics:
    def __init__(self, *, ready_after: int = 1, answer_pdf: bool = True):
        self.ready_after, self.answer_pdf = ready_after, answer_pdf
        self.calls: list[tuple[str, dict, dict]] = []

    def app(self, environ, start_response):
        from urllib.parse import parse_qs

        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        body = json.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)) or b"{}")
        path = environ["PATH_INFO"]
        self.calls.append((path, query, body))
        if not all(query.get(k) for k in ("partner_id", "timestamp", "sign", "shop_id")):
            return self._json(start_response, {"error": "error_auth", "message": "no sign"})
        if path.endswith("create_shipping_document"):
            return self._json(start_response, {"response": {"result_list": [{"order_sn": body["order_list"][0][
                "order_sn"]}]}, "error": ""})
        if path.endswith("get_shipping_document_result"):
            status = "READY" if len([c for c in self.calls if c[0] == path]) >= self.ready_after else "PROCESSING"
            return self._json(start_response, {"response": {"result_list": [{"status": status}]}, "error": ""})
        if path.endswith("download_shipping_document"):
            if not self.answer_pdf:
                return self._json(start_response, {"error": "logistics.error", "message": "document not found"})
            start_response("200 OK", [("Content-Type", "application/pdf"), ("Content-Length", str(len(PDF)))])
            return [PDF]
        return self._json(start_response, {"error": "not_found"})

    @staticmethod
    def _json(start_response, payload):
        data = json.dumps(payload).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
        return [data]

    def __enter__(self):
        self.server = make_server("127.0.0.1", 0, self.app, server_class=_ThreadingServer, handler_class=_QuietHandler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def shopee_order(place_order, shopee_channel, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    shopee_channel.set_credentials(Credentials().for_channel("shopee"))
    shopee_channel.save()
    order = place_order(channel=shopee_channel)
    order.external_id = "220810QSK8S7BX"
    order.save(update_fields=["external_id"])
    return order


def test_the_shopee_airway_bill_is_fetched_when_ready_and_stored(shopee_order, jne):
    with FakeShopeeLogistics(ready_after=2) as fake:
        channel = shopee_order.channel
        channel.api_base_url = f"http://127.0.0.1:{fake.server.server_port}"
        channel.save(update_fields=["api_base_url"])
        shipment = shipment_create(order_id=shopee_order.pk, courier_id=jne.pk, tracking_number="SPXID001")
        slept = []
        fetched = marketplace_document_fetch(shipment_id=shipment.pk, sleep=slept.append)
    assert fetched.marketplace_document.read() == PDF
    paths = [c[0].rsplit("/", 1)[1] for c in fake.calls]
    assert paths == ["create_shipping_document", "get_shipping_document_result", "get_shipping_document_result",
                     "download_shipping_document"]
    assert fake.calls[0][2]["order_list"][0] == {"order_sn": "220810QSK8S7BX", "tracking_number": "SPXID001",
                                                 "shipping_document_type": "THERMAL_AIR_WAYBILL"}
    assert len(slept) == 1


def test_a_download_that_is_not_a_pdf_is_a_clear_error_and_nothing_is_stored(shopee_order):
    with FakeShopeeLogistics(answer_pdf=False) as fake:
        channel = shopee_order.channel
        channel.api_base_url = f"http://127.0.0.1:{fake.server.server_port}"
        channel.save(update_fields=["api_base_url"])
        shipment = shipment_create(order_id=shopee_order.pk)
        with pytest.raises(DomainError, match="not a PDF"):
            marketplace_document_fetch(shipment_id=shipment.pk, sleep=lambda s: None)
    shipment.refresh_from_db()
    assert not shipment.marketplace_document


def test_a_channel_without_documents_says_to_print_our_label(place_order):
    shipment = shipment_create(order_id=place_order().pk)
    with pytest.raises(DomainError, match="print our label"):
        marketplace_document_fetch(shipment_id=shipment.pk)
