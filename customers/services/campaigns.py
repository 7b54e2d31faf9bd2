"""Win-back campaigns: a segment of consenting customers, a WhatsApp/e-mail message with a personal
voucher each, sent through the notification providers at the provider's rate.

- campaign_preview / campaign_test_send: the message for a sample customer, sent to staff first.
- campaign_queue: draft -> queued, then in batches of BATCH customers with a fixed number of
  statements per batch (the recipients still to queue, their vouchers, their recipient rows, their
  notification rows, the link back): nothing is sent here. Safe to run again after a crash: the
  customers already queued are skipped (unique per campaign and customer).
- campaign_send: the one sender per channel (a cache lock) sends queued campaign messages through
  notifications.services.notification_send, paced at CAMPAIGN_RATE_PER_SECOND. Each message is
  claimed queued -> sending before the provider is called and consent is checked at that moment,
  so a withdrawal stops a running campaign's message to that person, and a message whose worker
  died mid-send is failed by the sweep, never sent again: nobody gets it twice.
- campaign_results: recipients, sent, not sent (consent), failed, redemptions and revenue.
"""

from __future__ import annotations

import re
import secrets
import time
from collections import deque
from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce
from django.template import Context
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import InvalidTransition, NotFound
from core.money import format_idr
from customers import segments
from customers.models import Campaign, CampaignRecipient, CampaignStatus, Voucher, VoucherRedemption
from customers.services.vouchers import CODE_ALPHABET
from notifications import rendering
from notifications.consent import consent_granted_expression, unsubscribe_token
from notifications.models import ConsentPurpose, Notification, NotificationEvent

BATCH = 2000
SENDER_LOCK_SECONDS = 90
SENDER_BUDGET_SECONDS = 50


def _lock(campaign_id: int) -> Campaign:
    campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
    if campaign is None:
        raise NotFound(_("Campaign %(id)s does not exist.") % {"id": campaign_id})
    return campaign


def campaign_create(*, name: str, channel: str, body: str, subject: str = "", segment_id: int | None = None,
                    segment_filters: dict | None = None, voucher_kind: str = "", voucher_value_amount: int = 0,
                    voucher_percent=0, voucher_min_spend_amount: int = 0, voucher_valid_days: int = 14,
                    actor=None) -> Campaign:
    if not (name or "").strip():
        raise ValidationError({"name": [_("Give the campaign a name.")]})
    if channel not in ("whatsapp", "email"):
        raise ValidationError({"channel": [_("Send by WhatsApp or e-mail.")]})
    try:
        rendering.validate_template(body or "")
        rendering.validate_template(subject or "")
    except rendering.TemplateError as exc:
        raise ValidationError({"body": [str(exc)]}) from None
    if not (body or "").strip():
        raise ValidationError({"body": [_("Write the message.")]})
    if segment_id is None:
        segments.clean_filters(segment_filters or {})
    if voucher_kind and voucher_kind not in Voucher.Kind.values:
        raise ValidationError({"voucher_kind": [_("%(value)r is not a valid choice.") % {"value": voucher_kind}]})
    if voucher_kind == Voucher.Kind.FIXED and voucher_value_amount <= 0:
        raise ValidationError({"voucher_value_amount": [_("Give the rupiah amount off.")]})
    if voucher_kind == Voucher.Kind.PERCENT and not 0 < float(voucher_percent) <= 100:
        raise ValidationError({"voucher_percent": [_("A percentage is above 0 and at most 100.")]})
    return Campaign.objects.create(
        name=name.strip()[:120], channel=channel, body=body, subject=subject[:200], segment_id=segment_id,
        segment_filters=segment_filters or {}, voucher_kind=voucher_kind, voucher_value_amount=voucher_value_amount,
        voucher_percent=voucher_percent or 0, voucher_min_spend_amount=voucher_min_spend_amount,
        voucher_valid_days=voucher_valid_days, created_by=actor if getattr(actor, "pk", None) else None,
    )


