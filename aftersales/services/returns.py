"""Returns (RMA): request -> approve/reject -> the parcel comes back -> receive -> inspect -> outcome.

The parcel's way back goes through ONE seam, `return_shipment_update`: a return approved with a
courier method (drop-off or pickup) gets a shipment in shipping's "return" direction
(`return_shipment_id`); the customer's resi goes on it, and when its tracking says delivered (at
our warehouse) shipping's status-changed hook calls `on_shipments_status_changed` here, which
receives the return in the same transaction. Receiving by hand marks the parcel delivered too.
The original shipment and its resi are never touched: returning some lines only adds records.

Locks: the order first, then the return (and shipping's order -> shipment order), so a courier
webhook and a warehouse click on the same return never deadlock.

Stock: at inspection, resellable units go back through catalog.services.stock_return_restock
(reference "rma:<return id>:<line id>", idempotent) and damaged units are received and written
off with an adjustment; the received -> inspected transition happens once under the row lock, so
the ledger moves exactly once. Money: a refund goes through payments.services.refund_create; a
replacement is a zero-price order through orders.services.order_create (reserving its stock).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales import hooks
from aftersales.models import (
    COURIER_RETURN_METHODS,
    OPEN_RETURN_STATUSES,
    CaseCategory,
    CaseChannel,
    CaseKind,
    Resolution,
    ReturnLine,
    ReturnMethod,
    ReturnOutcome,
    ReturnPolicy,
    ReturnRequest,
    ReturnStatus,
)
from aftersales.services import cases as case_services
from aftersales.services.common import case_event, final_number, temporary_number, user_or_none
from core.deadlines import business_calendar
from core.errors import DomainError, InvalidTransition, NotFound

R = ReturnStatus
_OUTCOME_RESOLUTION = {
    ReturnOutcome.REFUND: Resolution.REFUND, ReturnOutcome.REPLACEMENT: Resolution.REPLACEMENT,
    ReturnOutcome.REPAIR: Resolution.REPAIR, ReturnOutcome.VOUCHER: Resolution.VOUCHER,
}


# --- Policy -------------------------------------------------------------------------------------


def return_policy_get() -> ReturnPolicy:
    policy = ReturnPolicy.objects.order_by("pk").first()
    return policy if policy is not None else ReturnPolicy.objects.create()


def return_policy_update(*, window_working_days: int, conditions: str, shipping_paid_by: str, requires_photo: bool,
                         return_address: str = "", actor=None) -> ReturnPolicy:
    """Save the policy; the window cannot be below PP 80/2019's 2 working days."""
    if not isinstance(window_working_days, int) or window_working_days < ReturnPolicy.MIN_WINDOW_WORKING_DAYS:
        raise ValidationError({"window_working_days": [_(
            "Indonesian rules (PP 80/2019) give buyers at least %(n)s working days to exchange or cancel."
        ) % {"n": ReturnPolicy.MIN_WINDOW_WORKING_DAYS}]})
    if window_working_days > 365:
        raise ValidationError({"window_working_days": [_("At most 365 working days.")]})
    with transaction.atomic():
        policy = return_policy_get()
        policy = ReturnPolicy.objects.select_for_update().get(pk=policy.pk)
        policy.window_working_days = window_working_days
        policy.conditions = (conditions or "").strip()[:3000]
        policy.shipping_paid_by = shipping_paid_by
        policy.requires_photo = requires_photo
        policy.return_address = (return_address or "").strip()[:1000]
        policy.updated_by = user_or_none(actor)
        policy.full_clean()
        policy.save()
    return policy


def return_deadline(order, *, policy: ReturnPolicy | None = None) -> datetime | None:
    """End of the last working day a return may be requested; None before the order is delivered."""
    received = order.delivered_at or order.completed_at
    if received is None:
        return None
    policy = policy or return_policy_get()
    calendar = business_calendar()
    day = calendar.add_working_days(timezone.localtime(received).date(), policy.window_working_days)
    return calendar.end_of_day(day)


def returnable_quantities(order) -> dict[int, int]:
    """Per order line: units not already in an open or completed return."""
    taken = dict(
        ReturnLine.objects.filter(order_line__order=order)
        .filter(Q(return_request__status__in=OPEN_RETURN_STATUSES) | Q(return_request__status=R.COMPLETED))
        .values("order_line").annotate(n=Sum("quantity")).values_list("order_line", "n")
    )
    return {line.pk: line.quantity - taken.get(line.pk, 0) for line in order.lines.all()}


