"""End to end in a real Chromium: the warehouse's day and the customer's tracking page.

Warehouse staff pick a wave of two orders, pack both at the pack station with the keyboard only
(a scanner is a keyboard: type + Enter), one wrong scan refused, give the parcels their resi, print
the labels (the PDF downloads), hand them over by scanning the resi (one scanned twice is
refused), and the customer's status page shows the tracking timeline after a Biteship webhook.
"""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime

import pypdf
import requests
from playwright.sync_api import expect

from catalog.services import stock_receive
from channels.models import Channel
from core import roles
from orders.models import OrderStatus
from orders.services import AddressInput, CustomerInput, LineInput, order_confirm, order_create, order_mark_paid
from shipping.couriers_data import load as load_couriers
from shipping.models import Courier, CourierService, Shipment, ShipmentStatus, ShippingSettings
from tests.e2e.browser import BROWSER_TEST, login
from tests.factories import ChannelFactory, UserFactory
from tests.orders.factories import VariantFactory
from tests.shipping.factories import account

pytestmark = BROWSER_TEST


def _order(channel, lines, name):
    order = order_create(
        channel_id=channel.pk, customer=CustomerInput(name=name, phone="081255556666"),
        lines=[LineInput(sku=sku, quantity=q) for sku, q in lines],
        shipping=AddressInput(name=name, phone="081255556666", address="Jl. Melati No. 5", city="Kota Bandung",
                              province="Jawa Barat", postal_code="40115"),
        shipping_amount=12_000, payment_method="bank_transfer")
    order_mark_paid(order_id=order.pk)
    order_confirm(order_id=order.pk)
    return order


def _scan(page, code: str) -> None:
    page.keyboard.type(code)
    page.keyboard.press("Enter")