def audience(campaign: Campaign):
    """The segment's customers who consent to marketing and can be reached on the campaign's channel."""
    filters = campaign.segment.filters if campaign.segment_id else campaign.segment_filters
    qs = segments.segment_queryset(filters).annotate(marketing=consent_granted_expression(ConsentPurpose.MARKETING))
    qs = qs.filter(marketing=True)
    return qs.exclude(phone="") if campaign.channel == "whatsapp" else qs.exclude(email="")


def _voucher_value(campaign: Campaign) -> str:
    if campaign.voucher_kind == Voucher.Kind.FIXED:
        return format_idr(campaign.voucher_value_amount)
    if campaign.voucher_kind == Voucher.Kind.PERCENT:
        return f"{campaign.voucher_percent.normalize()}%"
    return ""


def _base_context(campaign: Campaign, *, valid_until) -> dict:
    return {"voucher_value": _voucher_value(campaign), "shop_name": settings.NOTIFY_SHOP_NAME,
            "valid_until": timezone.localtime(valid_until).strftime("%d-%m-%Y") if valid_until else ""}


def _context(base: dict, *, name: str, code: str, customer_id: int | None) -> dict:
    link = ""
    if customer_id is not None:
        link = f"{settings.SITE_URL}/unsubscribe/{unsubscribe_token(customer_id=customer_id, purpose='marketing')}/"
    return {**base, "name": name, "voucher_code": code, "unsubscribe_link": link}


class _Template:
    """A campaign message compiled once. A message made only of text and {{ variables }} (the usual
    case) is rendered by joining its parts, the same result as the sandboxed Django template it also
    compiles to (autoescape off, unknown variables empty) at a fraction of the cost per recipient."""

    _VARIABLE = re.compile(r"{{\s*(\w+)\s*}}")

    def __init__(self, source: str) -> None:
        self.template = rendering.compile_template(source)
        simple = "{%" not in source and "{#" not in source and all(
            "|" not in part and "." not in part for part in re.findall(r"{{(.*?)}}", source))
        self.parts = self._VARIABLE.split(source) if simple else None

    def render(self, context: dict) -> str:
        if self.parts is None:
            return self.template.render(Context(context, autoescape=False))
        return "".join(part if i % 2 == 0 else str(context.get(part, "")) for i, part in enumerate(self.parts))


def _render(template: _Template, context: dict) -> str:
    return rendering._tidy(template.render(context))[:rendering.MAX_RENDERED_LENGTH]


def campaign_preview(*, campaign_id: int) -> dict:
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None:
        raise NotFound(_("Campaign %(id)s does not exist."))
    sample = audience(campaign).order_by("pk").values("pk", "name").first() or {"pk": None, "name": "Budi"}
    valid_until = timezone.now() + timedelta(days=campaign.voucher_valid_days)
    context = _context(_base_context(campaign, valid_until=valid_until), name=sample["name"],
                       code="CONTOH123" if campaign.voucher_kind else "", customer_id=sample["pk"])
    return {"audience": audience(campaign).count(), "body": _render(_Template(campaign.body), context),
            "subject": _render(_Template(campaign.subject), context) if campaign.subject else ""}


def campaign_test_send(*, campaign_id: int, recipient: str) -> Notification:
    """Send the preview to staff (a phone or an e-mail); not counted in the campaign."""
    from core.phones import normalize_phone
    from notifications.services import notification_queue

    preview = campaign_preview(campaign_id=campaign_id)
    campaign = Campaign.objects.get(pk=campaign_id)
    recipient = (recipient or "").strip()
    if campaign.channel == "whatsapp":
        try:
            recipient = normalize_phone(recipient)
        except ValueError:
            raise ValidationError({"recipient": [_("Give a valid phone number.")]}) from None
    elif "@" not in recipient:
        raise ValidationError({"recipient": [_("Give a valid e-mail address.")]})
    return notification_queue(event=NotificationEvent.CAMPAIGN, channel=campaign.channel, recipient=recipient,
                              subject="[TEST] " + preview["subject"], body=preview["body"])


