"""Cases: one family for complaints, returns and warranty claims; one transition service each.

Every transition: transaction, row lock, CASE_TRANSITIONS check (InvalidTransition otherwise),
save(update_fields), a CaseEvent; messages to the customer go through notifications after commit.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales import hooks
from aftersales.models import (
    Case,
    CaseCategory,
    CaseChannel,
    CaseKind,
    CaseLine,
    CaseMessage,
    CasePriority,
    CaseStatus,
    MessageKind,
    Resolution,
)
from aftersales.services import sla
from aftersales.services.common import case_event, final_number, lock_case, temporary_number, user_or_none
from core.errors import InvalidTransition, NotFound

S = CaseStatus
# Where a reply goes, by the channel the case came from.
_REPLY_CHANNEL = {CaseChannel.EMAIL: "email"}


@dataclass(frozen=True)
class LineRequest:
    order_line_id: int
    quantity: int


def _clean_choice(value: str, choices, field: str) -> str:
    if value not in choices.values:
        raise ValidationError({field: [_("%(value)r is not a valid choice.") % {"value": value}]})
    return value


def case_open(
    *,
    subject: str,
    description: str = "",
    kind: str = CaseKind.COMPLAINT,
    category: str = CaseCategory.OTHER,
    priority: str = CasePriority.NORMAL,
    channel: str = CaseChannel.STAFF,
    customer_id: int | None = None,
    order_id: int | None = None,
    lines: list[LineRequest] | None = None,
    assignee_id: int | None = None,
    actor=None,
    source: str = "staff",
    source_ref: str = "",
    marketplace_ref: str = "",
    marketplace_status: str = "",
    marketplace_due_at=None,
    at=None,
) -> Case:
    """Open a case (any kind) and start its SLA clock; the description is the first message.

    With `source_ref` (a marketplace return, a review) the same origin opens one case only: a
    repeat returns the existing case. ValidationError names the field for a bad choice, a missing
    subject, an order of another customer, or a line that is not the order's.
    """
    from orders.models import Customer, Order

    subject = (subject or "").strip()[:200]
    if not subject:
        raise ValidationError({"subject": [_("Give the case a short subject.")]})
    _clean_choice(kind, CaseKind, "kind")
    _clean_choice(category, CaseCategory, "category")
    _clean_choice(priority, CasePriority, "priority")
    _clean_choice(channel, CaseChannel, "channel")
    if source_ref:
        existing = Case.objects.filter(source_ref=source_ref).first()
        if existing is not None:
            return existing
    order = None
    if order_id is not None:
        order = Order.objects.filter(pk=order_id).first()
        if order is None:
            raise ValidationError({"order": [_("Order %(id)s does not exist.") % {"id": order_id}]})
        if customer_id is None:
            customer_id = order.customer_id
        elif order.customer_id != customer_id:
            raise ValidationError({"order": [_("This order belongs to another customer.")]})
    if customer_id is not None and not Customer.objects.filter(pk=customer_id).exists():
        raise ValidationError({"customer": [_("Customer %(id)s does not exist.") % {"id": customer_id}]})
    wanted = _check_lines(order, lines or [])
    if assignee_id is not None and not get_user_model().objects.filter(pk=assignee_id, is_active=True).exists():
        raise ValidationError({"assignee": [_("No active staff member %(id)s.") % {"id": assignee_id}]})
    at = at or timezone.now()
    try:
        with transaction.atomic():
            case = Case(
                number=temporary_number(), kind=kind, category=category, priority=priority, channel=channel,
                subject=subject, description=(description or "").strip()[:5000], customer_id=customer_id,
                order=order, assignee_id=assignee_id, created_by=user_or_none(actor), source_ref=source_ref[:120],
                marketplace_ref=marketplace_ref[:100], marketplace_status=marketplace_status[:60],
                marketplace_due_at=marketplace_due_at,
            )
            case.save()
            case.number = final_number("CS", case.pk)
            sla.sla_start(case, at=at)
            Case.objects.filter(pk=case.pk).update(
                number=case.number, sla_policy=case.sla_policy, first_response_due_at=case.first_response_due_at,
                resolution_due_at=case.resolution_due_at, created_at=at,
            )
            case.created_at = at
            CaseLine.objects.bulk_create([CaseLine(case=case, order_line_id=pk, quantity=q) for pk, q in wanted])
            if case.description and channel != CaseChannel.STAFF:
                CaseMessage.objects.create(case=case, kind=MessageKind.INBOUND, channel=channel, body=case.description)
            case_event(case, "opened", actor=actor, source=source, to_status=case.status,
                       data={"kind": kind, "channel": channel, "lines": [pk for pk, _q in wanted]})
    except IntegrityError:
        if source_ref:
            existing = Case.objects.filter(source_ref=source_ref).first()
            if existing is not None:
                return existing
        raise
    return case


def _check_lines(order, lines: list[LineRequest]) -> list[tuple[int, int]]:
    from orders.models import OrderLine

    if not lines:
        return []
    if order is None:
        raise ValidationError({"lines": [_("Choose the order before its lines.")]})
    known = dict(OrderLine.objects.filter(order=order).values_list("pk", "quantity"))
    wanted: dict[int, int] = {}
    for line in lines:
        if line.order_line_id not in known:
            raise ValidationError({"lines": [_("Line %(id)s is not part of this order.") % {"id": line.order_line_id}]})
        if not 0 < line.quantity <= known[line.order_line_id]:
            raise ValidationError({"lines": [_("Line %(id)s: the quantity must be between 1 and %(max)s.")
                                             % {"id": line.order_line_id, "max": known[line.order_line_id]}]})
        wanted[line.order_line_id] = line.quantity
    return sorted(wanted.items())


def _move(case: Case, target: str, *, actor=None, source: str = "staff", note: str = "",
          fields: list[str] | None = None,
          data: dict | None = None, kind: str = "status_changed") -> None:
    """Apply one transition to a locked case: table check, save, event."""
    current = case.status
    if not case.can_transition_to(target):
        raise InvalidTransition(entity="Case", current=current, target=target)
    case.status = target
    case.save(update_fields=sorted({"status", "updated_at", *(fields or [])}))
    case_event(case, kind, actor=actor, source=source, note=note, from_status=current, to_status=target, data=data)


def case_assign(*, case_id: int, assignee_id: int | None, actor=None, source: str = "staff") -> Case:
    if assignee_id is not None and not get_user_model().objects.filter(pk=assignee_id, is_active=True).exists():
        raise ValidationError({"assignee": [_("No active staff member %(id)s.") % {"id": assignee_id}]})
    with transaction.atomic():
        case = lock_case(case_id)
        if case.assignee_id == assignee_id:
            return case
        old = case.assignee_id
        case.assignee_id = assignee_id
        case.save(update_fields=["assignee", "updated_at"])
        case_event(case, "assigned", actor=actor, source=source, data={"from": old, "to": assignee_id})
    return case


def case_update(*, case_id: int, category: str | None = None, priority: str | None = None, actor=None,
                source: str = "staff") -> Case:
    """Change the category or priority; the SLA targets follow the new policy, counted from the opening."""
    with transaction.atomic():
        case = lock_case(case_id)
        changes = {}
        if category is not None and category != case.category:
            changes["category"] = (case.category, _clean_choice(category, CaseCategory, "category"))
            case.category = category
        if priority is not None and priority != case.priority:
            changes["priority"] = (case.priority, _clean_choice(priority, CasePriority, "priority"))
            case.priority = priority
        if not changes:
            return case
        fields = [*changes, "updated_at"]
        if case.is_active and case.sla_paused_at is None:
            fields += sla.sla_start(case, at=case.created_at)
        case.save(update_fields=fields)
        case_event(case, "updated", actor=actor, source=source,
                   data={k: {"from": a, "to": b} for k, (a, b) in changes.items()})
    return case


def _reply_channel(case: Case) -> tuple[str, str]:
    """(channel, recipient) for a message to the case's customer; ("", "") when unreachable."""
    from core.phones import normalize_phone

    customer = case.customer
    if customer is None:
        return "", ""
    enabled = [c for c in settings.NOTIFY_CHANNELS if c in ("whatsapp", "email", "sms")]
    preferred = _REPLY_CHANNEL.get(case.channel, "whatsapp")
    order = [preferred, *[c for c in ("whatsapp", "email", "sms") if c != preferred]]
    for channel in order:
        if channel not in enabled:
            continue
        if channel == "email" and customer.email:
            return "email", customer.email
        if channel in ("whatsapp", "sms") and customer.phone:
            try:
                return channel, normalize_phone(customer.phone)
            except ValueError:
                continue
    return "", ""


