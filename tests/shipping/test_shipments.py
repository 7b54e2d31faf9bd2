import pytest
from django.utils import timezone

from core.errors import Conflict, InvalidTransition
from orders.models import OrderStatus
from orders.services import order_cancel, order_mark_shipped
from shipping.models import ALLOWED_TRANSITIONS, Shipment, ShipmentEvent, ShipmentStatus
from shipping.services import shipments as svc
from shipping.services.shipments import derive_delivery_state, order_steps

pytestmark = pytest.mark.django_db
S = ShipmentStatus
OS = OrderStatus


def test_a_new_shipment_takes_every_unit_and_the_cod_amount(place_order):
    order = place_order([("KAOS-L", 2), ("TOPI", 1)], cod=True)
    shipment = svc.shipment_create(order_id=order.pk)
    assert shipment.number == f"{order.number}-1"
    assert sorted((line.order_line.sku, line.quantity) for line in shipment.lines.all()) == [("KAOS-L", 2),
                                                                                            ("TOPI", 1)]
    assert shipment.cod_amount == order.total_amount
    assert shipment.events.get().kind == "created"


def test_split_shipping_puts_the_rest_in_a_second_parcel_and_refuses_more(place_order):
    order = place_order([("KAOS-L", 3)])
    line = order.lines.get()
    first = svc.shipment_create(order_id=order.pk, lines={line.pk: 2})
    second = svc.shipment_create(order_id=order.pk)
    assert [ln.quantity for ln in second.lines.all()] == [1]
    assert second.number.endswith("-2") and first.number.endswith("-1")
    with pytest.raises(Exception, match="already in a parcel"):
        svc.shipment_create(order_id=order.pk)


def test_a_resi_is_stored_as_given_but_unique_per_courier(place_order, jne):
    a, b = place_order(), place_order()
    one = svc.shipment_create(order_id=a.pk, courier_id=jne.pk)
    two = svc.shipment_create(order_id=b.pk, courier_id=jne.pk)
    svc.shipment_set_resi(shipment_id=one.pk, tracking_number=" cm-123/äx ")
    with pytest.raises(Conflict, match=f"already used by order {a.number}"):
        svc.shipment_set_resi(shipment_id=two.pk, tracking_number="cm-123/äx")
    # the same number at another courier is another parcel
    svc.shipment_set_resi(shipment_id=two.pk, tracking_number="cm-123/äx", courier_name="SiCepat")
    assert Shipment.objects.get(pk=one.pk).tracking_number == "cm-123/äx"
    assert Shipment.objects.get(pk=two.pk).courier_key == "sicepat"


def test_every_allowed_transition_writes_one_event_and_is_idempotent(place_order):
    order = place_order()
    for source, targets in ALLOWED_TRANSITIONS.items():
        for target in targets:
            shipment = Shipment.objects.create(order=order, number=f"T-{source}-{target}", status=source)
            shipment.tracking_number = ""
            plan = svc.plan_transition(shipment, target, at=timezone.now(), source="test")
            svc.write_transitions([plan])
            shipment.refresh_from_db()
            assert shipment.status == target
            assert ShipmentEvent.objects.filter(shipment=shipment, from_status=source, to_status=target).count() == 1
            assert svc.plan_transition(shipment, target, at=timezone.now(), source="test") is None


def test_a_step_the_table_does_not_allow_is_refused_for_people_and_skipped_for_tracking(place_order):
    order = place_order()
    shipment = Shipment.objects.create(order=order, number="X-1", status=S.DELIVERED)
    with pytest.raises(InvalidTransition):
        svc.plan_transition(shipment, S.IN_TRANSIT, at=timezone.now(), source="staff")
    assert svc.plan_transition(shipment, S.IN_TRANSIT, at=timezone.now(), source="biteship", strict=False) is None


def test_a_parcel_that_left_cannot_be_cancelled(place_order, jne):
    order = place_order()
    shipment = svc.shipment_create(order_id=order.pk, courier_id=jne.pk, tracking_number="CM1")
    svc.shipment_mark_picked_up(shipment_id=shipment.pk)
    with pytest.raises(InvalidTransition, match="left the warehouse"):
        svc.shipment_cancel(shipment_id=shipment.pk, reason="buyer asked")


def test_picked_up_without_a_resi_is_refused(place_order):
    shipment = svc.shipment_create(order_id=place_order().pk)
    with pytest.raises(Conflict, match="no resi"):
        svc.shipment_mark_picked_up(shipment_id=shipment.pk)


def test_hand_over_moves_the_order_to_shipped_and_delivery_to_delivered(place_order, jne):
    order = place_order([("KAOS-L", 2)])
    shipment = svc.shipment_create(order_id=order.pk, courier_id=jne.pk, tracking_number="CM777")
    Shipment.objects.filter(pk=shipment.pk).update(packed_at=timezone.now())

    svc.shipment_mark_picked_up(shipment_id=shipment.pk)
    order.refresh_from_db()
    assert order.status == OS.SHIPPED and order.tracking_number == "CM777" and order.courier == "JNE"
    assert order.events.filter(to_status=OS.SHIPPED, source="shipping").count() == 1

    svc.shipment_mark_delivered(shipment_id=shipment.pk)
    order.refresh_from_db()
    shipment.refresh_from_db()
    assert order.status == OS.DELIVERED and shipment.delivered_at is not None and shipment.dispatched_at is not None


