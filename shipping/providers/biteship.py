"""Biteship: rates (`POST /v1/rates/couriers`), orders (`POST /v1/orders`, cancel), tracking
(`GET /v1/trackings/{waybill}/couriers/{code}`) and its webhooks.

Auth: header `authorization: <api key>` (keys start `biteship_live.` or `biteship_test.`).
Weights are grams in Biteship's API; answers' field names are from public integrations [community].
"""

from __future__ import annotations

import time
from urllib.parse import quote

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

DEFAULT_BASE_URL = "https://api.biteship.com"
NAME = "Biteship"


def _days(text) -> tuple[int | None, int | None]:
    """ "1 - 2", "2-3", "1" (days) -> (1, 2); hours ("6 - 8" with unit hours) are same day."""
    parts = [p for p in str(text or "").replace("–", "-").split("-") if p.strip()]
    numbers = []
    for part in parts[:2]:
        digits = "".join(ch for ch in part if ch.isascii() and ch.isdigit())
        if digits:
            numbers.append(int(digits))
    if not numbers:
        return None, None
    return numbers[0], numbers[-1]


class BiteshipProvider:
    name = "biteship"

    def __init__(self, account, *, session=None, clock=time.time) -> None:
        self.account = account
        self._session = session
        self.clock = clock

    @property
    def session(self):
        if self._session is None:
            self._session = new_session()
        return self._session

    def _url(self, path: str) -> str:
        return (self.account.api_base_url or DEFAULT_BASE_URL).rstrip("/") + path

    def _headers(self) -> dict:
        key = self.account.credential("api_key")
        if not key:
            raise ProviderError(f"{NAME}: no API key is set for {self.account.name}")
        return {"authorization": key}

    def _call(self, method: str, path: str, body: dict | None = None) -> dict:
        data = request_json(self.session, method, self._url(path), headers=self._headers(), body=body, name=NAME)
        if data.get("success") is False:
            raise ProviderError(f"{NAME}: {data.get('error') or data.get('message') or 'refused'}",
                                status=data.get("code"))
        return data

    # --- rates -----------------------------------------------------------------------------------
    def rates_body(self, request: RateRequest) -> dict:
        parcel, dest = request.parcel, request.destination
        body: dict = {
            "couriers": self.account.couriers or "jne,jnt,sicepat",
            "items": [{
                "name": "Paket", "description": "", "category": "others", "value": int(parcel.value_amount),
                "length": parcel.length_cm or 1, "width": parcel.width_cm or 1, "height": parcel.height_cm or 1,
                "weight": int(parcel.weight_grams), "quantity": 1,
            }],
        }
        from shipping.selectors import shipping_settings

        cfg = shipping_settings()
        if self.account.origin_area_id:
            body["origin_area_id"] = self.account.origin_area_id
        else:
            body["origin_postal_code"] = cfg.origin_postal_code
        if dest.area_id:
            body["destination_area_id"] = dest.area_id
        elif dest.postal_code:
            body["destination_postal_code"] = dest.postal_code
        else:
            raise ProviderError(f"{NAME}: the destination needs a postal code")
        return body

    def quote(self, request: RateRequest) -> list[QuoteOption]:
        data = self._call("POST", "/v1/rates/couriers", self.rates_body(request))
        pricing = data.get("pricing")
        if not isinstance(pricing, list):
            raise ProviderError(f"{NAME}: the rates answer has no pricing list")
        options = []
        for row in pricing:
            if not isinstance(row, dict) or not row.get("courier_code") or not row.get("courier_service_code"):
                raise ProviderError(f"{NAME}: a pricing entry has no courier or service code")
            low, high = _days(row.get("shipment_duration_range") or row.get("duration"))
            if str(row.get("shipment_duration_unit") or "days").lower().startswith("hour"):
                low, high = 0, 0
            options.append(QuoteOption(
                courier_code=str(row["courier_code"]).lower(), courier_name=str(row.get("courier_name") or ""),
                service_code=str(row["courier_service_code"]).lower(),
                service_name=str(row.get("courier_service_name") or row["courier_service_code"]),
                price_amount=whole_amount(row.get("price"), name=NAME, field="price"),
                etd_min_days=low, etd_max_days=high,
                cod_available=bool(row.get("available_for_cash_on_delivery")),
                insurance_available=bool(row.get("available_for_insurance")), source=self.name,
            ))
        return options

    # --- orders ----------------------------------------------------------------------------------
    def booking_body(self, request: BookingRequest) -> dict:
        o, d = request.origin, request.destination
        body = {
            "reference_id": request.reference,
            "shipper_contact_name": o.name, "shipper_contact_phone": o.phone,
            "origin_contact_name": o.name, "origin_contact_phone": o.phone, "origin_address": o.address,
            "origin_postal_code": o.postal_code, "origin_collection_method": "pickup" if request.pickup else "drop_off",
            "destination_contact_name": d.name, "destination_contact_phone": d.phone,
            "destination_address": d.address, "destination_postal_code": d.postal_code,
            "courier_company": request.courier_code, "courier_type": request.service_code,
            "delivery_type": "now", "order_note": request.note[:200],
            "items": [{"name": i.name[:100], "value": i.value_amount, "quantity": i.quantity,
                       "weight": i.weight_grams} for i in request.items],
        }
        if self.account.origin_area_id:
            body["origin_area_id"] = self.account.origin_area_id
        if d.area_id:
            body["destination_area_id"] = d.area_id
        if request.cod_amount:
            body["destination_cash_on_delivery"] = request.cod_amount
        if request.insurance:
            body["courier_insurance"] = request.parcel.value_amount
        return body

    def book(self, request: BookingRequest) -> Booking:
        data = self._call("POST", "/v1/orders", self.booking_body(request))
        courier = data.get("courier") if isinstance(data.get("courier"), dict) else {}
        order_id = str(data.get("id") or "")
        if not order_id:
            raise ProviderError(f"{NAME}: the booking answer has no order id")
        price = data.get("price")
        return Booking(
            provider_order_id=order_id,
            tracking_number=str(courier.get("waybill_id") or ""),
            courier_code=str(courier.get("company") or request.courier_code).lower(),
            service_code=str(courier.get("type") or request.service_code).lower(),
            price_amount=whole_amount(price, name=NAME, field="price") if price not in (None, "") else 0,
            sort_code=str(courier.get("routing_code") or ""),
        )

    def cancel(self, *, provider_order_id: str, reason: str) -> None:
        self._call("POST", f"/v1/orders/{quote(provider_order_id, safe='')}/cancel",
                   {"cancellation_reason_code": "others", "cancellation_reason": reason[:200] or "cancelled"})

    # --- tracking --------------------------------------------------------------------------------
    def track(self, *, tracking_number: str, courier_code: str, provider_order_id: str = "") -> TrackingResult:
        if not tracking_number or not courier_code:
            raise ProviderError(f"{NAME}: tracking needs a resi and a courier code")
        path = f"/v1/trackings/{quote(tracking_number, safe='')}/couriers/{quote(courier_code, safe='')}"
        data = self._call("GET", path)
        history = data.get("history")
        if not isinstance(history, list) or not isinstance(data.get("status"), str):
            raise ProviderError(f"{NAME}: the tracking answer has no status or history")
        entries = []
        for row in history:
            at = parse_time(row.get("updated_at")) if isinstance(row, dict) else None
            if at is None or not row.get("status"):
                raise ProviderError(f"{NAME}: a tracking entry has no status or time")
            entries.append(TrackingEntry(status_word=str(row["status"]), occurred_at=at,
                                         description=str(row.get("note") or "")[:500]))
        return TrackingResult(status_word=data["status"], entries=entries)