def _send(case: Case, message: CaseMessage, *, subject: str) -> None:
    from notifications.models import ConsentPurpose, NotificationEvent
    from notifications.services import notification_queue

    if case.order_id and case.order.channel.is_marketplace and not settings.NOTIFY_MARKETPLACE_ORDERS:
        return  # the marketplace's own chat carries the conversation with its buyers
    channel, recipient = _reply_channel(case)
    if not channel:
        return
    row = notification_queue(
        event=NotificationEvent.CASE_UPDATE, channel=channel, recipient=recipient, subject=subject,
        body=message.body, target=message, customer_id=case.customer_id, purpose=ConsentPurpose.ORDER_UPDATES,
    )
    CaseMessage.objects.filter(pk=message.pk).update(notification_id=row.pk)
    message.notification_id = row.pk


def case_reply(*, case_id: int, body: str, actor=None, source: str = "staff", wait_for_customer: bool = False,
               send: bool = True) -> CaseMessage:
    """Answer the customer: the message is logged (and sent when they can be reached and consent).

    The first reply stops the first-response clock; an open case moves to in progress, or to
    waiting on the customer when `wait_for_customer` (the resolution clock then pauses).
    """
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": [_("The message is empty.")]})
    now = timezone.now()
    with transaction.atomic():
        case = lock_case(case_id)
        if case.status in (S.RESOLVED, S.CLOSED):
            raise InvalidTransition(entity="Case", current=case.status, target=S.IN_PROGRESS,
                                    message=_("Reopen the case before answering it."))
        message = CaseMessage.objects.create(case=case, kind=MessageKind.OUTBOUND, body=body[:5000],
                                             author=user_or_none(actor), channel=_reply_channel(case)[0])
        fields = []
        if case.first_responded_at is None:
            case.first_responded_at = now
            fields.append("first_responded_at")
        if wait_for_customer and case.status != S.WAITING_CUSTOMER:
            fields += sla.sla_pause(case, at=now)
            _move(case, S.WAITING_CUSTOMER, actor=actor, source=source, fields=fields)
        elif case.status == S.OPEN:
            _move(case, S.IN_PROGRESS, actor=actor, source=source, fields=fields)
        elif fields:
            case.save(update_fields=[*fields, "updated_at"])
        case_event(case, "replied", actor=actor, source=source, data={"message": message.pk})
        if send:
            _send(case, message, subject=_("About your case %(number)s") % {"number": case.number})
    return message


