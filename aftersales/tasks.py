"""Celery tasks of after-sales: take ids, call a service; periodic jobs run from beat."""

from __future__ import annotations

from celery import shared_task

from core.tasking import OmsTask


@shared_task(bind=True, base=OmsTask, name="aftersales.tasks.cases_open_from_events_task")
def cases_open_from_events_task(self, event_ids: list[int]) -> int:
    from aftersales.services.intake import cases_open_from_events

    return cases_open_from_events(event_ids=event_ids)


@shared_task(name="aftersales.tasks.marketplace_returns_intake_task")
def marketplace_returns_intake_task() -> int:
    from aftersales.services.intake import marketplace_returns_intake

    return marketplace_returns_intake()


@shared_task(name="aftersales.tasks.cases_escalate_task")
def cases_escalate_task() -> int:
    from aftersales.services.escalation import cases_escalate

    return cases_escalate()


@shared_task(bind=True, base=OmsTask, name="aftersales.tasks.delivery_invitations_task")
def delivery_invitations_task(self, order_id: int) -> int:
    """After delivery: invite the customer to review the products and answer the delivery CSAT."""
    from aftersales.models import Invitation
    from aftersales.services.surveys import invitation_send
    from orders.models import Order

    order = Order.objects.select_related("channel", "customer").filter(pk=order_id).first()
    if order is None:
        return 0
    sent = 0
    for kind in (Invitation.Kind.REVIEW, Invitation.Kind.CSAT_DELIVERY):
        sent += invitation_send(kind=kind, order=order) is not None
    return sent


@shared_task(name="aftersales.tasks.nps_invitations_task")
def nps_invitations_task() -> int:
    """Periodic: ask recent buyers the NPS question, each at most once per 90 days."""
    from aftersales.services.surveys import nps_invitations_send

    return nps_invitations_send()
