"""The proof queue shows each image proof as a thumbnail served by the protected proof view (image/*,
inline, nosniff, sandboxed) and each PDF as an icon with a download link (an attachment)."""

from __future__ import annotations

import io
import re

import pytest
from django.urls import reverse

from core import roles
from payments.services.opening import payment_open
from payments.services.proofs import proof_upload
from tests.payments.factories import make_order

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def png_bytes() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_the_queue_shows_a_thumbnail_of_an_image_proof_that_answers_as_a_safe_inline_image(staff_client):
    image = proof_upload(payment_id=payment_open(order_id=make_order().pk).pk, data=png_bytes())
    finance = staff_client(roles.FINANCE)

    html = finance.get(reverse("payments:proofs")).content.decode()

    url = reverse("payments:proof-file", args=[image.pk])
    [thumb] = re.findall(rf'<img src="{re.escape(url)}"[^>]*class="proof-thumb[^"]*"', html)
    assert 'alt="' in thumb
    response = finance.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/")
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"].startswith("sandbox")
    assert b"".join(response.streaming_content)[:4] in (b"\x89PNG", b"\xff\xd8\xff\xe0", b"\xff\xd8\xff\xe1",
                                                         b"RIFF")


def test_a_pdf_proof_shows_an_icon_and_a_download_link_served_as_an_attachment(staff_client):
    pdf = proof_upload(payment_id=payment_open(order_id=make_order().pk).pk, data=PDF)
    finance = staff_client(roles.FINANCE)

    html = finance.get(reverse("payments:proofs"), HTTP_ACCEPT_LANGUAGE="id").content.decode()

    url = reverse("payments:proof-file", args=[pdf.pk])
    assert f'<img src="{url}"' not in html
    assert re.search(rf'<a href="{re.escape(url)}" download[^>]*>.*bi-file-earmark-pdf.*Unduh PDF', html)
    response = finance.get(url)
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_thumbnail_is_not_served_to_a_role_without_access_to_proofs(staff_client):
    image = proof_upload(payment_id=payment_open(order_id=make_order().pk).pk, data=png_bytes())

    response = staff_client(roles.WAREHOUSE).get(reverse("payments:proof-file", args=[image.pk]))

    assert response.status_code in (302, 403)