def test_the_warehouse_day_and_the_customer_tracking_page(live_server, page, settings):
    # given: two paid, confirmed web orders, barcoded products, a warehouse clerk, a Biteship account
    settings.CELERY_TASK_ALWAYS_EAGER = True
    roles.sync_role_permissions()
    load_couriers(Courier, CourierService)
    ShippingSettings.objects.update_or_create(pk=1, defaults={"sender_name": "Toko Rina",
                                                              "sender_phone": "081234567890"})
    channel = ChannelFactory(kind=Channel.Kind.WEBSITE, name="Website", code="WEB")
    for sku, barcode in (("KAOS-E2E", "8991000000011"), ("TOPI-E2E", "8991000000028")):
        variant = VariantFactory(sku=sku, barcode=barcode)
        stock_receive(variant_id=variant.pk, quantity=10, reason="stok awal")
    first = _order(channel, [("KAOS-E2E", 2)], "Rina Kusuma")
    second = _order(channel, [("TOPI-E2E", 1)], "Joko Susilo")
    account("biteship", base_url="http://127.0.0.1:9", secret="hook-e2e")
    UserFactory(username="gudang-ani", role=roles.WAREHOUSE)

    # when: the clerk logs in and builds a pick wave of both orders
    login(page, live_server.url, "gudang-ani", "/dashboard/shipping/waves/")
    page.check(f"tr[data-order='{first.number}'] input[type=checkbox]")
    page.check(f"tr[data-order='{second.number}'] input[type=checkbox]")
    page.click("#create-wave")
    page.wait_for_url(re.compile(r"/dashboard/shipping/waves/\d+/$"))
    expect(page.locator("#pick-list")).to_contain_text("KAOS-E2E")
    expect(page.locator("#pick-list")).to_contain_text("TOPI-E2E")
    page.click("#wave-picked")
    page.wait_for_url(re.compile(r"/dashboard/shipping/pack/$"))

    # and packs both orders at the pack station with the scanner only (keyboard, no mouse)
    expect(page.locator("#scan")).to_be_focused()
    message = page.locator("#scan-message")
    _scan(page, first.number)
    expect(page.locator("#parcel-lines tr[data-sku='KAOS-E2E']")).to_be_visible()
    _scan(page, "8991000000028")  # the other order's cap: wrong item
    expect(message).to_have_class(re.compile("alert-danger"))
    expect(message).to_contain_text("8991000000028")
    _scan(page, "8991000000011")
    expect(message).to_have_class(re.compile("alert-success"))
    _scan(page, "8991000000011")
    expect(page.locator("#weight")).to_be_focused()
    page.keyboard.type("650")
    page.keyboard.press("Enter")
    expect(page.locator("#last-label")).to_be_visible()
    expect(page.locator("#scan")).to_be_focused()
    _scan(page, second.number)
    _scan(page, "8991000000028")
    expect(page.locator("#weight")).to_be_focused()
    page.keyboard.type("300")
    page.keyboard.press("Enter")
    expect(page.locator("#last-label")).to_contain_text(second.number)
    for order in (first, second):
        order.refresh_from_db()
        assert order.status == OrderStatus.PACKED
    one, two = Shipment.objects.get(order=first), Shipment.objects.get(order=second)
    assert one.events.filter(kind="scan_refused").count() == 1

    # and types each parcel's resi on its shipment page
    jne = Courier.objects.get(code="jne")
    for shipment, resi in ((one, "CM0000E2E001"), (two, "CM0000E2E002")):
        page.goto(f"{live_server.url}/dashboard/shipping/shipments/{shipment.pk}/")
        page.select_option("#id_courier", str(jne.pk))
        page.fill("#id_tracking_number", resi)
        page.locator("#id_tracking_number").press("Enter")
        expect(page.locator("dd.font-monospace")).to_contain_text(resi)

    # and prints the wave's labels: one PDF downloads with both resi
    wave_id = one.order.pick_waves.get().pk
    page.goto(f"{live_server.url}/dashboard/shipping/waves/{wave_id}/")
    with page.expect_download() as download_info:
        page.click("#print-labels")
    download = download_info.value
    assert download.suggested_filename == "labels.pdf"
    with open(download.path(), "rb") as handle:
        text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(handle.read())).pages)
    assert "CM0000E2E001" in text and "CM0000E2E002" in text

    # and hands both over to the JNE driver by scanning the resi; a second scan is refused
    page.goto(f"{live_server.url}/dashboard/shipping/handover/")
    page.select_option("#courier", str(jne.pk))
    page.click("#open-manifest")
    page.wait_for_url(re.compile(r"/dashboard/shipping/handover/\d+/$"))
    expect(page.locator("#scan")).to_be_focused()
    _scan(page, "CM0000E2E001")
    expect(page.locator("#manifest-count")).to_have_text("1")
    _scan(page, "CM0000E2E001")
    expect(page.locator("#scan-message")).to_have_class(re.compile("alert-danger"))
    _scan(page, "CM0000E2E002")
    expect(page.locator("#manifest-count")).to_have_text("2")
    for order in (first, second):
        order.refresh_from_db()
        assert order.status == OrderStatus.SHIPPED

    # then: Biteship reports the first parcel delivered, and the customer's page shows the timeline
    body = {"event": "order.status", "order_id": "bs-e2e-1", "courier_waybill_id": "CM0000E2E001",
            "courier_company": "jne", "courier_type": "reg", "status": "delivered",
            "updated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
    answer = requests.post(f"{live_server.url}/webhooks/biteship/?token=hook-e2e", data=json.dumps(body),
                           headers={"Content-Type": "application/json"}, timeout=10)
    assert answer.status_code == 200
    one.refresh_from_db()
    assert one.status == ShipmentStatus.DELIVERED
    first.refresh_from_db()
    page.goto(f"{live_server.url}/track/{first.number}/{first.access_key}/")
    block = page.locator("#shipping-tracking")
    expect(block).to_contain_text("JNE")
    expect(block.locator(".tracking-timeline li")).to_have_count(2)
    expect(page.locator("#resi-1")).to_have_value("CM0000E2E001")
