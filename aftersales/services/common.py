"""Helpers shared by the after-sales services: numbers, events, locking."""

from __future__ import annotations

import uuid

from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.models import Case, CaseEvent
from core.errors import NotFound
from orders.services.transitions import user_or_none


def temporary_number() -> str:
    return f"new-{uuid.uuid4().hex[:20]}"


def final_number(prefix: str, pk: int) -> str:
    return f"{prefix}-{timezone.localdate():%y%m%d}-{pk:05d}"


def case_event(case: Case, kind: str, *, actor=None, source: str = "staff", note: str = "", from_status: str = "",
               to_status: str = "", data: dict | None = None) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case, kind=kind, actor=user_or_none(actor), source=source, note=note[:2000], from_status=from_status,
        to_status=to_status, data=data or {},
    )


def lock_case(case_id: int) -> Case:
    case = Case.objects.select_for_update(of=("self",)).filter(pk=case_id).first()
    if case is None:
        raise NotFound(_("Case %(id)s does not exist.") % {"id": case_id})
    return case
