"""Return parcels (direction "return") on the shipping side: marked on every page, kept out of the
dispatch queues and figures, refused at the pack station and the hand-over, labelled back to the shop,
and never announced to the buyer as their order's delivery."""

from __future__ import annotations

import io
from datetime import timedelta

import pypdf
import pytest
from django.utils import timezone

from core import roles
from core.errors import Conflict
from shipping import documents
from shipping.hooks import ShipmentNotice
from shipping.models import Shipment, ShipmentDirection, WeightDispute
from shipping.selectors import on_time_recent, orders_to_pick, queue_counts, queue_queryset, shipping_settings
from shipping.services import handover, packing
from shipping.services.deadlines import late_dispatch_rates
from shipping.services.shipments import return_shipment_create, shipment_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(staff_client):
    def login(role):
        client = staff_client(role)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return login


@pytest.fixture
def late_pair(place_order, jne):
    """An order with a late outbound parcel, and another whose return parcel looks just as late."""
    past = timezone.now() - timedelta(hours=1)
    outbound_order, returning_order = place_order(), place_order()
    outbound = shipment_create(order_id=outbound_order.pk, courier_id=jne.pk, tracking_number="OUT-1")
    back = return_shipment_create(order_id=returning_order.pk, lines={returning_order.lines.get().pk: 1},
                                  courier_name="J&T", tracking_number="RET-1")
    Shipment.objects.filter(pk__in=[outbound.pk, back.pk]).update(packed_at=timezone.now(), ship_by=past,
                                                                  status="created")
    return Shipment.objects.get(pk=outbound.pk), Shipment.objects.get(pk=back.pk)


def test_dispatch_queues_and_the_late_dispatch_rate_count_outbound_parcels_only(late_pair):
    outbound, back = late_pair

    for queue in ("to_hand_over", "late"):
        ids = set(queue_queryset(queue).values_list("pk", flat=True))
        assert outbound.pk in ids and back.pk not in ids, queue
    counts = queue_counts()
    assert counts["late"] == 1 and counts["to_hand_over"] == 1
    [ldr] = [row for row in late_dispatch_rates() if row.channel_id == outbound.order.channel_id]
    assert (ldr.due, ldr.late) == (1, 1)
    assert [s.pk for s in on_time_recent()] == [outbound.pk]


def test_a_packed_return_parcel_does_not_take_its_order_off_the_pick_list(late_pair):
    _outbound, back = late_pair

    assert orders_to_pick().filter(pk=back.order_id).exists()


def test_returns_to_sender_queue_is_outbound_parcels_coming_back(late_pair):
    outbound, back = late_pair
    Shipment.objects.filter(pk__in=[outbound.pk, back.pk]).update(status="returning_to_sender")

    assert list(queue_queryset("rts").values_list("pk", flat=True)) == [outbound.pk]


def test_shipping_pages_mark_return_parcels(staff_client, late_pair):
    outbound, back = late_pair
    WeightDispute.objects.create(shipment=back, packed_weight_grams=300, charged_weight_grams=2000,
                                 expected_amount=10_000, charged_amount=30_000, difference_amount=20_000)
    warehouse, finance = staff_client(roles.WAREHOUSE), staff_client(roles.FINANCE)

    listing = warehouse.get("/dashboard/shipping/shipments/").content.decode()
    returns_only = warehouse.get("/dashboard/shipping/shipments/?direction=return").content.decode()
    detail = warehouse.get(f"/dashboard/shipping/shipments/{back.pk}/").content.decode()
    outbound_detail = warehouse.get(f"/dashboard/shipping/shipments/{outbound.pk}/").content.decode()
    disputes = finance.get("/dashboard/shipping/disputes/").content.decode()
    on_time = warehouse.get("/dashboard/shipping/on-time/").content.decode()

    assert listing.count('data-direction="return"') == 1
    assert back.number in returns_only and outbound.number not in returns_only
    assert 'data-direction="return"' in detail and 'data-direction="return"' not in outbound_detail
    assert 'data-direction="return"' in disputes
    assert back.order.number not in on_time and outbound.order.number in on_time


