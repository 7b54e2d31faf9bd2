"""Tags and notes on a customer."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from customers.models import CustomerNote, CustomerTag

MAX_TAGS = 30


def clean_tags(tags) -> list[str]:
    cleaned: list[str] = []
    for tag in tags or []:
        if not isinstance(tag, str):
            raise ValidationError({"tags": [_("Tags must be text.")]})
        tag = " ".join(tag.split()).lower()[:40]
        if tag and tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > MAX_TAGS:
        raise ValidationError({"tags": [_("At most %(n)s tags.") % {"n": MAX_TAGS}]})
    return cleaned


def customer_tags_set(*, customer_id: int, tags: list[str]) -> list[str]:
    """Replace the customer's tags (lower case, unique)."""
    cleaned = clean_tags(tags)
    with transaction.atomic():
        CustomerTag.objects.filter(customer_id=customer_id).exclude(tag__in=cleaned).delete()
        CustomerTag.objects.bulk_create([CustomerTag(customer_id=customer_id, tag=t) for t in cleaned],
                                        ignore_conflicts=True)
    return cleaned


def customer_note_add(*, customer_id: int, body: str, actor=None, pinned: bool = False) -> CustomerNote:
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": [_("The note is empty.")]})
    return CustomerNote.objects.create(customer_id=customer_id, body=body[:3000], pinned=pinned,
                                       author=actor if getattr(actor, "pk", None) else None)