def _code() -> str:
    return "WB" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


def campaign_queue(*, campaign_id: int, actor=None, batch: int = BATCH) -> int:
    """Queue the campaign's messages (see the module doc); returns the recipients queued by this call."""
    with transaction.atomic():
        campaign = _lock(campaign_id)
        if campaign.status == CampaignStatus.DRAFT:
            campaign.status, campaign.queued_at = CampaignStatus.QUEUED, timezone.now()
            campaign.save(update_fields=["status", "queued_at"])
        elif campaign.status != CampaignStatus.QUEUED:
            raise InvalidTransition(entity="Campaign", current=campaign.status, target=CampaignStatus.QUEUED)
    template = _Template(campaign.body)
    subject_template = _Template(campaign.subject) if campaign.subject else None
    contact = "phone" if campaign.channel == "whatsapp" else "email"
    done = set(CampaignRecipient.objects.filter(campaign=campaign).values_list("customer_id", flat=True))
    people = [row for row in audience(campaign).order_by("pk").values_list("pk", "name", contact)
              if row[0] not in done]
    recipient_type = ContentType.objects.get_for_model(CampaignRecipient)
    valid_until = timezone.now() + timedelta(days=campaign.voucher_valid_days)
    queued = 0
    for start in range(0, len(people), batch):
        chunk = people[start:start + batch]
        queued += _queue_batch(campaign, chunk, template, subject_template, recipient_type, valid_until)
    with transaction.atomic():
        campaign = _lock(campaign_id)
        campaign.recipients_count = CampaignRecipient.objects.filter(campaign=campaign).count()
        campaign.save(update_fields=["recipients_count"])
    if queued:
        transaction.on_commit(lambda: _wake(campaign.channel), robust=True)
    return queued


def _queue_batch(campaign, chunk, template, subject_template, recipient_type, valid_until) -> int:
    """One batch in one transaction: 4 statements whatever its size (the ids of the three tables
    from their sequences, then one INSERT per table from column arrays)."""
    now = timezone.now()
    n = len(chunk)
    with_voucher = bool(campaign.voucher_kind)
    for _attempt in range(3):
        try:
            with transaction.atomic():
                voucher_ids, recipient_ids, notification_ids = _take_ids(n)
                codes = [_code() for _ in range(n)] if with_voucher else []
                if with_voucher:
                    _insert_columns(Voucher, {
                        "id": voucher_ids, "code": codes, "name": [campaign.name[:120]] * n,
                        "kind": [campaign.voucher_kind] * n,
                        "value_amount": [campaign.voucher_value_amount if campaign.voucher_kind == "fixed" else 0] * n,
                        "percent": [campaign.voucher_percent if campaign.voucher_kind == "percent" else 0] * n,
                        "max_discount_amount": [None] * n, "min_spend_amount": [campaign.voucher_min_spend_amount] * n,
                        "total_limit": [1] * n, "per_customer_limit": [1] * n, "valid_from": [None] * n,
                        "valid_until": [valid_until] * n, "customer_id": [pk for pk, _n, _t in chunk],
                        "campaign_id": [campaign.pk] * n, "reference": [f"campaign:{campaign.pk}"] * n,
                        "is_active": [True] * n, "created_by_id": [None] * n, "created_at": [now] * n,
                    })
                _insert_columns(CampaignRecipient, {
                    "id": recipient_ids, "campaign_id": [campaign.pk] * n, "customer_id": [pk for pk, _n, _t in chunk],
                    "voucher_id": voucher_ids if with_voucher else [None] * n,
                    "notification_id": notification_ids, "created_at": [now] * n,
                })
                subjects, bodies = [], []
                base = _base_context(campaign, valid_until=valid_until)
                for i, (pk, name, _to) in enumerate(chunk):
                    context = _context(base, name=name, code=codes[i] if with_voucher else "", customer_id=pk)
                    bodies.append(_render(template, context))
                    subjects.append(_render(subject_template, context)[:255] if subject_template else "")
                _insert_columns(Notification, {
                    "id": notification_ids, "order_id": [None] * n, "target_type_id": [recipient_type.pk] * n,
                    "target_id": recipient_ids, "event": [NotificationEvent.CAMPAIGN] * n,
                    "channel": [campaign.channel] * n, "customer_id": [pk for pk, _n, _t in chunk],
                    "purpose": [ConsentPurpose.MARKETING] * n, "recipient": [to for _pk, _n, to in chunk],
                    "language": ["id"] * n, "subject": subjects, "body": bodies,
                    "status": [Notification.Status.QUEUED] * n, "attempts": [0] * n, "error": [""] * n,
                    "error_kind": [""] * n, "provider": [""] * n, "provider_message_id": [""] * n,
                    "created_at": [now] * n, "updated_at": [now] * n, "last_attempt_at": [None] * n,
                    "sent_at": [None] * n, "retried_by_id": [None] * n,
                })
            return n
        except IntegrityError:
            continue  # a voucher code collided: draw new codes
    raise IntegrityError("could not draw unique voucher codes for a campaign batch")


