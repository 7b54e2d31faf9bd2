"""Merging duplicate customers: every row that points at the duplicate moves to the kept customer.

Rows are found through the model graph (every foreign key to orders.Customer, in every app, now and
later), so a new app's rows move too. A few relations are one-per-customer and are combined instead
of moved (MERGE_COMBINERS). The duplicate is deleted only after a recount finds nothing pointing at
it any more, all in one transaction: a merge cannot lose a row. The record (CustomerMerge) keeps
what the duplicate was and how many rows of each table moved.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ForeignKey, OneToOneField
from django.utils.translation import gettext as _

from core.errors import Conflict, NotFound
from customers.models import CustomerMerge, CustomerTag, LoyaltyAccount
from orders.models import Customer

# model label -> combine(source, target): for relations a customer can have only one of.
MERGE_COMBINERS: dict[str, Callable[[Customer, Customer], int]] = {}


def _combine_one_to_one(model, field: str):
    def combine(source: Customer, target: Customer) -> int:
        mine = model.objects.filter(**{field: source})
        if model.objects.filter(**{field: target}).exists():
            return mine.delete()[0]  # the kept customer's own row wins (preferences, account)
        return mine.update(**{field: target})

    return combine


def _combine_tags(source: Customer, target: Customer) -> int:
    have = set(CustomerTag.objects.filter(customer=target).values_list("tag", flat=True))
    CustomerTag.objects.filter(customer=source, tag__in=have).delete()
    return CustomerTag.objects.filter(customer=source).update(customer=target)


def _combine_campaign_recipients(source: Customer, target: Customer) -> int:
    """Both were in the same campaign: the kept customer's row stays, the duplicate's is folded in."""
    from customers.models import CampaignRecipient

    both = CampaignRecipient.objects.filter(customer=target).values("campaign_id")
    CampaignRecipient.objects.filter(customer=source, campaign_id__in=both).delete()
    return CampaignRecipient.objects.filter(customer=source).update(customer=target)


def _relations():
    """(model, field name) of every foreign key to Customer."""
    for rel in Customer._meta.related_objects:
        if isinstance(rel.field, (ForeignKey, OneToOneField)):
            yield rel.related_model, rel.field.name


def customer_merge(*, source_id: int, target_id: int, actor=None) -> CustomerMerge:
    """Fold customer `source_id` into `target_id`; returns the record of the merge."""
    from notifications.models import CustomerPreference

    if source_id == target_id:
        raise ValidationError({"source": [_("Choose two different customers.")]})
    MERGE_COMBINERS.setdefault(CustomerPreference._meta.label, _combine_one_to_one(CustomerPreference, "customer"))
    MERGE_COMBINERS.setdefault(LoyaltyAccount._meta.label, _combine_one_to_one(LoyaltyAccount, "customer"))
    MERGE_COMBINERS.setdefault(CustomerTag._meta.label, _combine_tags)
    MERGE_COMBINERS.setdefault("customers.CampaignRecipient", _combine_campaign_recipients)
    with transaction.atomic():
        locked = {c.pk: c for c in Customer.objects.select_for_update().filter(pk__in=[source_id, target_id])
                  .order_by("pk")}
        if source_id not in locked or target_id not in locked:
            raise NotFound(_("Both customers must exist."))
        source, target = locked[source_id], locked[target_id]
        snapshot = {"name": source.name, "phone": source.phone, "email": source.email, "city": source.city,
                    "province": source.province, "notes": source.notes}
        moved: dict[str, int] = {}
        for model, field in _relations():
            label = model._meta.label
            combiner = MERGE_COMBINERS.get(label)
            count = combiner(source, target) if combiner else model.objects.filter(**{field: source}).update(
                **{field: target})
            if count:
                moved[f"{label}.{field}"] = moved.get(f"{label}.{field}", 0) + count
        left = {f"{m._meta.label}.{f}": n for m, f in _relations() if (n := m.objects.filter(**{f: source}).count())}
        if left:
            raise Conflict(_("Rows still point at the duplicate: %(rows)s") % {"rows": left})
        fields = []
        for name in ("email", "city", "province"):
            if not getattr(target, name) and getattr(source, name):
                setattr(target, name, getattr(source, name))
                fields.append(name)
        if source.notes:
            target.notes = "\n".join(p for p in (target.notes, source.notes) if p)
            fields.append("notes")
        phone = source.phone if not target.phone else ""
        source.delete()
        if phone:  # the duplicate's number is free now
            target.phone = phone
            fields.append("phone")
        if fields:
            target.save(update_fields=fields)
        return CustomerMerge.objects.create(target=target, source_id=source_id, source_snapshot=snapshot, moved=moved,
                                            actor=actor if getattr(actor, "pk", None) else None)