# --- Requests -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReturnLineRequest:
    order_line_id: int
    quantity: int
    note: str = ""


def return_request_create(
    *,
    order_id: int,
    lines: list[ReturnLineRequest],
    reason: str,
    description: str,
    requested_outcome: str = ReturnOutcome.REFUND,
    channel: str = CaseChannel.STAFF,
    actor=None,
    source: str = "staff",
    outside_window_note: str = "",
) -> ReturnRequest:
    """Open a return for some lines of a delivered order, with its case.

    Inside the policy window, or outside it only by staff with a note. ValidationError names the
    field: no lines, more units than are left to return, an undelivered order, a closed window.
    """
    from orders.models import Order

    order = Order.objects.select_related("customer").filter(pk=order_id).first()
    if order is None:
        raise NotFound(_("Order %(id)s does not exist.") % {"id": order_id})
    if reason not in CaseCategory.values:
        raise ValidationError({"reason": [_("%(value)r is not a valid choice.") % {"value": reason}]})
    if requested_outcome not in ReturnOutcome.values:
        raise ValidationError({"requested_outcome": [_("%(value)r is not a valid choice.")
                                                     % {"value": requested_outcome}]})
    if not lines:
        raise ValidationError({"lines": [_("Choose at least one item to return.")]})
    deadline = return_deadline(order)
    if deadline is None:
        raise ValidationError({"order": [_("A return can be requested once the order has been delivered.")]})
    now = timezone.now()
    if now > deadline and not (outside_window_note.strip() and user_or_none(actor)):
        raise ValidationError({"order": [_("The return window closed on %(date)s.")
                                         % {"date": timezone.localtime(deadline).strftime("%d-%m-%Y")}]})
    with transaction.atomic():
        Order.objects.select_for_update(of=("self",)).filter(pk=order.pk).first()  # one return at a time per order
        left = returnable_quantities(order)
        wanted: dict[int, ReturnLineRequest] = {}
        for line in lines:
            if line.order_line_id not in left:
                raise ValidationError({"lines": [_("Line %(id)s is not part of this order.")
                                                 % {"id": line.order_line_id}]})
            if not 0 < line.quantity <= left[line.order_line_id]:
                raise ValidationError({"lines": [_("Line %(id)s: at most %(n)s units can still be returned.")
                                                 % {"id": line.order_line_id, "n": left[line.order_line_id]}]})
            wanted[line.order_line_id] = line
        subject = _("Return for order %(number)s") % {"number": order.number}
        case = case_services.case_open(
            subject=subject, description=description, kind=CaseKind.RETURN, category=reason, channel=channel,
            order_id=order.pk, customer_id=order.customer_id, actor=actor, source=source,
            lines=[case_services.LineRequest(pk, r.quantity) for pk, r in wanted.items()],
        )
        rma = ReturnRequest.objects.create(number=temporary_number(), case=case, order=order, reason=reason,
                                           requested_outcome=requested_outcome)
        rma.number = final_number("RMA", rma.pk)
        rma.save(update_fields=["number"])
        ReturnLine.objects.bulk_create([
            ReturnLine(return_request=rma, order_line_id=pk, quantity=r.quantity, note=r.note[:500])
            for pk, r in sorted(wanted.items())
        ])
        case_event(case, "return_requested", actor=actor, source=source,
                   data={"return": rma.pk, "outside_window": now > deadline, "note": outside_window_note[:500]})
    return rma


def _lock(return_id: int) -> ReturnRequest:
    """The return, locked after its order (the order -> shipment -> return lock order)."""
    from orders.models import Order

    order_id = ReturnRequest.objects.filter(pk=return_id).values_list("order_id", flat=True).first()
    if order_id is not None:
        Order.objects.select_for_update(of=("self",)).filter(pk=order_id).first()
    rma = ReturnRequest.objects.select_for_update(of=("self",)).filter(pk=return_id).first()
    if rma is None:
        raise NotFound(_("Return %(id)s does not exist.") % {"id": return_id})
    return rma


