"""Warranty: a period per product; a claim checks the unit (serial) and the purchase; a replacement
unit records its own serial and carries the remaining warranty of the unit it replaces."""

from __future__ import annotations

from datetime import date

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.models import (
    CaseCategory,
    CaseChannel,
    CaseKind,
    ProductWarranty,
    Resolution,
    ReturnOutcome,
    WarrantyClaim,
    WarrantyStatus,
    WarrantyUnit,
)
from aftersales.services import cases as case_services
from aftersales.services.common import case_event, user_or_none
from core.errors import InvalidTransition, NotFound

W = WarrantyStatus


def product_warranty_set(*, product_id: int, months: int, terms: str = "") -> ProductWarranty:
    if not isinstance(months, int) or not 0 < months <= 120:
        raise ValidationError({"months": [_("A warranty lasts 1 to 120 months.")]})
    warranty, _created = ProductWarranty.objects.update_or_create(
        product_id=product_id, defaults={"months": months, "terms": (terms or "").strip()[:2000]})
    return warranty


def warranty_unit_for(*, order_line_id: int, serial_number: str) -> WarrantyUnit:
    """The unit under warranty with this serial bought on this order line (registered on first use)."""
    from orders.models import OrderLine

    serial = (serial_number or "").strip().upper()[:80]
    if not serial:
        raise ValidationError({"serial_number": [_("Give the serial number on the product.")]})
    line = OrderLine.objects.select_related("order", "variant").filter(pk=order_line_id).first()
    if line is None or line.variant is None:
        raise ValidationError({"order_line": [_("This order line has no product.")]})
    product_id = line.variant.product_id
    existing = WarrantyUnit.objects.filter(product_id=product_id, serial_number=serial).first()
    if existing is not None:
        if existing.order_line_id != line.pk and existing.replaces_id is None:
            raise ValidationError({"serial_number": [_("This serial number was bought on another order.")]})
        return existing
    warranty = ProductWarranty.objects.filter(product_id=product_id).first()
    if warranty is None:
        raise ValidationError({"order_line": [_("This product has no warranty.")]})
    bought = line.order.delivered_at or line.order.shipped_at or line.order.placed_at
    starts = timezone.localtime(bought).date()
    try:
        with transaction.atomic():
            return WarrantyUnit.objects.create(product_id=product_id, serial_number=serial, order_line=line,
                                               starts_on=starts, ends_on=starts + relativedelta(months=warranty.months))
    except IntegrityError:
        return WarrantyUnit.objects.get(product_id=product_id, serial_number=serial)


def warranty_claim_open(*, order_line_id: int, serial_number: str, problem: str, channel: str = CaseChannel.STAFF,
                        actor=None, source: str = "staff", today: date | None = None) -> WarrantyClaim:
    """Open a warranty claim (a case of kind warranty); refused after the unit's warranty ended."""
    problem = (problem or "").strip()
    if not problem:
        raise ValidationError({"problem": [_("Describe the problem.")]})
    unit = warranty_unit_for(order_line_id=order_line_id, serial_number=serial_number)
    today = today or timezone.localdate()
    if today > unit.ends_on:
        raise ValidationError({"serial_number": [_("The warranty of this unit ended on %(date)s.")
                                                 % {"date": unit.ends_on.strftime("%d-%m-%Y")}]})
    if WarrantyClaim.objects.filter(unit=unit, status__in=[W.SUBMITTED, W.ACCEPTED]).exists():
        raise ValidationError({"serial_number": [_("This unit already has an open warranty claim.")]})
    order = unit.order_line.order
    with transaction.atomic():
        case = case_services.case_open(
            subject=_("Warranty claim %(serial)s") % {"serial": unit.serial_number}, description=problem,
            kind=CaseKind.WARRANTY, category=CaseCategory.WARRANTY, channel=channel, order_id=order.pk,
            customer_id=order.customer_id, actor=actor, source=source,
            lines=[case_services.LineRequest(unit.order_line_id, 1)],
        )
        claim = WarrantyClaim.objects.create(case=case, unit=unit, problem=problem[:2000])
        case_event(case, "warranty_claimed", actor=actor, source=source,
                   data={"claim": claim.pk, "serial": unit.serial_number, "ends_on": unit.ends_on.isoformat()})
    return claim