def case_customer_message(*, case_id: int, body: str, channel: str = CaseChannel.ORDER_PAGE, actor=None,
                          source: str = "customer") -> CaseMessage:
    """The customer wrote (on the order page, or CS typed in a chat): a case waiting on them resumes."""
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": [_("The message is empty.")]})
    now = timezone.now()
    with transaction.atomic():
        case = lock_case(case_id)
        if case.status == S.CLOSED:
            raise InvalidTransition(entity="Case", current=case.status, target=S.IN_PROGRESS,
                                    message=_("This case is closed; open a new one."))
        message = CaseMessage.objects.create(case=case, kind=MessageKind.INBOUND, body=body[:5000], channel=channel,
                                             author=user_or_none(actor))
        if case.status == S.WAITING_CUSTOMER:
            fields = sla.sla_resume(case, at=now)
            _move(case, S.IN_PROGRESS, actor=actor, source=source, fields=fields, note=_("The customer answered."))
        elif case.status == S.RESOLVED:
            case.reopened_count += 1
            fields = sla.sla_start(case, at=now)
            _move(case, S.OPEN, actor=actor, source=source, fields=[*fields, "reopened_count"], kind="reopened",
                  note=_("The customer wrote after the resolution."))
    return message


def case_add_note(*, case_id: int, body: str, actor=None) -> CaseMessage:
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": [_("The note is empty.")]})
    with transaction.atomic():
        case = lock_case(case_id)
        return CaseMessage.objects.create(case=case, kind=MessageKind.NOTE, body=body[:5000],
                                          author=user_or_none(actor))


def case_wait_for_customer(*, case_id: int, actor=None, source: str = "staff", note: str = "") -> Case:
    """Pause: we need something from the customer (photos, an address). The resolution clock stops."""
    now = timezone.now()
    with transaction.atomic():
        case = lock_case(case_id)
        if case.status == S.WAITING_CUSTOMER:
            return case
        _move(case, S.WAITING_CUSTOMER, actor=actor, source=source, note=note, fields=sla.sla_pause(case, at=now))
    return case


