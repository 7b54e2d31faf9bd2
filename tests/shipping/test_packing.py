import pytest
from django.core.exceptions import ValidationError

from core.errors import Conflict, DomainError, NotFound
from orders.models import OrderStatus
from orders.services import order_cancel
from shipping.models import PickWave, Shipment
from shipping.services import packing
from tests.shipping.factories import PresetFactory

pytestmark = pytest.mark.django_db


def _barcode(order, sku):
    return order.lines.get(sku=sku).variant.barcode


def test_a_wave_confirms_paid_orders_and_refuses_unpaid_or_busy_ones_naming_them(place_order):
    paid = place_order(confirm=False)
    unpaid = place_order(confirm=False, paid=False)
    with pytest.raises(DomainError, match=f"{unpaid.number} is awaiting payment"):
        packing.wave_create(order_ids=[paid.pk, unpaid.pk])
    wave = packing.wave_create(order_ids=[paid.pk])
    paid.refresh_from_db()
    assert paid.status == OrderStatus.PROCESSING and wave.number.startswith("W")
    with pytest.raises(DomainError, match=f"{paid.number} is already in wave {wave.number}"):
        packing.wave_create(order_ids=[paid.pk, place_order().pk])
    assert PickWave.objects.count() == 1


def test_packing_counts_scans_refuses_wrong_and_extra_items_and_packs_when_complete(place_order):
    order = place_order([("KAOS-L", 2), ("TOPI", 1)])
    shipment = packing.pack_start(code=order.number)
    kaos, topi = _barcode(order, "KAOS-L"), _barcode(order, "TOPI")

    wrong = packing.pack_scan_item(shipment_id=shipment.pk, code="8990000000000")
    first = packing.pack_scan_item(shipment_id=shipment.pk, code=kaos)
    by_sku = packing.pack_scan_item(shipment_id=shipment.pk, code="kaos-l")
    extra = packing.pack_scan_item(shipment_id=shipment.pk, code=kaos)
    with pytest.raises(Conflict, match=r"TOPI \(0/1\)"):
        packing.pack_finish(shipment_id=shipment.pk, weight_grams=800)
    last = packing.pack_scan_item(shipment_id=shipment.pk, code=topi)

    assert not wrong.ok and "Wrong item: 8990000000000 is not in order" in wrong.message
    assert first.ok and by_sku.ok and not extra.ok and "One too many" in extra.message
    assert last.ok and last.complete
    preset = PresetFactory()
    packing.pack_finish(shipment_id=shipment.pk, weight_grams=800, preset_id=preset.pk)
    shipment.refresh_from_db()
    order.refresh_from_db()
    assert (shipment.weight_grams, shipment.length_cm, shipment.packing_cost_amount) == (800, 20, 2_500)
    assert shipment.packed_at is not None and order.status == OrderStatus.PACKED
    assert shipment.events.filter(kind="scan_refused").count() == 2


def test_a_packed_or_cancelled_order_cannot_be_packed_again(place_order):
    order = place_order()
    shipment = packing.pack_start(code=order.number)
    packing.pack_scan_item(shipment_id=shipment.pk, code=_barcode(order, "KAOS-L"))
    packing.pack_finish(shipment_id=shipment.pk, weight_grams=300)
    with pytest.raises(Conflict, match="already packed"):
        packing.pack_start(code=order.number)
    other = place_order()
    order_cancel(order_id=other.pk, reason="buyer cancelled")
    with pytest.raises(Conflict, match="is cancelled"):
        packing.pack_start(code=other.number)
    with pytest.raises(NotFound, match="is not an order"):
        packing.pack_start(code="NOPE-1")


def test_a_supervisor_ticks_a_line_with_a_reason(place_order, make_user):
    order = place_order([("KAOS-L", 2)])
    shipment = packing.pack_start(code=order.number)
    line = shipment.lines.get()
    with pytest.raises(ValidationError):
        packing.pack_tick_line(shipment_line_id=line.pk, actor=None, reason=" ")
    supervisor = make_user()
    packing.pack_tick_line(shipment_line_id=line.pk, actor=supervisor, reason="label barcode rusak")
    packing.pack_finish(shipment_id=shipment.pk, weight_grams=500)
    line.refresh_from_db()
    assert (line.scanned_quantity, line.ticked_by, line.tick_reason) == (2, supervisor, "label barcode rusak")


def test_pack_finish_refuses_impossible_weights(place_order):
    shipment = packing.pack_start(code=place_order().number)
    for weight in (0, -5, 2_000_000):
        with pytest.raises(ValidationError):
            packing.pack_finish(shipment_id=shipment.pk, weight_grams=weight)
    assert Shipment.objects.get(pk=shipment.pk).packed_at is None
