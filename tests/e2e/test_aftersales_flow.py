"""End to end in a real Chromium: a customer opens a complaint and a return with a photo from the
order status page; customer service answers within the SLA and approves the return; the warehouse
receives and inspects it; Finance refunds it; the refund and the restock are visible; the customer
leaves a review and answers the satisfaction question."""

from __future__ import annotations

import io

from PIL import Image
from playwright.sync_api import expect

from aftersales.models import Case, ReturnRequest, Review, SlaPolicy, SurveyResponse
from catalog.models import StockLevel, StockMovement
from catalog.services import stock_receive
from channels.models import Channel
from core import roles
from core.deadlines import forget_cached_calendar
from orders.services import (
    CustomerInput,
    LineInput,
    order_create,
)
from payments.models import Refund
from tests.e2e.browser import BROWSER_TEST, login, open_page
from tests.factories import ChannelFactory, UserFactory
from tests.orders.factories import VariantFactory, deliver

pytestmark = BROWSER_TEST


def new_page(browser):
    return open_page(browser, height=1000)


def test_complaint_and_return_from_the_order_page_to_refund_restock_review_and_csat(
        live_server, browser, tmp_path, settings):
    # given: a delivered, paid web order of 2 shirts, an SLA of one working hour for a first reply
    settings.AFTERSALES_UPLOAD_ROOT = tmp_path / "private"
    forget_cached_calendar()
    roles.sync_role_permissions()
    SlaPolicy.objects.create(name="Standar", first_response_minutes=60 * 24, resolution_minutes=60 * 40)
    channel = ChannelFactory(kind=Channel.Kind.WEBSITE, name="Toko Web", code="WEB")
    variant = VariantFactory(sku="KEMEJA-E2E", name="Putih / M", price_amount=150_000)
    stock_receive(variant_id=variant.pk, quantity=10, reason="stok awal")
    order = order_create(channel_id=channel.pk, lines=[LineInput(sku=variant.sku, quantity=2)],
                         customer=CustomerInput(name="Rina Kusuma", phone="0812-3456-7001"))
    deliver(order, tracking_number="CM123")
    for username, role in (("cs-rina", roles.CUSTOMER_SERVICE), ("gudang-budi", roles.WAREHOUSE),
                           ("keuangan-sari", roles.FINANCE)):
        UserFactory(username=username, role=role)
    photo = tmp_path / "rusak.png"
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (180, 20, 20)).save(buffer, format="PNG")
    photo.write_bytes(buffer.getvalue())
    track = f"{live_server.url}/track/{order.number}/{order.access_key}/"

    # when: the customer reports a problem with a photo on the order status page
    customer = new_page(browser)
    customer.goto(track)
    customer.click("#complaint summary")
    customer.select_option("#id_complaint-category", "damaged")
    customer.fill("#id_complaint-description", "Kancing lepas dan ada noda di lengan.")
    customer.set_input_files("#id_complaint-photo", str(photo))
    customer.click("#complaint button[type=submit]")
    expect(customer.locator(".alert")).to_contain_text("Keluhan")
    complaint = Case.objects.get(kind="complaint")
    expect(customer.locator(f"[data-case='{complaint.number}']")).to_be_visible()

    # and asks to return one shirt, with a photo
    customer.click("#return summary")
    customer.fill(f"#id_return-qty_{order.lines.get().pk}", "1")
    customer.select_option("#id_return-reason", "damaged")
    customer.select_option("#id_return-requested_outcome", "refund")
    customer.fill("#id_return-description", "Ada noda, minta uang kembali.")
    customer.set_input_files("#id_return-photo", str(photo))
    customer.click("#return button[type=submit]")
    rma = ReturnRequest.objects.get()
    expect(customer.locator(f"[data-case='{rma.case.number}'] .return-status")).to_have_text("Diajukan")

    # then: customer service answers the complaint within its SLA and approves the return
    cs = new_page(browser)
    login(cs, live_server.url, "cs-rina", "/dashboard/aftersales/")
    expect(cs.locator("#case-table")).to_contain_text(complaint.number)
    cs.click(f"text={complaint.number}")
    cs.fill("#reply-form textarea", "Mohon maaf kak, kami kirim kancing pengganti hari ini.")
    cs.click("#reply-form button[type=submit]")
    expect(cs.locator("#case-status")).to_have_text("Sedang ditangani")
    expect(cs.locator(".badge.text-bg-success").first).to_have_text("Tepat waktu")
    cs.goto(f"{live_server.url}/dashboard/aftersales/returns/{rma.pk}/")
    cs.click("#approve")
    expect(cs.locator("#return-status")).to_have_text("Disetujui")

    # and the warehouse receives the parcel and finds the shirt resellable
    warehouse = new_page(browser)
    login(warehouse, live_server.url, "gudang-budi", f"/dashboard/aftersales/returns/{rma.pk}/")
    warehouse.click("#receive")
    expect(warehouse.locator("#return-status")).to_have_text("Diterima")
    warehouse.click("#inspect")
    expect(warehouse.locator("#return-status")).to_have_text("Sudah diperiksa")

    # and Finance refunds it
    finance = new_page(browser)
    login(finance, live_server.url, "keuangan-sari", f"/dashboard/aftersales/returns/{rma.pk}/")
    finance.select_option("#complete-form select[name=outcome]", "refund")
    finance.click("#complete")
    expect(finance.locator("#return-status")).to_have_text("Selesai")
    expect(finance.locator("#outcome")).to_contain_text("Rp 150.000")

    # the refund went through payments and the shirt is back in stock through the ledger, once
    assert Refund.objects.get(order=order).amount == 150_000
    assert StockLevel.objects.get(variant=variant).on_hand == 9
    assert StockMovement.objects.filter(kind="return", variant=variant).count() == 1
    finance.goto(f"{live_server.url}/dashboard/catalog/stock/ledger/")
    expect(finance.locator("body")).to_contain_text(f"rma:{rma.pk}:")

    # and the customer reviews the shirt and answers the satisfaction questions
    customer.goto(track)
    line = order.lines.get()
    customer.click(f"label[for='r{line.pk}_4']")
    customer.fill(f"textarea[name='text_{line.pk}']", "Bahannya bagus, pelayanannya cepat.")
    customer.click("#review button[type=submit]")
    expect(customer.locator(".alert")).to_contain_text("ulasan")
    customer.click("#survey button[value='5']")
    customer.click(f"[data-case='{rma.case.number}'] .csat-case button[value='5']")
    expect(customer.locator(".alert")).to_contain_text("jawaban")

    assert Review.objects.get().rating == 4
    assert set(SurveyResponse.objects.values_list("kind", "score")) == {("csat_delivery", 5), ("csat_case", 5)}
    complaint.refresh_from_db()
    assert complaint.first_responded_at <= complaint.first_response_due_at