def test_the_return_badge_reads_retur_in_indonesian(staff_client, late_pair):
    _outbound, back = late_pair
    client = staff_client(roles.WAREHOUSE)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "id"

    html = client.get(f"/dashboard/shipping/shipments/{back.pk}/").content.decode()

    assert ">Retur</span>" in html


def test_the_customer_page_marks_the_return_parcel_and_gives_it_no_eta(client, late_pair):
    _outbound, back = late_pair
    Shipment.objects.filter(pk=back.pk).update(status="in_transit", dispatched_at=timezone.now(), etd_max_days=3)
    order = back.order

    html = client.get(f"/track/{order.number}/{order.access_key}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert 'data-direction="return"' in html and "RET-1" in html
    assert "Estimated arrival" not in html


def test_the_hand_over_refuses_a_return_parcel(late_pair, jne):
    _outbound, back = late_pair
    assert back.tracking_number == "RET-1"
    manifest = handover.manifest_open(courier_id=None)

    result = handover.manifest_scan(manifest_id=manifest.pk, code="RET-1")

    assert not result.ok and "return parcel" in result.message
    back.refresh_from_db()
    assert back.status == "created" and not manifest.items.exists()


def test_the_pack_station_refuses_a_return_parcel(late_pair):
    _outbound, back = late_pair
    assert back.tracking_number == "RET-1"

    with pytest.raises(Conflict, match="return parcel"):
        packing.pack_start(code="RET-1")


def test_a_return_label_goes_to_the_shop_says_return_and_collects_nothing(place_order):
    order = place_order(cod=True)
    back = return_shipment_create(order_id=order.pk, lines={order.lines.get().pk: 1}, courier_name="J&T",
                                  tracking_number="RET-LBL-1")
    back = Shipment.objects.select_related("order__channel", "courier", "service").get(pk=back.pk)

    label = documents.label_data(back, cfg=shipping_settings())
    text = pypdf.PdfReader(io.BytesIO(documents.labels_pdf([label]))).pages[0].extract_text()
    zpl = documents.labels_zpl([label])

    assert label.is_return and label.recipient_name == "Toko Rina" and label.sender_name == "Rina Kusuma"
    assert "RETURN" in text and "Jl. Kebon Jeruk 1" in text and "NON-COD" in text
    assert "RETURN" in zpl and "COD Rp" not in zpl


def test_notices_of_return_parcels_reach_no_customer_message(place_order, django_capture_on_commit_callbacks):
    from notifications.models import Notification
    from notifications.shipping_hooks import on_shipment_notice, shipping_context

    order = place_order()
    back = return_shipment_create(order_id=order.pk, lines={order.lines.get().pk: 1}, courier_name="J&T",
                                  tracking_number="RET-N-1")

    for kind in ("resi_assigned", "out_for_delivery"):
        on_shipment_notice(ShipmentNotice(kind=kind, shipment_id=back.pk, order_id=order.pk, courier_name="J&T",
                                          tracking_number="RET-N-1", direction=ShipmentDirection.RETURN))

    assert not Notification.objects.filter(order=order, event__in=["order_resi_assigned",
                                                                    "order_out_for_delivery"]).exists()
    assert shipping_context(order, "id") == {}  # the return's resi is not the order's delivery


def test_the_shipments_api_names_and_filters_the_direction(api_client, late_pair):
    outbound, back = late_pair
    client = api_client(roles.WAREHOUSE)

    everything = client.get("/api/v1/shipments/").json()["results"]
    returns_only = client.get("/api/v1/shipments/?direction=return").json()["results"]
    bad = client.get("/api/v1/shipments/?direction=sideways")

    assert {row["number"]: row["direction"] for row in everything} == {outbound.number: "outbound",
                                                                        back.number: "return"}
    assert [row["number"] for row in returns_only] == [back.number]
    assert bad.status_code == 400