def test_an_order_ships_only_when_all_its_parcels_left(place_order, jne):
    order = place_order([("KAOS-L", 2)])
    line = order.lines.get()
    one = svc.shipment_create(order_id=order.pk, lines={line.pk: 1}, courier_id=jne.pk, tracking_number="CM-A")
    two = svc.shipment_create(order_id=order.pk, courier_id=jne.pk, tracking_number="CM-B")
    Shipment.objects.filter(order=order).update(packed_at=timezone.now())
    svc.shipment_mark_picked_up(shipment_id=one.pk)
    order.refresh_from_db()
    assert order.status != OS.SHIPPED
    svc.shipment_mark_picked_up(shipment_id=two.pk)
    order.refresh_from_db()
    assert order.status == OS.SHIPPED


def test_cancelling_the_order_cancels_its_waiting_parcels(place_order):
    order = place_order()
    shipment = svc.shipment_create(order_id=order.pk)
    order_cancel(order_id=order.pk, reason="buyer changed their mind")
    shipment.refresh_from_db()
    assert shipment.status == S.CANCELLED


def test_marking_an_order_shipped_with_a_resi_another_order_holds_is_refused(place_order, jne):
    first, second = place_order(), place_order()
    svc.shipment_create(order_id=first.pk, courier_id=jne.pk, tracking_number="CM-DUP")
    from orders.services import order_mark_packed

    order_mark_packed(order_id=second.pk)
    with pytest.raises(Conflict, match=f"already used by order {first.number}"):
        order_mark_shipped(order_id=second.pk, courier="JNE", tracking_number="CM-DUP", source="staff")
    second.refresh_from_db()
    assert second.status == OS.PACKED and second.tracking_number == ""


def test_marking_an_order_shipped_with_a_new_resi_makes_its_shipment(place_order):
    order = place_order()
    from orders.services import order_mark_packed

    order_mark_packed(order_id=order.pk)
    order_mark_shipped(order_id=order.pk, courier="J&T Express", tracking_number="JP1234567890", source="staff")
    shipment = Shipment.objects.get(order=order)
    assert (shipment.courier_key, shipment.tracking_number, shipment.status) == ("jnt", "JP1234567890", S.PICKED_UP)


@pytest.mark.parametrize(("statuses", "state"), [
    ([], "none"),
    ([S.CREATED], "waiting"),
    ([S.CANCELLED], "none"),
    ([S.PICKED_UP, S.BOOKED], "partially_shipped"),
    ([S.IN_TRANSIT, S.PICKED_UP], "shipped"),
    ([S.DELIVERED, S.IN_TRANSIT], "partially_delivered"),
    ([S.DELIVERED, S.DELIVERED, S.CANCELLED], "delivered"),
    ([S.RETURNED], "returned"),
    ([S.DELIVERED, S.LOST], "problem"),
])
def test_the_order_delivery_state_is_derived_from_its_shipments(statuses, state):
    assert derive_delivery_state(statuses) == state


@pytest.mark.parametrize(("order_status", "cod", "state", "packed", "steps"), [
    (OS.PROCESSING, False, "shipped", False, [OS.PACKED, OS.SHIPPED]),
    (OS.PACKED, False, "delivered", False, [OS.SHIPPED, OS.DELIVERED]),
    (OS.PROCESSING, False, "waiting", True, [OS.PACKED]),
    (OS.PROCESSING, False, "waiting", False, []),
    (OS.DELIVERED, False, "shipped", False, []),
    (OS.AWAITING_PAYMENT, False, "shipped", False, []),
    (OS.AWAITING_PAYMENT, True, "shipped", False, [OS.PROCESSING, OS.PACKED, OS.SHIPPED]),
    (OS.CANCELLED, False, "delivered", False, []),
])
def test_order_steps_only_move_forward(order_status, cod, state, packed, steps):
    assert order_steps(order_status=order_status, is_cod=cod, delivery_state=state, all_packed=packed) == steps


def test_rts_received_restocks_once_and_fails_the_uncollected_cod(place_order, jne, stock_of):
    from payments.models import Payment, PaymentStatus

    order = place_order([("KAOS-L", 2)], cod=True)
    variant = order.lines.get().variant
    shipment = svc.shipment_create(order_id=order.pk, courier_id=jne.pk, tracking_number="CM-RTS")
    Shipment.objects.filter(pk=shipment.pk).update(packed_at=timezone.now())
    svc.shipment_mark_picked_up(shipment_id=shipment.pk)
    after_ship = stock_of(variant)
    svc.shipment_mark_failed_delivery(shipment_id=shipment.pk, note="penerima menolak")
    svc.shipment_mark_returning(shipment_id=shipment.pk)

    svc.shipment_receive_return(shipment_id=shipment.pk)
    svc.shipment_receive_return(shipment_id=shipment.pk)

    shipment.refresh_from_db()
    assert shipment.status == S.RETURNED and shipment.return_received_at is not None
    assert stock_of(variant) == (after_ship[0] + 2, after_ship[1])
    assert not Payment.objects.filter(order=order, status=PaymentStatus.PENDING).exists()
