"""Invitations (signed single-use links) and survey answers: CSAT after a case or a delivery, NPS.

A link carries a random token; only its SHA-256 is stored, bound to one order (and case) and one
kind, so it cannot be used for another order, and it is spent by a conditional UPDATE, so it
cannot be used twice. The order status page (authorised by the order's own secret link) can answer
the same surveys; both paths end in `survey_answer`, whose unique constraints hold either way.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.models import Invitation, SurveyKind, SurveyResponse
from core.errors import Conflict, NotFound

INVITATION_DAYS = 30
_SURVEY_FOR_INVITATION = {
    Invitation.Kind.CSAT_CASE: SurveyKind.CSAT_CASE,
    Invitation.Kind.CSAT_DELIVERY: SurveyKind.CSAT_DELIVERY,
    Invitation.Kind.NPS: SurveyKind.NPS,
}


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_create(*, kind: str, order, case=None) -> tuple[Invitation, str] | None:
    """A new invitation and its token; None when this order (or case) already has one of this kind."""
    token = secrets.token_urlsafe(24)
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(kind=kind, order=order, case=case, token_hash=_hash(token),
                                                   expires_at=timezone.now() + timedelta(days=INVITATION_DAYS))
    except IntegrityError:
        return None
    return invitation, token


def invitation_url(token: str) -> str:
    return settings.SITE_URL + reverse("care:invitation", kwargs={"token": token})


_TEXTS = {
    Invitation.Kind.REVIEW: lambda n: _(
        "Thank you for shopping with us! How were the products of order %(number)s? Rate them here: %(link)s") % n,
    Invitation.Kind.CSAT_CASE: lambda n: _(
        "Your case about order %(number)s is resolved. How satisfied are you with our help? One question: %(link)s"
    ) % n,
    Invitation.Kind.CSAT_DELIVERY: lambda n: _(
        "Your order %(number)s has arrived. How satisfied are you? One question: %(link)s") % n,
    Invitation.Kind.NPS: lambda n: _(
        "How likely are you to recommend us to a friend? Answer in one tap: %(link)s") % n,
}


def invitation_send(*, kind: str, order, case=None) -> Invitation | None:
    """Create the invitation and message the customer (consent for reviews is checked at send time).

    Nothing is sent for a marketplace order (the marketplace runs its own reviews and chat) or a
    customer who cannot be reached; a second call for the same order/case and kind does nothing.
    """
    from notifications.models import ConsentPurpose, NotificationEvent
    from notifications.services import notification_queue

    if order is None or order.customer_id is None:
        return None
    if order.channel.is_marketplace and not settings.NOTIFY_MARKETPLACE_ORDERS:
        return None
    customer = order.customer
    channel, recipient = ("whatsapp", customer.phone) if customer.phone else ("email", customer.email)
    if not recipient or channel not in settings.NOTIFY_CHANNELS:
        return None
    with transaction.atomic():
        created = invitation_create(kind=kind, order=order, case=case)
        if created is None:
            return None
        invitation, token = created
        body = _TEXTS[kind]({"number": order.number, "link": invitation_url(token)})
        event = (NotificationEvent.REVIEW_INVITATION if kind == Invitation.Kind.REVIEW
                 else NotificationEvent.SURVEY_INVITATION)
        notification_queue(event=event, channel=channel, recipient=recipient, subject=_("Your opinion"), body=body,
                           target=invitation, customer_id=customer.pk, purpose=ConsentPurpose.REVIEWS)
    return invitation


def invitation_get(token: str) -> Invitation:
    """The live invitation of a token; NotFound for an unknown, spent or expired link."""
    invitation = (Invitation.objects.select_related("order", "order__channel", "case")
                  .filter(token_hash=_hash(token or "")).first())
    if invitation is None:
        raise NotFound(_("This link is not valid."))
    if invitation.used_at is not None:
        raise Conflict(_("This link has already been used. Thank you!"))
    if invitation.expires_at < timezone.now():
        raise Conflict(_("This link has expired."))
    return invitation


def invitation_spend(*, invitation_id: int) -> None:
    """Mark the link used; Conflict when another request spent it first."""
    if not Invitation.objects.filter(pk=invitation_id, used_at__isnull=True).update(used_at=timezone.now()):
        raise Conflict(_("This link has already been used. Thank you!"))


def survey_answer(*, kind: str, score: int, comment: str = "", order=None, case=None,
                  invitation_id: int | None = None) -> SurveyResponse:
    """Record one answer; a second answer for the same order (or case) and kind is refused (Conflict)."""
    if kind not in SurveyKind.values:
        raise ValidationError({"kind": [_("%(value)r is not a valid choice.") % {"value": kind}]})
    low, high = (0, 10) if kind == SurveyKind.NPS else (1, 5)
    if not isinstance(score, int) or not low <= score <= high:
        raise ValidationError({"score": [_("Choose a score from %(low)s to %(high)s.") % {"low": low, "high": high}]})
    if kind == SurveyKind.CSAT_CASE and case is None:
        raise ValidationError({"case": [_("A case survey needs its case.")]})
    if order is None and case is None:
        raise ValidationError({"order": [_("A survey answer belongs to an order.")]})
    customer_id = (order.customer_id if order is not None else None) or (case.customer_id if case else None)
    try:
        with transaction.atomic():
            if invitation_id is not None:
                invitation_spend(invitation_id=invitation_id)
            return SurveyResponse.objects.create(
                kind=kind, score=score, comment=(comment or "").strip()[:2000], order=order,
                case=case if kind == SurveyKind.CSAT_CASE else None, customer_id=customer_id,
                answered_at=timezone.now(),
            )
    except IntegrityError:
        raise Conflict(_("This survey has already been answered. Thank you!")) from None


def survey_kind_for_invitation(invitation: Invitation) -> str:
    return _SURVEY_FOR_INVITATION[invitation.kind]


NPS_EVERY_DAYS = 90


def nps_invitations_send(*, now=None, limit: int = 500) -> int:
    """Periodic NPS: each reachable own-channel customer with an order delivered in the last 30 days
    and no NPS invitation in the last NPS_EVERY_DAYS is asked once, about their latest such order."""
    from django.db.models import Exists, OuterRef

    from orders.models import Order, OrderStatus

    now = now or timezone.now()
    recent_nps = Invitation.objects.filter(kind=Invitation.Kind.NPS, order__customer_id=OuterRef("customer_id"),
                                           sent_at__gte=now - timedelta(days=NPS_EVERY_DAYS))
    candidates = (
        Order.objects.filter(status__in=[OrderStatus.DELIVERED, OrderStatus.COMPLETED],
                             delivered_at__gte=now - timedelta(days=30), customer__isnull=False)
        .exclude(Exists(recent_nps))
        .select_related("channel", "customer")
        .order_by("customer_id", "-delivered_at")
        .distinct("customer_id")[:limit]
    )
    return sum(invitation_send(kind=Invitation.Kind.NPS, order=order) is not None for order in candidates)