def _move(rma: ReturnRequest, target: str, *, actor=None, source: str = "staff", note: str = "",
          fields: list[str] | None = None, data: dict | None = None) -> None:
    current = rma.status
    if not rma.can_transition_to(target):
        raise InvalidTransition(entity="Return", current=current, target=target)
    rma.status = target
    rma.save(update_fields=sorted({"status", "updated_at", *(fields or [])}))
    case_event(rma.case, f"return_{target}", actor=actor, source=source, note=note, from_status=current,
               to_status=target, data={"return": rma.pk, **(data or {})})


def return_approve(*, return_id: int, actor=None, note: str = "", source: str = "staff",
                   method: str = ReturnMethod.DROP_OFF) -> ReturnRequest:
    """Accept the return: the customer is told where to send it and who pays the shipping.

    By courier (drop-off or pickup) the return gets its return shipment in the shipping app now;
    in person it gets none and is received by hand."""
    if method not in ReturnMethod.values:
        raise ValidationError({"method": [_("%(value)r is not a valid choice.") % {"value": method}]})
    with transaction.atomic():
        rma = _lock(return_id)
        if rma.status == R.APPROVED:
            return rma
        rma.decided_by, rma.decided_at, rma.decision_note = user_or_none(actor), timezone.now(), note[:2000]
        rma.return_method = method
        fields = return_shipment_update(rma, event="approved", actor=actor)
        _move(rma, R.APPROVED, actor=actor, source=source, note=note,
              fields=["decided_by", "decided_at", "decision_note", "return_method", *fields],
              data={"method": method, "return_shipment": rma.return_shipment_id})
        policy = return_policy_get()
        values = {"number": rma.number, "address": policy.return_address or "-",
                  "payer": policy.get_shipping_paid_by_display()}
        if method == ReturnMethod.PICKUP:
            text = _("Your return %(number)s is approved. A courier will pick up the parcel from your address; "
                     "please pack the items and keep them ready. Shipping is paid by: %(payer)s.") % values
        elif method == ReturnMethod.IN_PERSON:
            text = _("Your return %(number)s is approved. Please bring the items to: %(address)s.") % values
        else:
            text = _("Your return %(number)s is approved. Please send the items to: %(address)s. Shipping is paid "
                     "by: %(payer)s. Send us the courier and tracking number (resi) once it is on its way.") % values
        if note:
            text += "\n" + note
        case_services.case_reply(case_id=rma.case_id, body=text, actor=actor, source=source)
    return rma


def return_reject(*, return_id: int, reason: str, actor=None, source: str = "staff") -> ReturnRequest:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the return is rejected.")]})
    with transaction.atomic():
        rma = _lock(return_id)
        if rma.status == R.REJECTED:
            return rma
        rma.decided_by, rma.decided_at, rma.decision_note = user_or_none(actor), timezone.now(), reason[:2000]
        _move(rma, R.REJECTED, actor=actor, source=source, note=reason,
              fields=["decided_by", "decided_at", "decision_note"])
        case_services.case_reply(case_id=rma.case_id, actor=actor, source=source, body=_(
            "Your return %(number)s was not accepted: %(reason)s") % {"number": rma.number, "reason": reason})
        case_services.case_resolve(case_id=rma.case_id, resolution=Resolution.REJECTED, note=reason, actor=actor,
                                   source=source)
    return rma


def return_cancel(*, return_id: int, reason: str, actor=None, source: str = "staff") -> ReturnRequest:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the return is cancelled.")]})
    with transaction.atomic():
        rma = _lock(return_id)
        if rma.status == R.CANCELLED:
            return rma
        if not rma.can_transition_to(R.CANCELLED):
            raise InvalidTransition(entity="Return", current=rma.status, target=R.CANCELLED)
        return_shipment_update(rma, event="cancelled", actor=actor, note=reason)
        _move(rma, R.CANCELLED, actor=actor, source=source, note=reason)
        case_services.case_resolve(case_id=rma.case_id, resolution=Resolution.EXPLANATION, note=reason, actor=actor,
                                   source=source, invite_csat=False)
    return rma


# --- The way back: the seam to the shipping app -----------------------------------------------


