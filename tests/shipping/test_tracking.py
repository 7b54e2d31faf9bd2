from datetime import timedelta

import pytest
from django.utils import timezone

from orders.models import OrderStatus
from shipping.models import Shipment, ShipmentStatus, TrackingEvent
from shipping.providers.base import TrackingEntry
from shipping.services.tracking import tracking_record, tracking_record_many

pytestmark = pytest.mark.django_db
S = ShipmentStatus


BASE = timezone.now().replace(microsecond=0) - timedelta(hours=48)


def _at(hours: int):
    return BASE + timedelta(hours=hours)


def test_each_tracking_event_is_recorded_once(shipped):
    shipment = shipped("CM-ONCE")
    entries = [TrackingEntry("in_transit", _at(1), "Sorting Jakarta"), TrackingEntry("dropping_off", _at(5))]
    first = tracking_record(shipment_id=shipment.pk, source="biteship", entries=entries)
    again = tracking_record(shipment_id=shipment.pk, source="biteship", entries=entries)
    assert (first.recorded, again.recorded) == (2, 0)
    assert TrackingEvent.objects.filter(shipment=shipment).count() == 2
    shipment.refresh_from_db()
    assert shipment.status == S.OUT_FOR_DELIVERY and shipment.last_tracking_at == _at(5)


def test_an_older_event_arriving_late_never_moves_the_shipment_back(shipped):
    shipment = shipped("CM-LATE")
    tracking_record(shipment_id=shipment.pk, source="biteship", entries=[TrackingEntry("delivered", _at(10))])
    tracking_record(shipment_id=shipment.pk, source="biteship", entries=[TrackingEntry("in_transit", _at(3))])
    shipment.refresh_from_db()
    assert shipment.status == S.DELIVERED
    late = TrackingEvent.objects.get(shipment=shipment, status_word="in_transit")
    assert late.applied is False
    assert shipment.order.status == OrderStatus.DELIVERED


def test_a_step_forward_stamped_a_moment_before_the_last_one_still_applies(shipped):
    # a courier stamps whole seconds: "delivered" at 10:00:00 after our picked-up at 10:00:00.4
    shipment = shipped("CM-SECONDS")
    tracking_record(shipment_id=shipment.pk, source="biteship",
                    entries=[TrackingEntry("picked", _at(10) + timedelta(milliseconds=400))])
    tracking_record(shipment_id=shipment.pk, source="biteship", entries=[TrackingEntry("delivered", _at(10))])
    shipment.refresh_from_db()
    assert shipment.status == S.DELIVERED


def test_a_batch_of_entries_walks_the_parcel_in_time_order(place_order, jne):
    from shipping.services.shipments import shipment_create

    order = place_order()
    shipment = shipment_create(order_id=order.pk, courier_id=jne.pk, tracking_number="CM-WALK")
    Shipment.objects.filter(pk=shipment.pk).update(packed_at=timezone.now())
    tracking_record(shipment_id=shipment.pk, source="biteship", entries=[
        TrackingEntry("delivered", _at(20)), TrackingEntry("picked", _at(2)), TrackingEntry("in_transit", _at(6))])
    shipment.refresh_from_db()
    assert shipment.status == S.DELIVERED
    assert shipment.dispatched_at == _at(2) and shipment.delivered_at == _at(20)
    assert list(shipment.events.filter(kind="status_changed").values_list("to_status", flat=True)) == [
        S.PICKED_UP, S.IN_TRANSIT, S.DELIVERED]
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED


def test_unknown_words_are_kept_on_the_timeline_without_moving_anything(shipped):
    shipment = shipped("CM-UNK")
    tracking_record(shipment_id=shipment.pk, source="biteship", entries=[TrackingEntry("teleported", _at(4))])
    shipment.refresh_from_db()
    assert shipment.status == S.PICKED_UP
    assert TrackingEvent.objects.get(shipment=shipment).status == ""


def test_a_batch_costs_a_fixed_number_of_statements(shipped, django_assert_max_num_queries):
    shipments = [shipped(f"CM-B{n}") for n in range(12)]
    reports = [(s.pk, "biteship", [TrackingEntry("in_transit", _at(3)), TrackingEntry("on_hold", _at(2))])
               for s in shipments]
    with django_assert_max_num_queries(14):
        tracking_record_many(reports=reports, polled_at=timezone.now())
    assert Shipment.objects.filter(status=S.IN_TRANSIT).count() == 12
    assert TrackingEvent.objects.count() == 24
