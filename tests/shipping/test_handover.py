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


def test_a_scan_ships_the_order_through_the_orders_app_with_every_record(packed, jne, stock_of,
                                                                         django_assert_max_num_queries):
    from catalog.models import StockMovement
    from orders.models import OrderEvent
    from orders.services import order_mark_packed
    from shipping.models import ManifestItem, ShipmentEvent, TrackingEvent

    warm = packed("CM-HS0")
    shipment = packed("CM-HS1")
    for parcel in (warm, shipment):
        order_mark_packed(order_id=parcel.order_id)
    variant = shipment.order.lines.get().variant
    manifest = handover.manifest_open(courier_id=jne.pk)
    handover.manifest_scan(manifest_id=manifest.pk, code="CM-HS0")  # the process's first scan fills its caches
    on_hand, reserved = stock_of(variant)

    # manifest; order and parcel locked; 4 rows written; the order's shipped step (stock through the
    # ledger, event, notification trigger); the pickup's count
    with django_assert_max_num_queries(26):
        result = handover.manifest_scan(manifest_id=manifest.pk, code="CM-HS1")

    assert result.ok and result.count == 2 and "CM-HS1" in result.message and "(2 in this pickup)" in result.message
    shipment.refresh_from_db()
    order = shipment.order
    order.refresh_from_db()
    assert shipment.status == ShipmentStatus.PICKED_UP and shipment.dispatched_at and shipment.last_tracking_at
    assert order.status == OrderStatus.SHIPPED and order.shipped_at
    assert (order.courier, order.tracking_number) == (shipment.courier_name, "CM-HS1")
    assert stock_of(variant) == (on_hand - 1, reserved - 1)  # the reservation committed
    assert StockMovement.objects.filter(reference=f"order:{order.pk}", kind="shipment").count() == 1
    assert not order.lines.filter(stock_reserved=True).exists()
    event = OrderEvent.objects.get(order=order, to_status=OrderStatus.SHIPPED)
    assert (event.from_status, event.source) == (OrderStatus.PACKED, "shipping")
    assert ManifestItem.objects.get(shipment=shipment).manifest == manifest
    assert TrackingEvent.objects.filter(shipment=shipment, source="staff", status=ShipmentStatus.PICKED_UP).count() == 1
    assert ShipmentEvent.objects.filter(shipment=shipment, to_status=ShipmentStatus.PICKED_UP,
                                        note=manifest.number).count() == 1


def test_a_scan_of_a_processing_order_takes_it_through_packed_to_shipped(packed, jne):
    shipment = packed("CM-HP1")  # parcel packed, order still "processing"
    manifest = handover.manifest_open(courier_id=jne.pk)

    assert handover.manifest_scan(manifest_id=manifest.pk, code="CM-HP1").ok

    shipment.order.refresh_from_db()
    steps = list(shipment.order.events.filter(kind="status_changed").values_list("to_status", flat=True))
    assert shipment.order.status == OrderStatus.SHIPPED
    assert steps[-2:] == [OrderStatus.PACKED, OrderStatus.SHIPPED]


def test_a_pickup_without_a_courier_takes_any_couriers_parcel_and_refuses_a_second_manifest(packed, jne):
    packed("JP-HN1", courier=Courier.objects.get(code="jnt"))
    anyone = handover.manifest_open(courier_id=None)
    jnt = handover.manifest_open(courier_id=Courier.objects.get(code="jnt").pk)

    assert handover.manifest_scan(manifest_id=anyone.pk, code="JP-HN1").ok
    again = handover.manifest_scan(manifest_id=jnt.pk, code="JP-HN1")

    assert not again.ok and anyone.number in again.message
    assert not jnt.items.exists()


def test_an_unpaid_order_and_a_return_parcel_are_refused_and_nothing_is_written(place_order, jne):
    from shipping.models import ManifestItem, ShipmentDirection

    unpaid = place_order(paid=False, confirm=False)
    shipment_create(order_id=unpaid.pk, courier_id=jne.pk, tracking_number="CM-HU1")
    back = place_order()
    returning = shipment_create(order_id=back.pk, courier_id=jne.pk, tracking_number="CM-HR1")
    Shipment.objects.filter(pk=returning.pk).update(direction=ShipmentDirection.RETURN)
    manifest = handover.manifest_open(courier_id=jne.pk)

    not_paid = handover.manifest_scan(manifest_id=manifest.pk, code="CM-HU1")
    coming_back = handover.manifest_scan(manifest_id=manifest.pk, code="CM-HR1")

    assert not not_paid.ok and "not paid" in not_paid.message
    assert not coming_back.ok and "return parcel" in coming_back.message
    assert not ManifestItem.objects.exists()
    assert set(Shipment.objects.values_list("status", flat=True)) == {ShipmentStatus.CREATED}


@pytest.mark.django_db(transaction=True)
def test_two_desks_scanning_the_same_resi_at_once_hand_it_over_once(packed, jne):
    import threading

    from django.db import connection
    from django.utils import translation

    from shipping.models import ManifestItem

    shipment = packed("CM-HT1")
    desks = [handover.manifest_open(courier_id=jne.pk), handover.manifest_open(courier_id=None)]
    results, barrier = [], threading.Barrier(len(desks))

    def scan(manifest_id: int) -> None:
        try:
            barrier.wait()
            with translation.override("en"):  # the language is per thread
                results.append(handover.manifest_scan(manifest_id=manifest_id, code="CM-HT1"))
        finally:
            connection.close()

    threads = [threading.Thread(target=scan, args=(m.pk,)) for m in desks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(r.ok for r in results) == [False, True]
    assert "already scanned" in next(r for r in results if not r.ok).message
    assert ManifestItem.objects.filter(shipment=shipment).count() == 1
    shipment.order.refresh_from_db()
    assert shipment.order.status == OrderStatus.SHIPPED
