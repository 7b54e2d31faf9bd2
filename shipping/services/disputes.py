"""Weight disputes: the courier charged more than the packed parcel should cost.

The packed weight, size and photo (recorded at the pack bench) are the evidence; the dispute keeps
a copy of them as they were, so a later re-weigh does not change what was claimed.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import Conflict, NotFound
from shipping.models import WeightDispute
from shipping.providers.base import ProviderError
from shipping.providers.http import whole_amount
from shipping.services.shipments import _user, lock_shipment, record_event

EVENT_DISPUTE = "dispute_opened"
EVENT_DISPUTE_RESOLVED = "dispute_resolved"
EVENT_COST = "cost_changed"


def dispute_open_for_charge(*, shipment_id: int, charged_amount, charged_weight_grams=None, source: str,
                            note: str = "") -> WeightDispute | None:
    """Record what the courier charged; open a dispute when it is more than expected.

    Expected: the booked (or quoted) price of the packed parcel. The shipment's cost becomes what
    was charged (that is what the seller pays until the dispute is won). The same charge twice opens
    one dispute. Garbage amounts are refused (ValueError with the reason).
    """
    try:
        charged = whole_amount(charged_amount, name=source, field="price")
    except ProviderError as exc:
        raise ValueError(exc.message) from None
    weight = 0
    if charged_weight_grams not in (None, ""):
        try:
            weight = max(int(float(charged_weight_grams)), 0)
        except (TypeError, ValueError):
            raise ValueError(f"{source}: weight is not a number: {charged_weight_grams!r}") from None
    with transaction.atomic():
        shipment = lock_shipment(shipment_id)
        expected = shipment.quoted_cost_amount or shipment.cost_amount
        if charged != shipment.cost_amount:
            record_event(shipment, EVENT_COST, source=source,
                         data={"from": shipment.cost_amount, "to": charged, "weight": weight})
            shipment.cost_amount = charged
            shipment.charged_weight_grams = weight or shipment.charged_weight_grams
            shipment.save(update_fields=["cost_amount", "charged_weight_grams", "updated_at"])
        if not expected or charged <= expected:
            return None
        dispute = WeightDispute(
            shipment=shipment, packed_weight_grams=shipment.weight_grams, packed_length_cm=shipment.length_cm,
            packed_width_cm=shipment.width_cm, packed_height_cm=shipment.height_cm,
            expected_weight_grams=shipment.chargeable_weight_grams, charged_weight_grams=weight,
            expected_amount=expected, charged_amount=charged, difference_amount=charged - expected, source=source,
            external_ref=f"price:{charged}", note=note,
        )
        try:
            with transaction.atomic():
                dispute.save(force_insert=True)
        except IntegrityError:
            return WeightDispute.objects.get(shipment=shipment, external_ref=dispute.external_ref)
        record_event(shipment, EVENT_DISPUTE, source=source, data={
            "dispute": dispute.pk, "expected": expected, "charged": charged, "difference": dispute.difference_amount})
        return dispute


def dispute_open_manual(*, shipment_id: int, charged_amount: int, charged_weight_grams: int = 0, actor=None,
                        note: str = "") -> WeightDispute:
    """Finance records an over-charge seen on an invoice or a marketplace statement."""
    if charged_amount <= 0:
        raise ValidationError({"charged_amount": [_("Enter what the courier charged.")]})
    dispute = dispute_open_for_charge(shipment_id=shipment_id, charged_amount=charged_amount,
                                      charged_weight_grams=charged_weight_grams, source="staff", note=note)
    if dispute is None:
        raise ValidationError({"charged_amount": [_("That is not more than the parcel's expected cost.")]})
    return dispute


def dispute_resolve(*, dispute_id: int, won: bool, actor=None, note: str = "") -> WeightDispute:
    """Close a dispute: won (the courier refunds, the cost goes back to the expected amount) or lost."""
    with transaction.atomic():
        dispute = WeightDispute.objects.select_for_update(of=("self",)).filter(pk=dispute_id).first()
        if dispute is None:
            raise NotFound(_("Dispute %(id)s does not exist.") % {"id": dispute_id})
        target = WeightDispute.Status.WON if won else WeightDispute.Status.LOST
        if dispute.status == target:
            return dispute
        if dispute.status != WeightDispute.Status.OPEN:
            raise Conflict(_("Dispute %(id)s is already closed.") % {"id": dispute.pk})
        shipment = lock_shipment(dispute.shipment_id)
        dispute.status, dispute.resolved_by, dispute.resolved_at = target, _user(actor), timezone.now()
        dispute.note = "\n".join(p for p in (dispute.note, note.strip()) if p)
        dispute.save(update_fields=["status", "resolved_by", "resolved_at", "note"])
        if won:
            shipment.cost_amount = max(shipment.cost_amount - dispute.difference_amount, 0)
            shipment.save(update_fields=["cost_amount", "updated_at"])
        record_event(shipment, EVENT_DISPUTE_RESOLVED, actor=actor, note=note,
                     data={"dispute": dispute.pk, "won": won, "cost": shipment.cost_amount})
        return dispute