def return_shipment_update(rma: ReturnRequest, *, event: str, courier: str = "", tracking_number: str = "",
                           at: datetime | None = None, actor=None, source: str = "staff", note: str = "") -> list[str]:
    """THE seam between a return and its parcel (the return is locked); returns the fields it changed.

    "approved": a courier method gets its return shipment in the shipping app (no resi yet).
    "shipped": the courier and resi are known; they go on the return shipment (created now when
    there is none, e.g. a return approved in person that came by courier after all), which is
    marked as with the courier. "delivered": the parcel reached us; the return shipment is marked
    delivered unless shipping itself told us (`source="shipping"`). "cancelled": a return parcel
    that has not left is cancelled with the return (one already on the road is left to arrive).
    The order's original shipments and their resi are never touched.
    """
    from shipping.services import shipments as shipping

    at = at or timezone.now()
    if event == "approved":
        if rma.return_method not in COURIER_RETURN_METHODS or rma.return_shipment_id:
            return []
        shipment = shipping.return_shipment_create(
            order_id=rma.order_id, lines=_return_lines(rma), actor=user_or_none(actor), source=SHIPPING_SOURCE,
            note=rma.number)
        rma.return_shipment_id = shipment.pk
        return ["return_shipment_id"]
    if event == "shipped":
        rma.return_courier, rma.return_tracking_number = courier.strip()[:60], tracking_number.strip()[:64]
        rma.shipped_back_at = at
        fields = ["return_courier", "return_tracking_number", "shipped_back_at"]
        if source == "shipping":
            return fields
        if rma.return_shipment_id:
            shipping.shipment_set_resi(shipment_id=rma.return_shipment_id, tracking_number=rma.return_tracking_number,
                                       courier_name=rma.return_courier, actor=user_or_none(actor),
                                       source=SHIPPING_SOURCE)
            shipping.return_shipment_mark_sent(shipment_id=rma.return_shipment_id, actor=user_or_none(actor),
                                               source=SHIPPING_SOURCE, at=at)
        else:
            shipment = shipping.return_shipment_create(
                order_id=rma.order_id, lines=_return_lines(rma), courier_name=rma.return_courier,
                tracking_number=rma.return_tracking_number, actor=user_or_none(actor), source=SHIPPING_SOURCE,
                note=rma.number)
            rma.return_shipment_id = shipment.pk
            fields.append("return_shipment_id")
        return fields
    if event == "delivered":
        rma.received_at = at
        if rma.return_shipment_id and source != "shipping":
            shipping.return_shipment_mark_received(shipment_id=rma.return_shipment_id, actor=user_or_none(actor),
                                                   source=SHIPPING_SOURCE, at=at)
        return ["received_at"]
    if event == "cancelled":
        from shipping.models import DISPATCHED_STATUSES, FINAL_STATUSES, Shipment

        status = Shipment.objects.filter(pk=rma.return_shipment_id).values_list("status", flat=True).first()
        if status is not None and status not in DISPATCHED_STATUSES and status not in FINAL_STATUSES:
            shipping.shipment_cancel(shipment_id=rma.return_shipment_id, actor=user_or_none(actor),
                                     source=SHIPPING_SOURCE, reason=note or rma.number)
        return []
    raise ValueError(f"unknown return shipment event {event!r}")


# The `source` of the shipment moves after-sales makes; its own hook ignores them (no echo).
SHIPPING_SOURCE = "aftersales"


def _return_lines(rma: ReturnRequest) -> dict[int, int]:
    return dict(rma.lines.values_list("order_line_id", "quantity"))


def return_ship(*, return_id: int, courier: str, tracking_number: str, actor=None,
                source: str = "staff") -> ReturnRequest:
    """The customer (or CS for them) sent the parcel: approved -> in transit, with its resi."""
    if not (courier or "").strip() or not (tracking_number or "").strip():
        raise ValidationError({"tracking_number": [_("Give the courier and the tracking number (resi).")]})
    with transaction.atomic():
        rma = _lock(return_id)
        if rma.status == R.IN_TRANSIT:
            return rma
        if not rma.can_transition_to(R.IN_TRANSIT):
            raise InvalidTransition(entity="Return", current=rma.status, target=R.IN_TRANSIT)
        fields = return_shipment_update(rma, event="shipped", courier=courier, tracking_number=tracking_number,
                                        actor=actor, source=source)
        _move(rma, R.IN_TRANSIT, actor=actor, source=source, fields=fields,
              data={"courier": rma.return_courier, "tracking_number": rma.return_tracking_number})
    return rma


