"""Consent per purpose (UU PDP 27/2022): record grants and withdrawals, answer "may we?".

Writes: consent_record (a grant or a withdrawal, with its proof), consent_withdraw_by_token (the
unsubscribe link in a message). Reads: consent_allows / consent_allows_many (what the latest record
says, else CONSENT_DEFAULTS), consent_granted_expression (the same rule as a database expression,
for segment queries over many customers), consent_state (a customer's purposes for the profile).

Every send checks consent right before the provider is called (notifications.services.notification_send),
so a withdrawal stops messages already queued, e.g. a running campaign's, at once; the law allows
3 x 24 hours (WITHDRAWAL_HONOUR_HOURS), recorded on the withdrawal as `honour_by`.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import BooleanField, Exists, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import NotFound
from notifications.models import (
    CONSENT_DEFAULTS,
    WITHDRAWAL_HONOUR_HOURS,
    ConsentPurpose,
    ConsentRecord,
    ConsentSource,
)

UNSUBSCRIBE_SALT = "notifications.unsubscribe"


def consent_record(
    *,
    customer_id: int,
    purpose: str,
    granted: bool,
    source: str,
    proof: str,
    actor=None,
    ip_address: str | None = None,
    at=None,
) -> ConsentRecord:
    """Record a grant or a withdrawal of consent for one purpose; the latest record counts.

    Raises ValidationError naming the field: an unknown purpose or source, no proof, or a marketing
    grant from a marketplace (a marketplace buyer's data is used for marketing only with consent
    given on an own channel). Recording the state the customer is already in still writes a row
    (it is new proof).
    """
    from orders.models import Customer

    if purpose not in ConsentPurpose.values:
        raise ValidationError({"purpose": [_("Unknown purpose %(value)r.") % {"value": purpose}]})
    if source not in ConsentSource.values:
        raise ValidationError({"source": [_("Unknown source %(value)r.") % {"value": source}]})
    proof = (proof or "").strip()
    if not proof:
        raise ValidationError({"proof": [_("Say how the customer gave or withdrew consent (the proof).")]})
    if granted and purpose == ConsentPurpose.MARKETING and source == ConsentSource.MARKETPLACE:
        raise ValidationError({"source": [_(
            "Marketing consent must be given on one of the shop's own channels, not in a marketplace chat."
        )]})
    at = at or timezone.now()
    with transaction.atomic():
        if not Customer.objects.filter(pk=customer_id).exists():
            raise NotFound(_("Customer %(id)s does not exist.") % {"id": customer_id})
        return ConsentRecord.objects.create(
            customer_id=customer_id, purpose=purpose, granted=granted, source=source, proof=proof[:2000],
            recorded_at=at, recorded_by=actor if getattr(actor, "pk", None) else None, ip_address=ip_address,
            honour_by=None if granted else at + timedelta(hours=WITHDRAWAL_HONOUR_HOURS),
        )


def _latest(customer_ref, purpose: str):
    return (
        ConsentRecord.objects.filter(customer_id=customer_ref, purpose=purpose)
        .order_by("-recorded_at", "-id")
        .values("granted")[:1]
    )


def consent_granted_expression(purpose: str, customer_field: str = "pk"):
    """An expression that is True where the customer (OuterRef(customer_field)) may be contacted
    for `purpose`: the latest record's answer, else the default. Annotate or filter with it."""
    default = CONSENT_DEFAULTS[purpose]
    return Coalesce(
        Subquery(_latest(OuterRef(customer_field), purpose), output_field=BooleanField()),
        Value(default),
        output_field=BooleanField(),
    )


def consent_allows_many(*, customer_ids: set[int] | list[int], purpose: str) -> set[int]:
    """The customers of `customer_ids` who may be contacted for `purpose` (one query)."""
    from orders.models import Customer

    ids = set(customer_ids)
    if not ids:
        return set()
    return set(
        Customer.objects.filter(pk__in=ids)
        .annotate(allowed=consent_granted_expression(purpose))
        .filter(allowed=True)
        .values_list("pk", flat=True)
    )


def consent_allows(*, customer_id: int | None, purpose: str) -> bool:
    """May the shop contact this customer for `purpose` now? (No customer: only non-marketing.)"""
    if not purpose:
        return True
    if customer_id is None:
        return purpose != ConsentPurpose.MARKETING
    latest = _latest(customer_id, purpose).first()
    return latest["granted"] if latest is not None else CONSENT_DEFAULTS[purpose]


def consent_state(*, customer_id: int) -> list[dict]:
    """Each purpose with its current answer and the record that gave it (None: the default)."""
    records = {}
    for record in ConsentRecord.objects.filter(customer_id=customer_id).order_by("recorded_at", "id"):
        records[record.purpose] = record
    return [
        {
            "purpose": value,
            "label": label,
            "granted": records[value].granted if value in records else CONSENT_DEFAULTS[value],
            "record": records.get(value),
        }
        for value, label in ConsentPurpose.choices
    ]


def customers_with_any_consent_record() -> Exists:
    return Exists(ConsentRecord.objects.filter(customer_id=OuterRef("pk")))


# --- The unsubscribe link in a message -------------------------------------------------------------


def _signer() -> signing.Signer:
    return signing.Signer(salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(*, customer_id: int, purpose: str) -> str:
    """`<customer id>.<purpose>:<signature>`: short enough for a WhatsApp message, cheap to make."""
    return _signer().sign(f"{customer_id}.{purpose}")


def unsubscribe_url(*, customer_id: int, purpose: str) -> str:
    token = unsubscribe_token(customer_id=customer_id, purpose=purpose)
    return settings.SITE_URL + reverse("unsubscribe", kwargs={"token": token})


def unsubscribe_token_read(token: str) -> tuple[int, str]:
    """(customer id, purpose) of a link token; NotFound for a forged or broken one."""
    try:
        raw_id, purpose = _signer().unsign(token or "").split(".", 1)
        customer_id = int(raw_id)
    except (signing.BadSignature, TypeError, ValueError):
        raise NotFound(_("This link is not valid.")) from None
    if purpose not in ConsentPurpose.values:
        raise NotFound(_("This link is not valid."))
    return customer_id, purpose


def consent_withdraw_by_token(*, token: str, ip_address: str | None = None) -> ConsentRecord | None:
    """The customer clicked "stop" in a message: record the withdrawal (None when already withdrawn)."""
    customer_id, purpose = unsubscribe_token_read(token)
    if not consent_allows(customer_id=customer_id, purpose=purpose):
        return None
    return consent_record(
        customer_id=customer_id, purpose=purpose, granted=False, source=ConsentSource.UNSUBSCRIBE_LINK,
        proof="Unsubscribe link in a message", ip_address=ip_address,
    )