def _take_ids(n: int) -> tuple[list[int], list[int], list[int]]:
    """n ids from each of the three tables' sequences, in one statement."""
    tables = [Voucher._meta.db_table, CampaignRecipient._meta.db_table, Notification._meta.db_table]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')), nextval(pg_get_serial_sequence(%s, 'id')), "
            "nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [*tables, n])
        rows = cursor.fetchall()
    return [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]


def _insert_columns(model, columns: dict[str, list]) -> None:
    """COPY the rows (given as one list per column) into the model's table: one statement per batch.

    Hand-written on the campaign's hot path: bench/campaign.py measured bulk_create (which resolves
    and prepares every value of every row in Python) at about 3x the time of this for 100,000
    recipients (docs/BENCHMARKS.md). Every concrete column must be given, so a model change that
    adds one fails here loudly instead of writing nothing into it.
    """
    fields = list(model._meta.concrete_fields)
    missing = {f.attname for f in fields} - set(columns)
    if missing:
        raise ValueError(f"{model.__name__}: no values for {sorted(missing)}")
    quote = connection.ops.quote_name
    sql = f"COPY {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.connection.cursor().copy(sql) as copy:
        for row in zip(*(columns[f.attname] for f in fields), strict=True):
            copy.write_row(row)


def _wake(channel: str) -> None:
    from customers.tasks import campaign_send_task

    campaign_send_task.delay(channel)


def campaign_send(*, channel: str, budget_seconds: float = SENDER_BUDGET_SECONDS, rate: float | None = None,
                  sleep=time.sleep, clock=time.monotonic) -> int:
    """Send queued campaign messages of `channel` at the provider's rate, for up to `budget_seconds`.

    Only one sender per channel runs (a cache lock): the rate holds across workers. Returns the
    messages handed to the provider (sent, skipped for consent, or failed).
    """
    from notifications.providers import TransientSendError
    from notifications.services import notification_send

    rate = rate or settings.CAMPAIGN_RATE_PER_SECOND.get(channel, 10)
    lock_key, token = f"customers:campaign-sender:{channel}", secrets.token_hex(8)
    if not cache.add(lock_key, token, timeout=SENDER_LOCK_SECONDS):
        return 0
    handled = 0
    started = clock()
    # At most `rate` messages in any second, as the provider counts them: a message is sent only
    # once a second has passed since the send `rate` messages ago *returned* (its arrival at the
    # provider was before that), so the new arrival is more than a second after that one's.
    capacity = max(int(rate), 1)
    recent: deque[float] = deque()
    try:
        while clock() - started < budget_seconds:
            ids = list(Notification.objects.filter(
                event=NotificationEvent.CAMPAIGN, channel=channel, status=Notification.Status.QUEUED,
                target_type=ContentType.objects.get_for_model(CampaignRecipient),
                target_id__in=CampaignRecipient.objects.filter(campaign__status=CampaignStatus.QUEUED).values("pk"),
            ).order_by("pk").values_list("pk", flat=True)[:200])
            if not ids:
                break
            for pk in ids:
                if len(recent) >= capacity:
                    wait = recent.popleft() + 1.0 - clock()
                    if wait > 0:
                        sleep(wait)
                try:
                    notification_send(notification_id=pk)
                except TransientSendError:
                    # back in the queue; the provider is struggling: stop this run, beat wakes the next
                    budget_seconds = 0
                    break
                recent.append(clock())
                handled += 1
                if clock() - started >= budget_seconds:
                    break
            cache.touch(lock_key, SENDER_LOCK_SECONDS)
    finally:
        if cache.get(lock_key) == token:
            cache.delete(lock_key)
    campaigns_finish()
    return handled