def case_resume(*, case_id: int, actor=None, source: str = "staff", note: str = "") -> Case:
    now = timezone.now()
    with transaction.atomic():
        case = lock_case(case_id)
        if case.status == S.IN_PROGRESS:
            return case
        fields = sla.sla_resume(case, at=now) if case.status == S.WAITING_CUSTOMER else []
        _move(case, S.IN_PROGRESS, actor=actor, source=source, note=note, fields=fields)
    return case


def case_resolve(*, case_id: int, resolution: str, note: str = "", actor=None, source: str = "staff",
                 voucher_amount: int = 0, invite_csat: bool = True) -> Case:
    """Resolve with a resolution (refund, replacement, repair, voucher, explanation, rejected + reason).

    A voucher resolution issues a personal voucher of `voucher_amount` through the registered issuer.
    After commit the customer gets a one-question CSAT request.
    """
    _clean_choice(resolution, Resolution, "resolution")
    note = (note or "").strip()
    if resolution == Resolution.REJECTED and not note:
        raise ValidationError({"note": [_("Say why the case is rejected.")]})
    now = timezone.now()
    with transaction.atomic():
        case = lock_case(case_id)
        if case.status == S.RESOLVED:
            return case
        if resolution == Resolution.VOUCHER:
            note = _issue_voucher(case, amount=voucher_amount, note=note)
        case.resolution, case.resolution_note, case.resolved_at = resolution, note[:2000], now
        fields = ["resolution", "resolution_note", "resolved_at"]
        if case.sla_paused_at is not None:
            fields += sla.sla_resume(case, at=now)
        _move(case, S.RESOLVED, actor=actor, source=source, note=note, fields=fields,
              data={"resolution": resolution})
        if invite_csat and case.order_id:
            from aftersales.services.surveys import invitation_send

            case_id_ = case.pk
            transaction.on_commit(lambda: _invite_after_commit(invitation_send, case_id_))
    return case


def _invite_after_commit(invitation_send, case_id: int) -> None:
    from aftersales.models import Invitation

    case = Case.objects.select_related("order", "order__channel", "customer").get(pk=case_id)
    invitation_send(kind=Invitation.Kind.CSAT_CASE, order=case.order, case=case)


def _issue_voucher(case: Case, *, amount: int, note: str) -> str:
    issuer = hooks.voucher_issuer()
    if issuer is None:
        raise ValidationError({"resolution": [_("Vouchers are not available.")]})
    if case.customer_id is None:
        raise ValidationError({"resolution": [_("A voucher needs a known customer.")]})
    if not isinstance(amount, int) or amount <= 0:
        raise ValidationError({"voucher_amount": [_("Give the voucher amount in rupiah.")]})
    code = issuer(customer_id=case.customer_id, amount=amount, reason=f"Case {case.number}",
                  reference=f"case:{case.pk}")
    return (note + "\n" if note else "") + _("Voucher %(code)s") % {"code": code}


def case_close(*, case_id: int, actor=None, source: str = "staff", note: str = "") -> Case:
    with transaction.atomic():
        case = lock_case(case_id)
        if case.status == S.CLOSED:
            return case
        case.closed_at = timezone.now()
        _move(case, S.CLOSED, actor=actor, source=source, note=note, fields=["closed_at"])
    return case


def case_reopen(*, case_id: int, reason: str, actor=None, source: str = "staff") -> Case:
    """A resolved or closed case comes back: open again, with a fresh SLA clock from now."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the case is reopened.")]})
    with transaction.atomic():
        case = lock_case(case_id)
        if case.status == S.OPEN:
            return case
        case.reopened_count += 1
        case.resolution, case.resolved_at, case.closed_at = "", None, None
        case.escalation_level = 0
        fields = ["reopened_count", "resolution", "resolved_at", "closed_at", "escalation_level",
                  *sla.sla_start(case, at=timezone.now())]
        _move(case, S.OPEN, actor=actor, source=source, note=reason, fields=fields, kind="reopened")
    return case


def case_get(case_id: int) -> Case:
    case = Case.objects.filter(pk=case_id).first()
    if case is None:
        raise NotFound(_("Case %(id)s does not exist.") % {"id": case_id})
    return case
