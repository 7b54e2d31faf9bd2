"""The tracking vocabulary, word by word: every provider's word and the shipment status it means."""

import pytest

from shipping.models import ShipmentStatus as S
from shipping.status_map import TRACKING_STATUS_MAP, UNKNOWN, map_tracking_status

EXPECTED = {
    "biteship": {
        "confirmed": S.BOOKED, "scheduled": S.BOOKED, "allocated": S.BOOKED, "picking_up": S.BOOKED,
        "picked": S.PICKED_UP, "dropping_off": S.OUT_FOR_DELIVERY, "in_transit": S.IN_TRANSIT,
        "on_hold": S.ON_HOLD, "delivered": S.DELIVERED, "rejected": S.FAILED_DELIVERY,
        "courier_not_found": S.ON_HOLD, "return_in_transit": S.RETURNING_TO_SENDER, "returned": S.RETURNED,
        "cancelled": S.CANCELLED, "disposed": S.LOST,
    },
    "kiriminaja": {
        "processed_packages": S.BOOKED, "shipped_packages": S.PICKED_UP, "canceled_packages": S.CANCELLED,
        "finished_packages": S.DELIVERED, "returned_packages": S.RETURNED,
    },
    "shopee": {
        "LOGISTICS_NOT_START": None, "LOGISTICS_PENDING_ARRANGE": None, "LOGISTICS_READY": None,
        "LOGISTICS_REQUEST_CREATED": S.BOOKED, "LOGISTICS_PICKUP_RETRY": None, "LOGISTICS_PICKUP_FAILED": S.ON_HOLD,
        "LOGISTICS_PICKUP_DONE": S.PICKED_UP, "LOGISTICS_DELIVERY_FAILED": S.FAILED_DELIVERY,
        "LOGISTICS_DELIVERY_DONE": S.DELIVERED, "LOGISTICS_COD_REJECTED": S.RETURNING_TO_SENDER,
        "LOGISTICS_REQUEST_CANCELED": S.CANCELLED, "LOGISTICS_LOST": S.LOST, "LOGISTICS_INVALID": None,
        "READY_TO_SHIP": None, "PROCESSED": S.BOOKED, "RETRY_SHIP": None, "SHIPPED": S.IN_TRANSIT,
        "TO_CONFIRM_RECEIVE": S.DELIVERED, "COMPLETED": S.DELIVERED, "TO_RETURN": None, "IN_CANCEL": None,
        "CANCELLED": S.CANCELLED,
    },
    "tiktok": {
        "AWAITING_SHIPMENT": None, "AWAITING_COLLECTION": S.BOOKED, "PARTIALLY_SHIPPING": None,
        "IN_TRANSIT": S.IN_TRANSIT, "DELIVERED": S.DELIVERED, "COMPLETED": S.DELIVERED, "CANCELLED": S.CANCELLED,
        "CANCEL": S.CANCELLED,
    },
    "lazada": {
        "pending": None, "packed": None, "repacked": None, "ready_to_ship": S.BOOKED, "shipped": S.IN_TRANSIT,
        "delivered": S.DELIVERED, "failed_delivery": S.FAILED_DELIVERY, "shipped_back": S.RETURNING_TO_SENDER,
        "shipped_back_success": S.RETURNED, "returned": None, "lost_by_3pl": S.LOST, "damaged_by_3pl": S.ON_HOLD,
        "canceled": S.CANCELLED,
    },
    "tokopedia": {"400": None, "450": S.BOOKED, "500": S.IN_TRANSIT, "550": S.RETURNED, "600": S.DELIVERED,
                  "700": S.DELIVERED},
}

CASES = [(source, word, status) for source, words in EXPECTED.items() for word, status in words.items()]


@pytest.mark.parametrize(("source", "word", "status"), CASES)
def test_each_provider_word_maps_to_its_shipment_status(source, word, status):
    assert map_tracking_status(source, word) == status


def test_the_table_has_exactly_the_words_tested():
    tested = {s: set(w) for s, w in EXPECTED.items()}
    table = {s: set(w) for s, w in TRACKING_STATUS_MAP.items() if s != "staff"}
    assert table == tested


@pytest.mark.parametrize(("camel", "status"), [
    ("pickingUp", S.BOOKED), ("droppingOff", S.OUT_FOR_DELIVERY), ("inTransit", S.IN_TRANSIT),
    ("returnInTransit", S.RETURNING_TO_SENDER), ("onHold", S.ON_HOLD), ("courierNotFound", S.ON_HOLD),
    ("Delivered", S.DELIVERED),
])
def test_biteship_tracking_page_camel_case_maps_like_snake_case(camel, status):
    assert map_tracking_status("biteship", camel) == status


def test_an_unheard_word_is_unknown_not_a_guess():
    assert map_tracking_status("biteship", "teleported") is UNKNOWN
    assert map_tracking_status("nobody", "delivered") is UNKNOWN


def test_staff_use_our_own_words():
    assert map_tracking_status("staff", "out_for_delivery") == S.OUT_FOR_DELIVERY
