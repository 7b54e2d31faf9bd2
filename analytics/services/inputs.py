"""The seller's inputs: visits per channel and day (typed or CSV), marketing spend per month, the change log."""

from __future__ import annotations

import csv
import io
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from analytics.models import ChangeLogEntry, ChannelVisits, MarketingSpend

MAX_IMPORT_ROWS = 20_000


def visits_set(*, channel_id: int, day: date, visits: int, product_id: int | None = None,
               source: str = "manual") -> ChannelVisits:
    """Set (not add) the visits of a channel on a day; typing the same day again corrects it."""
    if visits < 0:
        raise ValidationError({"visits": [_("Visits cannot be negative.")]})
    row, _created = ChannelVisits.objects.update_or_create(
        channel_id=channel_id, day=day, product_id=product_id, defaults={"visits": visits, "source": source}
    )
    return row


def visits_import(*, file) -> int:
    """Import `date,channel,visits[,product]` rows (channel code or name; product SKU or id); all or nothing."""
    from catalog.models import Product, ProductVariant
    from channels.models import Channel

    raw = file.read(4 * 1024 * 1024 + 1)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(_("The file is not UTF-8 text (save it as CSV UTF-8).")) from None
    if "\x00" in text:
        raise ValidationError(_("The file is not a CSV file."))
    sample = text[:2048]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    channels = {}
    for ch in Channel.objects.all():
        channels[ch.code.lower()] = ch.pk
        channels[ch.name.lower()] = ch.pk
    rows, errors = [], []
    for number, record in enumerate(reader, start=1):
        if not record or all(not c.strip() for c in record):
            continue
        if number == 1 and not record[0].strip()[:1].isdigit():
            continue  # header
        if len(rows) >= MAX_IMPORT_ROWS:
            raise ValidationError(_("At most %(n)s rows per file.") % {"n": MAX_IMPORT_ROWS})
        if len(record) < 3:
            errors.append(_("Row %(n)s: expected date, channel, visits.") % {"n": number})
            continue
        try:
            day = date.fromisoformat(record[0].strip())
        except ValueError:
            errors.append(_("Row %(n)s: %(v)r is not a date (YYYY-MM-DD).") % {"n": number, "v": record[0][:20]})
            continue
        channel_id = channels.get(record[1].strip().lower())
        if channel_id is None:
            errors.append(_("Row %(n)s: unknown channel %(v)r.") % {"n": number, "v": record[1][:40]})
            continue
        value = record[2].strip().replace(".", "").replace(",", "")
        if not value.isascii() or not value.isdigit() or len(value) > 9:
            errors.append(_("Row %(n)s: visits %(v)r is not a whole number.") % {"n": number, "v": record[2][:20]})
            continue
        product_id = None
        if len(record) > 3 and record[3].strip():
            ref = record[3].strip()
            variant = ProductVariant.objects.filter(sku=ref).values_list("product_id", flat=True).first()
            if variant is None and ref.isascii() and ref.isdigit() and len(ref) < 15:
                variant = Product.objects.filter(pk=int(ref)).values_list("pk", flat=True).first()
            if variant is None:
                errors.append(_("Row %(n)s: unknown product %(v)r.") % {"n": number, "v": ref[:40]})
                continue
            product_id = variant
        rows.append((channel_id, day, product_id, int(value)))
    if errors:
        raise ValidationError(errors[:20])
    if not rows:
        raise ValidationError(_("The file has no rows."))
    with transaction.atomic():
        for channel_id, day, product_id, visits in rows:
            visits_set(channel_id=channel_id, day=day, visits=visits, product_id=product_id, source="import")
    return len(rows)


def spend_set(*, channel_id: int, month: date, amount: int, note: str = "") -> MarketingSpend:
    if amount < 0:
        raise ValidationError({"amount": [_("The amount cannot be negative.")]})
    row, _created = MarketingSpend.objects.update_or_create(
        channel_id=channel_id, month=month.replace(day=1), defaults={"amount": amount, "note": note}
    )
    return row


def change_record(*, day: date, kind: str, title: str, description: str = "", channel_id: int | None = None,
                  product_id: int | None = None, window_days: int = 14, actor=None) -> ChangeLogEntry:
    if kind not in ChangeLogEntry.Kind.values:
        raise ValidationError({"kind": [_("Unknown kind of change.")]})
    return ChangeLogEntry.objects.create(
        day=day, kind=kind, title=title.strip(), description=description.strip(), channel_id=channel_id,
        product_id=product_id, window_days=window_days,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