def return_receive(*, return_id: int, actor=None, note: str = "", source: str = "staff",
                   at: datetime | None = None) -> ReturnRequest:
    """The warehouse has the parcel (in transit, or approved when it came without a resi)."""
    with transaction.atomic():
        rma = _lock(return_id)
        if rma.status == R.RECEIVED:
            return rma
        if not rma.can_transition_to(R.RECEIVED):
            raise InvalidTransition(entity="Return", current=rma.status, target=R.RECEIVED)
        fields = return_shipment_update(rma, event="delivered", at=at, actor=actor, source=source)
        rma.received_by = user_or_none(actor)
        _move(rma, R.RECEIVED, actor=actor, source=source, note=note, fields=[*fields, "received_by"])
        _tell_customer(rma, _("We received your return %(number)s. We are checking the items and will tell you "
                              "the outcome.") % {"number": rma.number}, actor=actor, source=source)
    return rma


def _tell_customer(rma: ReturnRequest, body: str, *, actor=None, source: str = "staff") -> None:
    """A message on the return's case, sent to the customer (consent and channel rules of case_reply);
    skipped when the case was already resolved or closed by hand."""
    with contextlib.suppress(InvalidTransition):
        case_services.case_reply(case_id=rma.case_id, body=body, actor=actor, source=source)


def _outcome_text(rma: ReturnRequest, outcome: str, *, voucher_amount: int) -> str:
    from core.money import format_idr

    number = rma.number
    if outcome == ReturnOutcome.REFUND:
        return _("Your return %(number)s is complete: a refund of %(amount)s is on its way to you.") % {
            "number": number, "amount": format_idr(rma.refund_amount)}
    if outcome == ReturnOutcome.REPLACEMENT:
        return _("Your return %(number)s is complete: we are sending a replacement (order %(order)s).") % {
            "number": number, "order": rma.replacement_order.number if rma.replacement_order_id else "-"}
    if outcome == ReturnOutcome.VOUCHER:
        return _("Your return %(number)s is complete: you get a voucher worth %(amount)s for your next order.") % {
            "number": number, "amount": format_idr(voucher_amount)}
    return _("Your return %(number)s is complete: your item is being repaired and will be sent back to you.") % {
        "number": number}


# --- What shipping tells us about return parcels (shipping.hooks.register_status_changed) --------

_ON_THE_ROAD = ("picked_up", "in_transit", "out_for_delivery")


def on_shipment_status_changed(change) -> None:
    on_shipments_status_changed([change])


def on_shipments_status_changed(changes) -> None:
    """Inside shipping's transaction: a return parcel on the road puts its approved return in
    transit; delivered (at our warehouse) receives it. Moves after-sales itself asked for, and
    returns already past that point, are left alone."""
    relevant = [c for c in changes if c.direction == "return" and c.source != SHIPPING_SOURCE
                and (c.to_status == "delivered" or c.to_status in _ON_THE_ROAD)]
    if not relevant:
        return
    returns = dict(ReturnRequest.objects.filter(return_shipment_id__in={c.shipment_id for c in relevant})
                   .values_list("return_shipment_id", "pk"))
    for change in relevant:
        return_id = returns.get(change.shipment_id)
        if return_id is not None:
            _follow_return_parcel(return_id, change)


def _follow_return_parcel(return_id: int, change) -> None:
    from shipping.models import Shipment

    with transaction.atomic():
        rma = _lock(return_id)
        if change.to_status == "delivered":
            if rma.status in (R.APPROVED, R.IN_TRANSIT):
                return_receive(return_id=rma.pk, source="shipping", at=change.at,
                               note=_("The return parcel was delivered to the warehouse."))
            return
        if rma.status != R.APPROVED:
            return
        courier, resi = Shipment.objects.filter(pk=change.shipment_id).values_list(
            "courier_name", "tracking_number").get()
        fields = return_shipment_update(rma, event="shipped", courier=courier, tracking_number=resi, at=change.at,
                                        source="shipping")
        _move(rma, R.IN_TRANSIT, source="shipping", fields=fields,
              data={"courier": rma.return_courier, "tracking_number": rma.return_tracking_number})


