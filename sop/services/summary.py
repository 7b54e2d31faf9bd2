"""The weekly compliance summary e-mail (Monday, for the week before), sent once per week."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from core.roles import OWNER
from sop.models import SummarySent
from sop.selectors import worst_steps


def weekly_summary_content(*, week_start: date) -> tuple[str, str]:
    end = week_start + timedelta(days=6)
    worst = worst_steps(start=week_start, end=end)
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("sop/email/weekly_subject.txt", {"start": week_start, "end": end}).strip()
        body = render_to_string("sop/email/weekly_body.txt", {
            "start": week_start, "end": end, "worst": worst, "site_url": settings.SITE_URL,
        })
    return subject, body


def weekly_summary_send(*, today: date | None = None) -> int:
    """Send last week's summary to every owner with an e-mail address; a second call that week sends nothing."""
    today = today or timezone.localdate()
    week_start = today - timedelta(days=today.weekday() + 7)
    recipients = sorted(set(
        get_user_model().objects.filter(is_active=True, groups__name=OWNER).exclude(email="")
        .values_list("email", flat=True)
    ))
    if not recipients:
        return 0
    try:
        with transaction.atomic():
            SummarySent.objects.create(week_start=week_start, recipients=recipients)
    except IntegrityError:
        return 0
    subject, body = weekly_summary_content(week_start=week_start)
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    except OSError:
        SummarySent.objects.filter(week_start=week_start).delete()  # let the retry send it
        raise
    return len(recipients)