def campaigns_finish() -> int:
    """Queued campaigns with nothing left to send become finished."""
    recipient_type = ContentType.objects.get_for_model(CampaignRecipient)
    finished = 0
    for campaign in Campaign.objects.filter(status=CampaignStatus.QUEUED):
        pending = Notification.objects.filter(
            target_type=recipient_type, target_id__in=campaign.recipients.values("pk"),
            status__in=[Notification.Status.QUEUED, Notification.Status.SENDING]).exists()
        if pending:
            continue
        with transaction.atomic():
            locked = _lock(campaign.pk)
            if locked.status == CampaignStatus.QUEUED:
                locked.status, locked.finished_at = CampaignStatus.FINISHED, timezone.now()
                locked.save(update_fields=["status", "finished_at"])
                finished += 1
    return finished


def campaign_cancel(*, campaign_id: int) -> Campaign:
    """Stop a campaign: its messages not yet sent are never sent."""
    with transaction.atomic():
        campaign = _lock(campaign_id)
        if campaign.status == CampaignStatus.CANCELLED:
            return campaign
        if not campaign.can_transition_to(CampaignStatus.CANCELLED):
            raise InvalidTransition(entity="Campaign", current=campaign.status, target=CampaignStatus.CANCELLED)
        campaign.status = CampaignStatus.CANCELLED
        campaign.save(update_fields=["status"])
        Notification.objects.filter(
            target_type=ContentType.objects.get_for_model(CampaignRecipient),
            target_id__in=campaign.recipients.values("pk"), status=Notification.Status.QUEUED,
        ).update(status=Notification.Status.SKIPPED, error="Campaign cancelled.", updated_at=timezone.now())
    return campaign


def campaign_results(*, campaign_id: int) -> dict:
    campaign = Campaign.objects.get(pk=campaign_id)
    statuses = dict(
        Notification.objects.filter(target_type=ContentType.objects.get_for_model(CampaignRecipient),
                                    target_id__in=campaign.recipients.values("pk"))
        .values_list("status").annotate(n=Count("id"))
    )
    redemptions = VoucherRedemption.objects.filter(voucher__campaign=campaign, reversed_at__isnull=True)
    money = redemptions.aggregate(revenue=Coalesce(Sum("order__total_amount"), 0),
                                  discount=Coalesce(Sum("amount"), 0), n=Count("id"))
    return {
        "recipients": campaign.recipients.count(), "sent": statuses.get("sent", 0),
        "skipped": statuses.get("skipped", 0), "failed": statuses.get("failed", 0),
        "pending": statuses.get("queued", 0) + statuses.get("sending", 0),
        "redemptions": money["n"], "revenue": money["revenue"], "discount": money["discount"],
        "redemption_rate": round(100 * money["n"] / statuses.get("sent", 1), 1) if statuses.get("sent") else 0,
    }


def campaign_redeemed_orders(*, campaign_id: int):
    return VoucherRedemption.objects.filter(voucher__campaign_id=campaign_id).filter(
        Q(reversed_at__isnull=True)).select_related("order", "customer")