@dataclass(frozen=True)
class InspectionResult:
    return_line_id: int
    resellable: int
    damaged: int
    missing: int = 0


def return_inspect(*, return_id: int, results: list[InspectionResult], actor=None, note: str = "",
                   source: str = "staff") -> ReturnRequest:
    """Record what came back, line by line, and move the stock once: resellable units back on the
    shelf, damaged ones received and written off. Every line must be inspected in full."""
    from catalog.services import stock_adjust, stock_return_restock

    with transaction.atomic():
        rma = _lock(return_id)
        if rma.status == R.INSPECTED:
            return rma
        if rma.status != R.RECEIVED:
            raise InvalidTransition(entity="Return", current=rma.status, target=R.INSPECTED)
        lines = {line.pk: line for line in rma.lines.select_related("order_line")}
        given = {result.return_line_id: result for result in results}
        if set(given) != set(lines):
            raise ValidationError({"results": [_("Inspect every returned line.")]})
        for line_id, result in given.items():
            line = lines[line_id]
            counts = (result.resellable, result.damaged, result.missing)
            if any(not isinstance(n, int) or n < 0 for n in counts) or sum(counts) != line.quantity:
                raise ValidationError({"results": [_(
                    "Line %(sku)s: resellable, damaged and missing must add up to the %(n)s units returned."
                ) % {"sku": line.order_line.sku, "n": line.quantity}]})
            line.resellable_quantity, line.damaged_quantity, line.missing_quantity = counts
        ReturnLine.objects.bulk_update(list(lines.values()),
                                       ["resellable_quantity", "damaged_quantity", "missing_quantity"])
        for line in lines.values():
            variant_id = line.order_line.variant_id
            if variant_id is None:
                continue
            reference = f"rma:{rma.pk}:{line.pk}"
            if line.resellable_quantity:
                stock_return_restock(variant_id=variant_id, quantity=line.resellable_quantity, reference=reference,
                                     actor=user_or_none(actor), reason=f"{rma.number}: resellable")
            if line.damaged_quantity:
                damaged_ref = f"{reference}:damaged"
                if stock_return_restock(variant_id=variant_id, quantity=line.damaged_quantity, reference=damaged_ref,
                                        actor=user_or_none(actor), reason=f"{rma.number}: received damaged"):
                    stock_adjust(variant_id=variant_id, quantity_change=-line.damaged_quantity,
                                 reason=f"{rma.number}: damaged, written off", reference=damaged_ref,
                                 actor=user_or_none(actor))
        rma.inspected_at = timezone.now()
        _move(rma, R.INSPECTED, actor=actor, source=source, note=note, fields=["inspected_at"], data={
            "lines": {str(k): [v.resellable, v.damaged, v.missing] for k, v in given.items()}})
    return rma


def returned_value(rma: ReturnRequest) -> int:
    """What the returned units cost the customer (line price after the line discount, pro rata)."""
    total = 0
    for line in rma.lines.select_related("order_line"):
        order_line = line.order_line
        total += order_line.total_amount * line.quantity // order_line.quantity
    return total