def _lock(claim_id: int) -> WarrantyClaim:
    claim = WarrantyClaim.objects.select_for_update(of=("self",)).filter(pk=claim_id).first()
    if claim is None:
        raise NotFound(_("Warranty claim %(id)s does not exist.") % {"id": claim_id})
    return claim


def _move(claim: WarrantyClaim, target: str, *, actor, note: str, fields: list[str]) -> None:
    if not claim.can_transition_to(target):
        raise InvalidTransition(entity="WarrantyClaim", current=claim.status, target=target)
    current = claim.status
    claim.status = target
    claim.decided_by = user_or_none(actor)
    claim.save(update_fields=sorted({"status", "decided_by", "updated_at", *fields}))
    case_event(claim.case, f"warranty_{target}", actor=actor, note=note, from_status=current, to_status=target,
               data={"claim": claim.pk})


def warranty_claim_accept(*, claim_id: int, outcome: str, actor=None, note: str = "") -> WarrantyClaim:
    if outcome not in (ReturnOutcome.REPAIR, ReturnOutcome.REPLACEMENT, ReturnOutcome.REFUND):
        raise ValidationError({"outcome": [_("Choose repair, replacement or refund.")]})
    with transaction.atomic():
        claim = _lock(claim_id)
        if claim.status == W.ACCEPTED:
            return claim
        claim.outcome, claim.decision_note = outcome, (note or "")[:2000]
        _move(claim, W.ACCEPTED, actor=actor, note=note, fields=["outcome", "decision_note"])
        if claim.case.status in ("open", "waiting_customer"):
            case_services.case_resume(case_id=claim.case_id, actor=actor)
    return claim


def warranty_claim_reject(*, claim_id: int, reason: str, actor=None) -> WarrantyClaim:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the claim is rejected.")]})
    with transaction.atomic():
        claim = _lock(claim_id)
        if claim.status == W.REJECTED:
            return claim
        claim.decision_note = reason[:2000]
        _move(claim, W.REJECTED, actor=actor, note=reason, fields=["decision_note"])
        case_services.case_resolve(case_id=claim.case_id, resolution=Resolution.REJECTED, note=reason, actor=actor)
    return claim


def warranty_claim_complete(*, claim_id: int, actor=None, replacement_serial: str = "",
                            note: str = "") -> WarrantyClaim:
    """Done: repaired, or replaced by a unit whose serial is recorded and which keeps the remaining warranty."""
    with transaction.atomic():
        claim = _lock(claim_id)
        if claim.status == W.COMPLETED:
            return claim
        fields = []
        if claim.outcome == ReturnOutcome.REPLACEMENT:
            serial = (replacement_serial or "").strip().upper()[:80]
            if not serial:
                raise ValidationError({"replacement_serial": [_("Give the serial number of the new unit.")]})
            old = claim.unit
            if WarrantyUnit.objects.filter(product_id=old.product_id, serial_number=serial).exists():
                raise ValidationError({"replacement_serial": [_("This serial number is already registered.")]})
            claim.replacement_unit = WarrantyUnit.objects.create(
                product_id=old.product_id, serial_number=serial, order_line_id=old.order_line_id,
                starts_on=timezone.localdate(), ends_on=old.ends_on, replaces=old,
            )
            fields.append("replacement_unit")
        _move(claim, W.COMPLETED, actor=actor, note=note, fields=fields)
        resolution = {ReturnOutcome.REPAIR: Resolution.REPAIR, ReturnOutcome.REPLACEMENT: Resolution.REPLACEMENT,
                      ReturnOutcome.REFUND: Resolution.REFUND}[claim.outcome]
        case_services.case_resolve(case_id=claim.case_id, resolution=resolution,
                                   note=note or claim.get_outcome_display(), actor=actor)
    return claim
