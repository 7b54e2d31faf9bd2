"""One tracking vocabulary: every provider's status word mapped onto a shipment status.

Sources: Biteship (snake_case in the API and webhooks, camelCase on its tracking pages),
KiriminAja (push methods), Shopee logistics and order statuses, TikTok Shop order statuses,
Lazada order-item statuses and Tokopedia's numeric codes. A word mapped to None is recorded on the
timeline but moves nothing (a parcel waiting for pickup, a buyer's return request that belongs to
after-sales). Words marked [community] come from public integration code rather than the
provider's documentation.
"""

from __future__ import annotations

import re

from shipping.models import ShipmentStatus as S

TRACKING_STATUS_MAP: dict[str, dict[str, str | None]] = {
    "biteship": {
        "confirmed": S.BOOKED,
        "scheduled": S.BOOKED,
        "allocated": S.BOOKED,
        "picking_up": S.BOOKED,  # the driver is on the way: the parcel is still here
        "picked": S.PICKED_UP,
        "dropping_off": S.OUT_FOR_DELIVERY,
        "in_transit": S.IN_TRANSIT,
        "on_hold": S.ON_HOLD,
        "delivered": S.DELIVERED,
        "rejected": S.FAILED_DELIVERY,  # the recipient refused it; it comes back next
        "courier_not_found": S.ON_HOLD,
        "return_in_transit": S.RETURNING_TO_SENDER,
        "returned": S.RETURNED,
        "cancelled": S.CANCELLED,
        "disposed": S.LOST,
    },
    "kiriminaja": {
        "processed_packages": S.BOOKED,
        "shipped_packages": S.PICKED_UP,
        "canceled_packages": S.CANCELLED,
        "finished_packages": S.DELIVERED,
        "returned_packages": S.RETURNED,
    },
    "shopee": {
        # package_list[].logistics_status
        "LOGISTICS_NOT_START": None,
        "LOGISTICS_PENDING_ARRANGE": None,
        "LOGISTICS_READY": None,
        "LOGISTICS_REQUEST_CREATED": S.BOOKED,
        "LOGISTICS_PICKUP_RETRY": None,
        "LOGISTICS_PICKUP_FAILED": S.ON_HOLD,
        "LOGISTICS_PICKUP_DONE": S.PICKED_UP,
        "LOGISTICS_DELIVERY_FAILED": S.FAILED_DELIVERY,
        "LOGISTICS_DELIVERY_DONE": S.DELIVERED,
        "LOGISTICS_COD_REJECTED": S.RETURNING_TO_SENDER,
        "LOGISTICS_REQUEST_CANCELED": S.CANCELLED,
        "LOGISTICS_LOST": S.LOST,
        "LOGISTICS_INVALID": None,
        # order_status
        "READY_TO_SHIP": None,
        "PROCESSED": S.BOOKED,
        "RETRY_SHIP": None,
        "SHIPPED": S.IN_TRANSIT,
        "TO_CONFIRM_RECEIVE": S.DELIVERED,
        "COMPLETED": S.DELIVERED,
        "TO_RETURN": None,  # a buyer's return request: after-sales
        "IN_CANCEL": None,
        "CANCELLED": S.CANCELLED,
    },
    "tiktok": {
        "AWAITING_SHIPMENT": None,
        "AWAITING_COLLECTION": S.BOOKED,
        "PARTIALLY_SHIPPING": None,
        "IN_TRANSIT": S.IN_TRANSIT,
        "DELIVERED": S.DELIVERED,
        "COMPLETED": S.DELIVERED,
        "CANCELLED": S.CANCELLED,
        "CANCEL": S.CANCELLED,
    },
    "lazada": {
        "pending": None,
        "packed": None,
        "repacked": None,
        "ready_to_ship": S.BOOKED,
        "shipped": S.IN_TRANSIT,
        "delivered": S.DELIVERED,
        "failed_delivery": S.FAILED_DELIVERY,
        "shipped_back": S.RETURNING_TO_SENDER,
        "shipped_back_success": S.RETURNED,  # [community]
        "returned": None,  # a buyer's return after delivery: after-sales
        "lost_by_3pl": S.LOST,
        "damaged_by_3pl": S.ON_HOLD,
        "canceled": S.CANCELLED,
    },
    "tokopedia": {
        "400": None,
        "450": S.BOOKED,
        "500": S.IN_TRANSIT,
        "550": S.RETURNED,
        "600": S.DELIVERED,
        "700": S.DELIVERED,
    },
}

# Staff record a status in our own words (what the courier's site or call centre said).
TRACKING_STATUS_MAP["staff"] = {status: status for status in S.values}

# Channel kinds (channels.Channel.Kind) whose pushes use a source above.
CHANNEL_SOURCES = {"shopee": "shopee", "tiktok_shop": "tiktok", "lazada": "lazada", "tokopedia": "tokopedia"}

UNKNOWN = object()

_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")


def normalise_word(word: str) -> str:
    """`pickingUp` -> `picking_up`, `  In Transit ` -> `in_transit`: the spelling-free form of a word."""
    text = _CAMEL.sub(r"_\1", (word or "").strip())
    return re.sub(r"[\s\-]+", "_", text).lower()


def map_tracking_status(source: str, word: str):
    """The shipment status a provider's word means, None for record-only words, UNKNOWN otherwise.

    Exact spelling first, then the spelling-free form (camelCase, case, spaces), so Biteship's
    `pickingUp` and `picking_up` and Shopee's `logistics_pickup_done` all map.
    """
    table = TRACKING_STATUS_MAP.get(source, {})
    raw = (word or "").strip()
    if raw in table:
        return table[raw]
    wanted = normalise_word(raw)
    for key, value in table.items():
        if normalise_word(key) == wanted:
            return value
    return UNKNOWN
