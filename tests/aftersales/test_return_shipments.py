"""Returns and shipping: a courier return travels as a return-direction shipment, and its delivery
to the warehouse receives the return (through shipping's status-changed hook, same transaction)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from aftersales.models import ReturnMethod, ReturnStatus
from aftersales.services import returns
from orders.models import OrderStatus
from shipping import hooks as shipping_hooks
from shipping.models import Shipment, ShipmentDirection, ShipmentStatus
from shipping.providers.base import TrackingEntry
from shipping.selectors import queue_queryset
from shipping.services.tracking import tracking_record

pytestmark = pytest.mark.django_db
S = ShipmentStatus


def open_return(order, qty=1):
    line = order.lines.get()
    return returns.return_request_create(
        order_id=order.pk, lines=[returns.ReturnLineRequest(line.pk, qty)], reason="damaged",
        description="Jahitan lepas")


@pytest.fixture
def notices(monkeypatch):
    heard: list = []
    monkeypatch.setattr(shipping_hooks, "_notice_handlers", [heard.append])
    return heard


def test_approving_a_drop_off_return_creates_a_return_shipment_of_its_lines(delivered_order, cs_user):
    # given
    order = delivered_order(qty=3)
    rma = open_return(order, qty=2)

    # when
    rma = returns.return_approve(return_id=rma.pk, actor=cs_user, method=ReturnMethod.DROP_OFF)

    # then
    shipment = Shipment.objects.get(pk=rma.return_shipment_id)
    assert shipment.direction == ShipmentDirection.RETURN
    assert shipment.status == S.CREATED and shipment.tracking_number == ""
    assert shipment.number == f"{order.number}-R1"
    assert {(line.order_line_id, line.quantity) for line in shipment.lines.all()} == {(order.lines.get().pk, 2)}
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED
    assert order.tracking_number == f"CM{order.pk:08d}"  # the outbound resi is untouched


def test_an_in_person_return_gets_no_shipment_and_is_received_by_hand(delivered_order, cs_user, warehouse_user):
    rma = open_return(delivered_order())

    returns.return_approve(return_id=rma.pk, actor=cs_user, method=ReturnMethod.IN_PERSON)
    rma = returns.return_receive(return_id=rma.pk, actor=warehouse_user)

    assert rma.return_shipment_id is None and rma.status == ReturnStatus.RECEIVED
    assert not Shipment.objects.filter(order=rma.order, direction=ShipmentDirection.RETURN).exists()


def test_tracking_delivered_on_the_return_parcel_receives_the_return(
        delivered_order, cs_user, notices, django_capture_on_commit_callbacks):
    # given: approved, and the customer sent it with J&T
    rma = open_return(delivered_order())
    returns.return_approve(return_id=rma.pk, actor=cs_user)
    with django_capture_on_commit_callbacks(execute=True):
        rma = returns.return_ship(return_id=rma.pk, courier="J&T", tracking_number="JP0099887766", actor=cs_user)
    shipment = Shipment.objects.get(pk=rma.return_shipment_id)
    assert (shipment.tracking_number, shipment.status) == ("JP0099887766", S.PICKED_UP)
    assert rma.status == ReturnStatus.IN_TRANSIT

    # when: the courier reports it delivered (at our warehouse)
    arrived = timezone.now().replace(microsecond=0) - timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        tracking_record(shipment_id=shipment.pk, source="biteship",
                        entries=[TrackingEntry("in_transit", arrived - timedelta(days=1)),
                                 TrackingEntry("delivered", arrived, "Diterima gudang")])

    # then: the return is received at the courier's time, through the return's own transition
    rma.refresh_from_db()
    shipment.refresh_from_db()
    assert shipment.status == S.DELIVERED
    assert rma.status == ReturnStatus.RECEIVED and rma.received_at == arrived
    assert rma.case.events.filter(kind="return_received", source="shipping").exists()
    # the customer is not told "your order was delivered" about their own return parcel
    assert notices == []
    # and the order keeps its delivered state
    rma.order.refresh_from_db()
    assert rma.order.status == OrderStatus.DELIVERED


def test_tracking_on_the_road_before_the_resi_was_typed_puts_the_return_in_transit(delivered_order, cs_user):
    from shipping.services.shipments import shipment_set_resi

    rma = open_return(delivered_order())
    rma = returns.return_approve(return_id=rma.pk, actor=cs_user, method=ReturnMethod.PICKUP)
    # an aggregator booked the pickup and gave the resi to shipping directly
    shipment_set_resi(shipment_id=rma.return_shipment_id, tracking_number="SCP-RET-1", courier_name="SiCepat")

    tracking_record(shipment_id=rma.return_shipment_id, source="biteship",
                    entries=[TrackingEntry("picked", timezone.now() - timedelta(hours=2))])

    rma.refresh_from_db()
    assert rma.status == ReturnStatus.IN_TRANSIT
    assert (rma.return_courier, rma.return_tracking_number) == ("SiCepat", "SCP-RET-1")


def test_receiving_by_hand_marks_the_return_parcel_delivered_and_late_tracking_changes_nothing(
        delivered_order, cs_user, warehouse_user):
    rma = open_return(delivered_order())
    returns.return_approve(return_id=rma.pk, actor=cs_user)
    returns.return_ship(return_id=rma.pk, courier="J&T", tracking_number="JP-HAND-1", actor=cs_user)

    rma = returns.return_receive(return_id=rma.pk, actor=warehouse_user)
    tracking_record(shipment_id=rma.return_shipment_id, source="biteship",
                    entries=[TrackingEntry("delivered", timezone.now())])

    rma.refresh_from_db()
    assert rma.status == ReturnStatus.RECEIVED and rma.received_by == warehouse_user
    assert Shipment.objects.get(pk=rma.return_shipment_id).status == S.DELIVERED
    assert rma.case.events.filter(kind="return_received").count() == 1


def test_a_return_parcel_stays_out_of_the_dispatch_queues(delivered_order, cs_user):
    rma = open_return(delivered_order())
    rma = returns.return_approve(return_id=rma.pk, actor=cs_user)
    Shipment.objects.filter(pk=rma.return_shipment_id).update(packed_at=timezone.now(),
                                                              ship_by=timezone.now() - timedelta(hours=1))

    for queue in ("to_hand_over", "at_risk", "late"):
        assert not queue_queryset(queue).filter(pk=rma.return_shipment_id).exists()


def test_a_return_parcel_cannot_be_created_with_more_units_than_the_line(delivered_order):
    from django.core.exceptions import ValidationError

    from shipping.services.shipments import return_shipment_create

    order = delivered_order(qty=1)
    with pytest.raises(ValidationError):
        return_shipment_create(order_id=order.pk, lines={order.lines.get().pk: 2})


@pytest.mark.parametrize(("method", "gets_shipment"), [("pickup", True), ("in_person", False)])
def test_the_return_page_approves_with_the_chosen_method(staff_client, delivered_order, method, gets_shipment):
    rma = open_return(delivered_order())
    client = staff_client()

    client.post(f"/dashboard/aftersales/returns/{rma.pk}/approve/", {"method": method, "note": ""})
    page = client.get(f"/dashboard/aftersales/returns/{rma.pk}/")

    rma.refresh_from_db()
    assert (rma.status, rma.return_method) == (ReturnStatus.APPROVED, method)
    assert (rma.return_shipment_id is not None) == gets_shipment
    if gets_shipment:
        assert f"/dashboard/shipping/shipments/{rma.return_shipment_id}/".encode() in page.content


def test_an_unknown_return_method_is_refused_with_a_message(staff_client, delivered_order):
    rma = open_return(delivered_order())

    response = staff_client().post(f"/dashboard/aftersales/returns/{rma.pk}/approve/", {"method": "teleport"},
                                   follow=True)

    assert response.status_code == 200
    rma.refresh_from_db()
    assert rma.status == ReturnStatus.REQUESTED


def test_cancelling_an_approved_return_cancels_its_waiting_return_shipment(delivered_order, cs_user):
    rma = open_return(delivered_order())
    rma = returns.return_approve(return_id=rma.pk, actor=cs_user)

    returns.return_cancel(return_id=rma.pk, reason="Pelanggan batal retur", actor=cs_user)

    assert Shipment.objects.get(pk=rma.return_shipment_id).status == S.CANCELLED


def test_the_customer_is_told_when_the_return_is_received_and_what_the_outcome_is(
        delivered_order, cs_user, warehouse_user, finance_user):
    from django.utils import translation

    from aftersales.models import MessageKind

    with translation.override("en"):
        rma = open_return(delivered_order())
        returns.return_approve(return_id=rma.pk, actor=cs_user, method=ReturnMethod.PICKUP)
        returns.return_receive(return_id=rma.pk, actor=warehouse_user)
        returns.return_inspect(return_id=rma.pk, results=[returns.InspectionResult(rma.lines.get().pk, 1, 0)],
                               actor=warehouse_user)
        rma = returns.return_complete(return_id=rma.pk, outcome="refund", actor=finance_user)

    told = list(rma.case.messages.filter(kind=MessageKind.OUTBOUND).order_by("id").values_list("body", flat=True))
    assert "courier will pick up" in told[0]  # the approval names the chosen method
    assert any("received your return" in body for body in told)
    assert "refund of Rp" in told[-1]
    assert rma.case.messages.filter(kind=MessageKind.OUTBOUND, notification_id__isnull=False).count() == len(told)


def test_a_return_parcels_tracking_does_not_message_the_buyer_about_their_order(
        delivered_order, cs_user, django_capture_on_commit_callbacks):
    from notifications.models import Notification

    rma = open_return(delivered_order())
    returns.return_approve(return_id=rma.pk, actor=cs_user)
    before = set(Notification.objects.values_list("event", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        returns.return_ship(return_id=rma.pk, courier="J&T", tracking_number="JP-RET-OFD", actor=cs_user)
    with django_capture_on_commit_callbacks(execute=True):
        tracking_record(shipment_id=rma.return_shipment_id, source="biteship",
                        entries=[TrackingEntry("out_for_delivery", timezone.now())])

    new = set(Notification.objects.values_list("event", flat=True)) - before
    assert not new & {"order_resi_assigned", "order_out_for_delivery", "order_shipped", "order_delivered"}