def return_complete(*, return_id: int, outcome: str, actor=None, refund_amount: int | None = None,
                    voucher_amount: int | None = None, note: str = "", source: str = "staff") -> ReturnRequest:
    """Give the customer the outcome and resolve the case.

    refund: through payments (refund_create on the order's payments, up to what they received);
    for a marketplace order the marketplace refunds the buyer and only the amount is recorded.
    replacement: a zero-price order for the returned units (reserving stock), marked paid.
    repair: recorded; the repaired item goes back with a new order or shipment by staff.
    voucher: a personal voucher through the CRM's issuer.
    """
    if outcome not in ReturnOutcome.values:
        raise ValidationError({"outcome": [_("%(value)r is not a valid choice.") % {"value": outcome}]})
    with transaction.atomic():
        rma = _lock(return_id)
        if rma.status == R.COMPLETED:
            return rma
        if rma.status != R.INSPECTED:
            raise InvalidTransition(entity="Return", current=rma.status, target=R.COMPLETED)
        value = returned_value(rma)
        fields = ["outcome", "completed_at"]
        rma.outcome, rma.completed_at = outcome, timezone.now()
        voucher_for_case = 0
        if outcome == ReturnOutcome.REFUND:
            amount = value if refund_amount is None else refund_amount
            fields += _refund(rma, amount=amount, actor=actor, note=note)
        elif outcome == ReturnOutcome.REPLACEMENT:
            fields += _replacement(rma, actor=actor)
        elif outcome == ReturnOutcome.VOUCHER:
            voucher_for_case = value if voucher_amount is None else voucher_amount
        _move(rma, R.COMPLETED, actor=actor, source=source, note=note, fields=fields,
              data={"outcome": outcome, "refund_amount": rma.refund_amount})
        _tell_customer(rma, _outcome_text(rma, outcome, voucher_amount=voucher_for_case), actor=actor, source=source)
        case = case_services.case_resolve(
            case_id=rma.case_id, resolution=_OUTCOME_RESOLUTION[outcome], note=note or rma.get_outcome_display(),
            actor=actor, source=source, voucher_amount=voucher_for_case,
        )
        if outcome == ReturnOutcome.VOUCHER:
            rma.voucher_code = case.resolution_note.rsplit(" ", 1)[-1][:40]
            rma.save(update_fields=["voucher_code"])
        hooks.run_return_completed(hooks.ReturnCompleted(
            return_id=rma.pk, order_id=rma.order_id, customer_id=rma.order.customer_id, outcome=outcome,
            refund_amount=rma.refund_amount, returned_amount=value,
        ))
    return rma


def _refund(rma: ReturnRequest, *, amount: int, actor, note: str) -> list[str]:
    from payments.models import RECEIVED_STATUSES, Payment, PaymentMethod
    from payments.services.refunds import refund_create

    if not isinstance(amount, int) or amount <= 0:
        raise ValidationError({"refund_amount": [_("Give the refund amount in rupiah.")]})
    order = rma.order
    if order.channel.is_marketplace:
        rma.refund_amount = amount  # refunded by the marketplace to its buyer; recorded here
        return ["refund_amount"]
    payments = list(Payment.objects.filter(order=order, status__in=RECEIVED_STATUSES)
                    .exclude(method=PaymentMethod.MARKETPLACE).order_by("pk"))
    refundable = sum(p.refundable_amount for p in payments)
    if amount > refundable:
        raise DomainError(_("At most %(amount)s can be refunded on this order's payments.")
                          % {"amount": refundable}, detail={"fields": {"refund_amount": [str(refundable)]}})
    left, first_refund = amount, None
    for payment in payments:
        part = min(left, payment.refundable_amount)
        if part <= 0:
            continue
        refund = refund_create(
            payment_id=payment.pk, amount=part, reason=note or f"Return {rma.number}", kind="return",
            reference=rma.number, actor=user_or_none(actor), source="aftersales",
        )
        first_refund = first_refund or refund.pk
        left -= part
        if left == 0:
            break
    rma.refund_amount, rma.refund_id = amount, first_refund
    return ["refund_amount", "refund_id"]


def _replacement(rma: ReturnRequest, *, actor) -> list[str]:
    from orders.services import AddressInput, CustomerInput, LineInput, order_create, order_mark_paid

    order = rma.order
    lines = [
        LineInput(sku=line.order_line.sku, variant_id=line.order_line.variant_id, quantity=line.quantity,
                  unit_price_amount=0)
        for line in rma.lines.select_related("order_line")
    ]
    customer = order.customer
    shipping = None
    if order.shipping_address:
        shipping = AddressInput(name=order.shipping_name, phone=order.shipping_phone, address=order.shipping_address,
                                city=order.shipping_city, province=order.shipping_province,
                                postal_code=order.shipping_postal_code)
    new = order_create(
        channel_id=order.channel_id, lines=lines,
        customer=CustomerInput(name=(customer.name if customer else order.shipping_name),
                               phone=(customer.phone if customer else order.shipping_phone),
                               email=(customer.email if customer else "")),
        shipping=shipping, payment_method="cash", notes=_("Replacement for return %(number)s") % {"number": rma.number},
        tags=["replacement"], actor=user_or_none(actor), source="staff",
    )
    new = order_mark_paid(order_id=new.pk, actor=user_or_none(actor), source="aftersales",
                    note=_("Replacement for return %(number)s") % {"number": rma.number})
    rma.replacement_order = new
    return ["replacement_order"]


