import pytest
from django.utils import timezone

from core.errors import Conflict
from orders.models import OrderStatus
from orders.services import order_cancel
from shipping.models import Courier, Manifest, Shipment, ShipmentStatus
from shipping.services import handover
from shipping.services.shipments import shipment_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def packed(place_order, jne):
    def make(resi: str, courier=None):
        order = place_order()
        shipment = shipment_create(order_id=order.pk, courier_id=(courier or jne).pk, tracking_number=resi)
        Shipment.objects.filter(pk=shipment.pk).update(packed_at=timezone.now())
        return shipment

    return make


def test_scanning_resi_marks_parcels_picked_up_and_ships_the_orders(packed, jne):
    first, second = packed("CM-H1"), packed("CM-H2")
    manifest = handover.manifest_open(courier_id=jne.pk)
    assert handover.manifest_open(courier_id=jne.pk) == manifest  # one open pickup per courier

    one = handover.manifest_scan(manifest_id=manifest.pk, code="CM-H1")
    two = handover.manifest_scan(manifest_id=manifest.pk, code=" CM-H2 ")

    assert one.ok and two.ok and two.count == 2
    for shipment in (first, second):
        shipment.refresh_from_db()
        assert shipment.status == ShipmentStatus.PICKED_UP and shipment.order.status == OrderStatus.SHIPPED


def test_a_resi_scanned_twice_unknown_or_of_another_courier_is_refused(packed, jne):
    packed("CM-H3")
    packed("JP-H4", courier=Courier.objects.get(code="jnt"))
    manifest = handover.manifest_open(courier_id=jne.pk)
    handover.manifest_scan(manifest_id=manifest.pk, code="CM-H3")

    twice = handover.manifest_scan(manifest_id=manifest.pk, code="CM-H3")
    unknown = handover.manifest_scan(manifest_id=manifest.pk, code="CM-NOPE")
    other = handover.manifest_scan(manifest_id=manifest.pk, code="JP-H4")

    assert not twice.ok and "already scanned" in twice.message and manifest.number in twice.message
    assert not unknown.ok and "unknown" in unknown.message
    assert not other.ok and "J&T Express parcel" in other.message
    assert manifest.items.count() == 1


def test_a_resi_of_a_cancelled_order_is_refused(packed, jne):
    shipment = packed("CM-H5")
    order_cancel(order_id=shipment.order_id, reason="buyer cancelled")
    manifest = handover.manifest_open(courier_id=jne.pk)
    result = handover.manifest_scan(manifest_id=manifest.pk, code="CM-H5")
    assert not result.ok and "cancelled" in result.message
    assert not manifest.items.exists()


def test_closing_needs_a_parcel_and_the_pdf_lists_them(packed, jne):
    import io

    import pypdf

    from shipping.documents import manifest_pdf

    manifest = handover.manifest_open(courier_id=jne.pk)
    with pytest.raises(Conflict):
        handover.manifest_close(manifest_id=manifest.pk)
    packed("CM-H6")
    handover.manifest_scan(manifest_id=manifest.pk, code="CM-H6")
    closed = handover.manifest_close(manifest_id=manifest.pk, driver_name="Pak Udin")
    assert closed.status == Manifest.Status.CLOSED
    text = pypdf.PdfReader(io.BytesIO(manifest_pdf(closed, list(closed.items.select_related(
        "shipment__order"))))).pages[0].extract_text()
    assert "CM-H6" in text and "Pak Udin" in text
    assert not handover.manifest_scan(manifest_id=manifest.pk, code="CM-H6").ok


def test_a_scan_reads_what_it_needs_once_and_leaves_messages_to_after_commit(
        packed, jne, django_assert_max_num_queries):
    from notifications.models import Notification, NotificationTrigger
    from orders.services import order_mark_packed

    for resi in ("CM-HQ0", "CM-HQ1"):
        order_mark_packed(order_id=packed(resi).order_id)  # packed at the pack station, as before a pickup
    manifest = handover.manifest_open(courier_id=jne.pk)
    handover.manifest_scan(manifest_id=manifest.pk, code="CM-HQ0")  # the process's first scan fills its caches

    # the whole scan: manifest, resi, locks, manifest line, tracking, shipment, order shipped (stock), trigger
    with django_assert_max_num_queries(30):
        result = handover.manifest_scan(manifest_id=manifest.pk, code="CM-HQ1")

    assert result.ok
    result.shipment.order.refresh_from_db()
    assert result.shipment.order.status == OrderStatus.SHIPPED
    # the customer's "shipped" message is recorded as a durable trigger, rendered after commit
    assert NotificationTrigger.objects.filter(order_id=result.shipment.order_id, event="order_shipped").exists()
    assert not Notification.objects.filter(order_id=result.shipment.order_id, event="order_shipped").exists()
