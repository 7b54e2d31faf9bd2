"""Label PDFs parsed back: text with pypdf, barcodes decoded from a rendered page (pdfium + zxing)."""

import io

import pypdf
import pypdfium2
import pytest
import zxingcpp

from shipping import documents
from shipping.models import Shipment
from shipping.selectors import shipping_settings
from shipping.services.shipments import shipment_create

pytestmark = pytest.mark.django_db


def _decode(pdf: bytes, page: int = 0, scale: float = 4) -> list[str]:
    document = pypdfium2.PdfDocument(pdf)
    image = document[page].render(scale=scale).to_pil()
    return sorted(r.text for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.Code128)


@pytest.fixture
def label_shipments(place_order, jne):
    cod = place_order([("KAOS-L", 2), ("TOPI", 1)], cod=True)
    prepaid = place_order([("KAOS-L", 1)])
    first = shipment_create(order_id=cod.pk, courier_id=jne.pk, tracking_number="CM0123456789")
    second = shipment_create(order_id=prepaid.pk, courier_id=jne.pk, tracking_number="JP-77/äb")
    Shipment.objects.filter(pk=first.pk).update(weight_grams=1250, sort_code="CGK-BDO-01")
    return [Shipment.objects.select_related("order__channel", "courier", "service").get(pk=s.pk)
            for s in (first, second)]


def test_thermal_labels_carry_resi_order_cod_weight_and_items(label_shipments):
    data = [documents.label_data(s, cfg=shipping_settings()) for s in label_shipments]
    pdf = documents.labels_pdf(data, fmt="thermal")

    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 2
    width, height = (float(v) for v in reader.pages[0].mediabox.upper_right)
    assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (100, 150)
    first = reader.pages[0].extract_text()
    order = label_shipments[0].order
    for expected in ("Resi: CM0123456789", "COD Rp", "1,25 kg", "CGK-BDO-01", "Rina Kusuma", "Jl. Melati No. 5",
                     "2× KAOS-L", "1× TOPI", order.number, "Toko Rina"):
        assert expected in first, expected
    assert f"COD Rp {order.total_amount:,}".replace(",", ".") in first
    assert "NON-COD" in reader.pages[1].extract_text()

    assert _decode(pdf, 0) == sorted(["CM0123456789", order.number])
    # a resi is printed exactly as stored, whatever its shape
    assert "Resi: JP-77/äb" in reader.pages[1].extract_text()
    # reportlab's Code128 would drop the "ä": no barcode rather than one that scans as another resi
    assert _decode(pdf, 1) == [label_shipments[1].order.number]


def test_barcodes_decode_to_the_exact_resi_and_order_number(label_shipments):
    data = [documents.label_data(label_shipments[0], cfg=shipping_settings())]
    pdf = documents.labels_pdf(data)
    assert _decode(pdf) == sorted(["CM0123456789", label_shipments[0].order.number])


def test_a6_puts_four_labels_on_an_a4_page(label_shipments):
    data = [documents.label_data(label_shipments[0], cfg=shipping_settings())] * 5
    reader = pypdf.PdfReader(io.BytesIO(documents.labels_pdf(data, fmt="a6")))
    assert len(reader.pages) == 2
    assert reader.pages[0].extract_text().count("Resi: CM0123456789") == 4
    assert reader.pages[1].extract_text().count("Resi: CM0123456789") == 1


def test_a_label_for_an_order_without_address_is_refused(place_order):
    order = place_order(address="")
    shipment = shipment_create(order_id=order.pk)
    with pytest.raises(documents.LabelError, match=f"Order {order.number} has no shipping address"):
        documents.label_data(shipment, cfg=shipping_settings())


def test_zpl_has_code128_of_resi_and_order(label_shipments):
    zpl = documents.labels_zpl([documents.label_data(label_shipments[0], cfg=shipping_settings())])
    assert zpl.startswith("^XA") and zpl.rstrip().endswith("^XZ")
    assert "^BCN,140,Y,N,N^FDCM0123456789^FS" in zpl
    assert f"^FD{label_shipments[0].order.number}^FS" in zpl


def test_labels_page_downloads_one_pdf_and_stamps_the_print(client, make_user, label_shipments):
    from core import roles

    client.force_login(make_user(roles.WAREHOUSE))
    ids = ",".join(str(s.pk) for s in label_shipments)
    response = client.get(f"/dashboard/shipping/labels/?ids={ids}&format=thermal")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert len(pypdf.PdfReader(io.BytesIO(response.content)).pages) == 2
    assert not Shipment.objects.filter(label_printed_at__isnull=True).exists()


def test_labels_page_refuses_an_order_without_address_with_a_message(client, make_user, place_order):
    from core import roles
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    order = place_order(address="")
    client.force_login(make_user(roles.WAREHOUSE))
    response = client.get(f"/dashboard/shipping/labels/?orders={order.pk}", follow=True)
    assert response.status_code == 200
    assert "has no shipping address" in response.content.decode()
