"""The request guard: NUL in query strings and forms, upload limits before and while reading,
backends gone -> 503, values out of range -> 400."""

from __future__ import annotations

import io
import tracemalloc

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import OperationalError, close_old_connections
from django.test import override_settings
from django.urls import reverse

from core import roles
from payments.models import PaymentProof
from payments.services.opening import payment_open
from tests.payments.factories import make_order

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/dashboard/orders/?q=a%00b", "/api/v1/orders/?q=%00", "/track/?x=%00",
                                  "/dashboard/catalog/?search=%00"])
def test_a_nul_byte_in_any_query_string_is_a_400_with_a_message(staff_client, path):
    client = staff_client(roles.OWNER)
    response = client.get(path)

    assert response.status_code == 400
    assert b"NUL" in response.content


def test_the_api_answers_a_nul_byte_with_its_json_error_body(api_client):
    response = api_client(roles.OWNER).get("/api/v1/payments/?order=%00")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_query"


def test_a_nul_byte_in_a_dashboard_form_is_a_400(staff_client):
    client = staff_client(roles.OWNER)

    response = client.post(reverse("track:lookup"), {"number": "ORD\x00", "contact": "x"})

    assert response.status_code == 400


class ExplodingInput(io.RawIOBase):
    """A request body that must never be read."""

    def read(self, size=-1):
        raise AssertionError("the body was read")

    readinto = read


class ZeroStream(io.RawIOBase):
    """`size` bytes of a multipart body produced on demand, so the test itself holds no copy."""

    def __init__(self, head: bytes, size: int, tail: bytes) -> None:
        self.head, self.size, self.tail, self.sent = head, size, tail, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        total = len(self.head) + self.size + len(self.tail)
        if self.sent >= total:
            return 0
        n = min(len(buffer), total - self.sent)
        chunk = bytearray(n)
        for i in range(n):  # only the head and tail carry bytes that are not zeros
            pos = self.sent + i
            if pos < len(self.head):
                chunk[i] = self.head[pos]
            elif pos >= len(self.head) + self.size:
                chunk[i] = self.tail[pos - len(self.head) - self.size]
        buffer[:n] = chunk
        self.sent += n
        return n


def _environ(path: str, stream, length: int, boundary: str = "BOUNDARY") -> dict:
    return {
        "REQUEST_METHOD": "POST", "PATH_INFO": path, "SERVER_NAME": "testserver", "SERVER_PORT": "80",
        "wsgi.url_scheme": "http", "wsgi.input": stream, "wsgi.errors": io.StringIO(),
        "CONTENT_TYPE": f"multipart/form-data; boundary={boundary}", "CONTENT_LENGTH": str(length),
        "REMOTE_ADDR": "127.0.0.1",
    }


def _call(environ: dict) -> tuple[int, bytes]:
    """Through the real WSGI handler, keeping the test's connection like Django's test client does."""
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"] = int(status.split()[0])

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        body = b"".join(WSGIHandler()(environ, start_response))
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return seen["status"], body


@pytest.fixture
def proof_url():
    order = make_order(total=150_000)
    payment_open(order_id=order.pk)
    return reverse("payments-pay:proof", kwargs={"number": order.number, "key": order.access_key})


def test_an_upload_declared_larger_than_the_limit_is_refused_before_a_byte_is_read(proof_url):
    # Given a 700 MB proof of transfer announced by its Content-Length
    environ = _environ(proof_url, ExplodingInput(), 700 * 1024 * 1024)

    # When it reaches the app, Then it is refused with 413 and the body is never read
    status, body = _call(environ)

    assert status == 413
    assert b"MB" in body
    assert not PaymentProof.objects.exists()


@override_settings(PAYMENTS_PROOF_MAX_BYTES=1024 * 1024)
def test_an_upload_over_the_limit_is_streamed_with_a_cap_and_never_held_in_memory(proof_url):
    # Given a body within the declared allowance whose file part is over the 1 MB limit
    boundary = "BOUNDARY"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n"
            "Content-Type: image/png\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    size = 1024 * 1024 + 40 * 1024
    stream = ZeroStream(head, size, tail)

    # When it is posted
    tracemalloc.start()
    status, _body = _call(_environ(proof_url, stream, len(head) + size + len(tail), boundary))
    _now, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    # Then it is refused at the limit, and memory stayed bounded by the limit plus a chunk
    assert status == 413
    assert peak < 3 * 1024 * 1024
    assert not PaymentProof.objects.exists()


def test_a_png_with_html_appended_is_stored_as_a_clean_image(client, proof_url):
    from PIL import Image

    image = io.BytesIO()
    Image.new("RGB", (20, 20), (200, 10, 10)).save(image, format="PNG")
    evil = image.getvalue() + b"<html><script>alert(document.cookie)</script></html>"
    upload = io.BytesIO(evil)
    upload.name = "bukti.png"

    response = client.post(proof_url, {"file": upload, "sender_name": "Budi"})

    assert response.status_code == 302
    proof = PaymentProof.objects.get()
    stored = proof.file.read()
    assert b"<script" not in stored and b"<html" not in stored
    assert Image.open(io.BytesIO(stored)).size == (20, 20)


def test_a_pdf_proof_is_served_as_an_attachment_with_nosniff(client, staff_client, proof_url):
    pdf = b"%PDF-1.4\n1 0 obj<</Type/Catalog/OpenAction<</S/JavaScript/JS(app.alert(1))>>>>endobj\n%%EOF\n"
    upload = io.BytesIO(pdf)
    upload.name = "bukti.pdf"
    assert client.post(proof_url, {"file": upload}).status_code == 302
    proof = PaymentProof.objects.get()

    response = staff_client(roles.FINANCE).get(reverse("payments:proof-file", args=[proof.pk]))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


def test_media_serves_product_photos_only_with_safe_headers(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "products" / "1").mkdir(parents=True)
    (tmp_path / "products" / "1" / "a.jpg").write_bytes(b"\xff\xd8\xff fake")
    (tmp_path / "payment-proofs" / "1").mkdir(parents=True)
    (tmp_path / "payment-proofs" / "1" / "p.png").write_bytes(b"secret")
    (tmp_path / "statements").mkdir()
    (tmp_path / "statements" / "mutasi.csv").write_bytes(b"secret")

    photo = client.get("/media/products/1/a.jpg")
    assert photo.status_code == 200
    assert photo["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in photo["Content-Security-Policy"]
    for private in ("/media/payment-proofs/1/p.png", "/media/statements/mutasi.csv",
                    "/media/products/../statements/mutasi.csv"):
        assert client.get(private).status_code == 404


def test_an_unreachable_database_in_a_view_is_a_fast_503_with_a_generic_body(client, monkeypatch):
    from orders import track_views

    def gone(*args, **kwargs):
        raise OperationalError("connection to server at 10.0.0.1 failed: secret detail")

    monkeypatch.setattr(track_views, "_order_for_customer", gone)

    response = client.get("/track/ORD-1/key/")

    assert response.status_code == 503
    assert response["Retry-After"]
    assert b"secret detail" not in response.content


def test_an_amount_beyond_bigint_reaching_the_database_is_a_400_not_a_500(staff_client, monkeypatch):
    from django.db import DataError

    from core import views

    def overflow(*args, **kwargs):
        raise DataError("value out of range for type bigint")

    monkeypatch.setattr(views, "render", overflow)

    response = staff_client(roles.OWNER).get("/dashboard/")

    assert response.status_code == 400
