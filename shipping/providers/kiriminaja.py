"""KiriminAja: rates (`shipping_price`), bookings (`request_pickup`), tracking and its push events.

Auth: `Authorization: Bearer <api key>`; pushes come back with the same bearer and the
`User-Agent: KiriminAja-Push-Services`. Weights are grams. The answers' field names and the
tracking endpoint (`POST /api/mitra/tracking` with `order_id`) are from public integrations
[community].
"""

from __future__ import annotations

import time

from shipping.providers.base import (
    Booking,
    BookingRequest,
    ProviderError,
    RateRequest,
    TrackingEntry,
    TrackingResult,
)
from shipping.providers.http import new_session, parse_time, request_json, whole_amount
from shipping.services.rates import QuoteOption

DEFAULT_BASE_URL = "https://client.kiriminaja.com"
NAME = "KiriminAja"
PRICE_PATH = "/api/mitra/v6.1/shipping_price"
PICKUP_PATH = "/api/mitra/v6.1/request_pickup"
TRACKING_PATH = "/api/mitra/tracking"
MAX_ORDER_ID = 20


def _phone(raw: str) -> str:
    digits = "".join(ch for ch in raw or "" if ch.isascii() and ch.isdigit())
    if digits.startswith("62"):
        return digits
    if digits.startswith("0"):
        return "62" + digits[1:]
    return digits


def _etd(text) -> tuple[int | None, int | None]:
    numbers = [int("".join(c for c in p if c.isascii() and c.isdigit())) for p in str(text or "").split("-")
               if any(c.isascii() and c.isdigit() for c in p)]
    if not numbers:
        return None, None
    return numbers[0], numbers[-1]


class KiriminAjaProvider:
    name = "kiriminaja"

    def __init__(self, account, *, session=None, clock=time.time) -> None:
        self.account = account
        self._session = session
        self.clock = clock

    @property
    def session(self):
        if self._session is None:
            self._session = new_session()
        return self._session

    def _call(self, path: str, body: dict) -> dict:
        key = self.account.credential("api_key")
        if not key:
            raise ProviderError(f"{NAME}: no API key is set for {self.account.name}")
        url = (self.account.api_base_url or DEFAULT_BASE_URL).rstrip("/") + path
        data = request_json(self.session, "POST", url, headers={"Authorization": f"Bearer {key}"}, body=body,
                            name=NAME)
        if data.get("status") is False:
            raise ProviderError(f"{NAME}: {data.get('text') or data.get('message') or 'refused'}")
        return data

    def rates_body(self, request: RateRequest) -> dict:
        parcel, dest = request.parcel, request.destination
        if not dest.kecamatan_id:
            raise ProviderError(f"{NAME}: the destination needs a KiriminAja kecamatan id")
        if not self.account.origin_kecamatan_id:
            raise ProviderError(f"{NAME}: the account has no origin kecamatan id")
        return {
            "origin": int(self.account.origin_kecamatan_id),
            "subdistrict_origin": int(self.account.origin_kelurahan_id or 0),
            "destination": int(dest.kecamatan_id), "subdistrict_destination": 0,
            "weight": int(parcel.weight_grams), "length": parcel.length_cm, "width": parcel.width_cm,
            "height": parcel.height_cm, "insurance": 0, "item_value": int(parcel.value_amount),
            "courier": [c.strip() for c in (self.account.couriers or "").split(",") if c.strip()],
        }

    def quote(self, request: RateRequest) -> list[QuoteOption]:
        data = self._call(PRICE_PATH, self.rates_body(request))
        results = data.get("results")
        if not isinstance(results, list):
            raise ProviderError(f"{NAME}: the rates answer has no results list")
        options = []
        for row in results:
            if not isinstance(row, dict) or not row.get("service") or not row.get("service_type"):
                raise ProviderError(f"{NAME}: a result has no service")
            low, high = _etd(row.get("etd"))
            options.append(QuoteOption(
                courier_code=str(row["service"]).lower(), courier_name=str(row.get("service_name") or row["service"]),
                service_code=str(row["service_type"]).lower(), service_name=str(row["service_type"]).upper(),
                price_amount=whole_amount(row.get("cost"), name=NAME, field="cost"), etd_min_days=low,
                etd_max_days=high, cod_available=bool(row.get("cod")), insurance_available=True, source=self.name,
            ))
        return options

    def booking_body(self, request: BookingRequest) -> dict:
        o, d = request.origin, request.destination
        if len(request.reference) > MAX_ORDER_ID:
            raise ProviderError(f"{NAME}: order id {request.reference} is longer than {MAX_ORDER_ID} characters")
        if not d.kecamatan_id:
            raise ProviderError(f"{NAME}: the destination needs a KiriminAja kecamatan id")
        from django.utils import timezone

        return {
            "address": o.address, "phone": _phone(o.phone), "name": o.name,
            "kecamatan_id": int(self.account.origin_kecamatan_id or 0),
            "kelurahan_id": int(self.account.origin_kelurahan_id or 0),
            "schedule": timezone.localtime().strftime("%Y-%m-%d %H:%M:%S"),
            "packages": [{
                "order_id": request.reference, "destination_name": d.name, "destination_phone": _phone(d.phone),
                "destination_address": d.address, "destination_kecamatan_id": int(d.kecamatan_id),
                "weight": int(request.parcel.weight_grams), "width": request.parcel.width_cm,
                "height": request.parcel.height_cm, "length": request.parcel.length_cm,
                "item_value": int(request.parcel.value_amount), "shipping_cost": int(request.shipping_cost_amount),
                "service": request.courier_code, "service_type": request.service_code.upper(),
                "item_name": ", ".join(i.name for i in request.items)[:250] or "Paket", "package_type_id": 1,
                "cod": int(request.cod_amount), "note": request.note[:200],
            }],
        }

    def book(self, request: BookingRequest) -> Booking:
        data = self._call(PICKUP_PATH, self.booking_body(request))
        details = data.get("details") if isinstance(data.get("details"), dict) else {}
        pickup = str(details.get("pickup_number") or data.get("pickup_number") or "")
        if not pickup:
            raise ProviderError(f"{NAME}: the pickup answer has no pickup number")
        return Booking(provider_order_id=request.reference, tracking_number="", courier_code=request.courier_code,
                       service_code=request.service_code, price_amount=int(request.shipping_cost_amount))

    def cancel(self, *, provider_order_id: str, reason: str) -> None:
        self._call("/api/mitra/v3/cancel_shipment", {"awb": provider_order_id, "reason": reason[:200] or "cancelled"})

    def track(self, *, tracking_number: str, courier_code: str, provider_order_id: str = "") -> TrackingResult:
        if not provider_order_id:
            raise ProviderError(f"{NAME}: tracking needs the order id the shipment was booked with")
        data = self._call(TRACKING_PATH, {"order_id": provider_order_id})
        histories = data.get("histories")
        details = data.get("details") if isinstance(data.get("details"), dict) else {}
        if not isinstance(histories, list):
            raise ProviderError(f"{NAME}: the tracking answer has no histories")
        entries = []
        for row in histories:
            at = parse_time(row.get("created_at")) if isinstance(row, dict) else None
            if at is None or not row.get("status"):
                raise ProviderError(f"{NAME}: a tracking entry has no status or time")
            entries.append(TrackingEntry(status_word=str(row.get("status_code") or row["status"]), occurred_at=at,
                                         description=str(row["status"])[:500]))
        return TrackingResult(status_word=str(details.get("status") or ""), entries=entries)
