"""Reviews: the customer rates each product of an order (one review per order line), staff
moderate and reply, marketplace reviews are entered or imported from CSV. A rating of 1-2 opens a
case automatically (once per review)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from aftersales.models import CaseCategory, CaseChannel, CasePriority, Review, ReviewPhoto, ReviewSource, ReviewStatus
from aftersales.services import cases as case_services
from aftersales.services.surveys import invitation_spend
from aftersales.uploads import reencode_image
from core.errors import Conflict, NotFound

LOW_RATING = 2
MAX_PHOTOS_PER_REVIEW = 3
CSV_MAX_BYTES = 2 * 1024 * 1024
CSV_MAX_ROWS = 5000


@dataclass(frozen=True)
class LineRating:
    order_line_id: int
    rating: int
    text: str = ""
    photos: tuple = ()


def _check_rating(rating, field: str = "rating") -> int:
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ValidationError({field: [_("A rating is a whole number from 1 to 5.")]})
    return rating


def _open_case_for_low_rating(review: Review) -> None:
    if review.rating > LOW_RATING:
        return
    case = case_services.case_open(
        subject=_("Low rating (%(n)s★) for %(product)s") % {"n": review.rating,
                                                            "product": review.product or review.reviewer_name},
        description=review.text, category=CaseCategory.QUALITY, priority=CasePriority.HIGH,
        channel=CaseChannel.REVIEW, order_id=review.order_id,
        customer_id=review.customer_id if review.order_id is None else None,
        source_ref=f"review:{review.pk}", source="system",
    )
    Review.objects.filter(pk=review.pk).update(case=case)
    review.case = case


def review_submit(*, order, ratings: list[LineRating], invitation_id: int | None = None) -> list[Review]:
    """The customer's reviews of an order's products (from the invitation link or the order page).

    Only a delivered order's own lines, each once: a second review of a line is refused (Conflict).
    Photos are checked and re-encoded like case photos.
    """
    if order.delivered_at is None and order.completed_at is None:
        raise ValidationError({"order": [_("Products can be reviewed once the order has been delivered.")]})
    if not ratings:
        raise ValidationError({"ratings": [_("Rate at least one product.")]})
    lines = {line.pk: line for line in order.lines.select_related("variant")}
    prepared = []
    for item in ratings:
        if item.order_line_id not in lines:
            raise ValidationError({"ratings": [_("Line %(id)s is not part of this order.")
                                               % {"id": item.order_line_id}]})
        _check_rating(item.rating)
        if len(item.photos) > MAX_PHOTOS_PER_REVIEW:
            raise ValidationError({"photos": [_("At most %(n)s photos per product.") % {"n": MAX_PHOTOS_PER_REVIEW}]})
        try:
            photos = [reencode_image(photo) for photo in item.photos]
        except ValidationError as exc:
            raise ValidationError({"photos": exc.messages}) from None
        prepared.append((item, photos))
    now = timezone.now()
    reviews = []
    try:
        with transaction.atomic():
            if invitation_id is not None:
                invitation_spend(invitation_id=invitation_id)
            for item, photos in prepared:
                line = lines[item.order_line_id]
                review = Review.objects.create(
                    order=order, order_line=line, product_id=line.variant.product_id if line.variant else None,
                    customer_id=order.customer_id, reviewer_name=(order.customer.name if order.customer else ""),
                    rating=item.rating, text=(item.text or "").strip()[:3000], source=ReviewSource.OWN,
                    reviewed_at=now,
                )
                for photo in photos:
                    stored = ReviewPhoto(review=review, size=photo.size)
                    stored.file.save(photo.name, photo, save=False)
                    stored.save()
                _open_case_for_low_rating(review)
                reviews.append(review)
    except IntegrityError:
        raise Conflict(_("This product has already been reviewed for this order.")) from None
    return reviews


def review_enter(*, source: str, rating: int, text: str = "", product_id: int | None = None,
                 reviewer_name: str = "", external_ref: str = "", reviewed_at: datetime | None = None,
                 order_id: int | None = None, actor=None) -> Review:
    """A marketplace review typed in by staff; the same (source, external_ref) is stored once."""
    if source not in ReviewSource.values:
        raise ValidationError({"source": [_("%(value)r is not a valid choice.") % {"value": source}]})
    _check_rating(rating)
    external_ref = (external_ref or "").strip()[:120]
    if external_ref:
        existing = Review.objects.filter(source=source, external_ref=external_ref).first()
        if existing is not None:
            return existing
    customer_id = None
    if order_id is not None:
        from orders.models import Order

        found = Order.objects.filter(pk=order_id).values_list("customer_id", flat=True)
        if not found:
            raise ValidationError({"order_id": [_("Order %(id)s does not exist.") % {"id": order_id}]})
        customer_id = found[0]
    if product_id is not None:
        from catalog.models import Product

        if not Product.objects.filter(pk=product_id).exists():
            raise ValidationError({"product_id": [_("Product %(id)s does not exist.") % {"id": product_id}]})
    with transaction.atomic():
        review = Review.objects.create(
            source=source, rating=rating, text=(text or "").strip()[:3000], product_id=product_id,
            reviewer_name=(reviewer_name or "").strip()[:200], external_ref=external_ref, order_id=order_id,
            customer_id=customer_id, reviewed_at=reviewed_at or timezone.now(),
            status=ReviewStatus.PUBLISHED,  # already public on the marketplace
        )
        _open_case_for_low_rating(review)
    return review


CSV_COLUMNS = ("sku", "rating", "text", "reviewer", "date", "review_id")


def reviews_import_csv(*, data: bytes, source: str, actor=None) -> int:
    """Import marketplace reviews from a CSV (columns: sku, rating, text, reviewer, date, review_id).

    All or nothing: every bad row is named (line number and reason) in one ValidationError and
    nothing is written. A review_id seen before is skipped. Returns the reviews written.
    """
    from catalog.models import ProductVariant

    if source not in ReviewSource.values or source == ReviewSource.OWN:
        raise ValidationError({"source": [_("Choose the marketplace the reviews come from.")]})
    if len(data) > CSV_MAX_BYTES:
        raise ValidationError({"file": [_("The file is larger than 2 MB.")]})
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError({"file": [_("The file is not UTF-8 text (save it as CSV UTF-8).")]}) from None
    sample = text[:2048]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in ("sku", "rating") if c not in header]
    if missing:
        raise ValidationError({"file": [_("Missing column(s): %(cols)s. Expected: %(all)s.")
                                        % {"cols": ", ".join(missing), "all": ", ".join(CSV_COLUMNS)}]})
    rows, errors = [], []
    for number, raw in enumerate(reader, start=2):
        if number - 1 > CSV_MAX_ROWS:
            raise ValidationError({"file": [_("At most %(n)s rows per file.") % {"n": CSV_MAX_ROWS}]})
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items() if k}
        try:
            rating = int(row.get("rating", ""))
            if not 1 <= rating <= 5:
                raise ValueError
        except ValueError:
            errors.append(_("Line %(n)s: the rating must be 1 to 5, got %(value)r.") % {"n": number,
                                                                                        "value": row.get("rating")})
            continue
        when = None
        if row.get("date"):
            when = parse_datetime(row["date"]) or (
                datetime.combine(d, datetime.min.time()) if (d := parse_date(row["date"])) else None)
            if when is None:
                errors.append(_("Line %(n)s: the date %(value)r is not YYYY-MM-DD.") % {"n": number,
                                                                                         "value": row["date"]})
                continue
            if timezone.is_naive(when):
                when = timezone.make_aware(when)
        rows.append((number, row, rating, when))
    skus = {row["sku"] for _n, row, _r, _w in rows if row.get("sku")}
    products = dict(ProductVariant.objects.filter(sku__in=skus).values_list("sku", "product_id"))
    for number, row, _rating, _when in rows:
        if row.get("sku") and row["sku"] not in products:
            errors.append(_("Line %(n)s: no product has SKU %(sku)s.") % {"n": number, "sku": row["sku"]})
    if errors:
        raise ValidationError({"file": errors[:50]})
    written = 0
    with transaction.atomic():
        for _number, row, rating, when in rows:
            ref = row.get("review_id", "")[:120]
            if ref and Review.objects.filter(source=source, external_ref=ref).exists():
                continue
            review_enter(source=source, rating=rating, text=row.get("text", ""),
                         product_id=products.get(row.get("sku")),
                         reviewer_name=row.get("reviewer", ""), external_ref=ref, reviewed_at=when, actor=actor)
            written += 1
    return written


def _lock(review_id: int) -> Review:
    review = Review.objects.select_for_update(of=("self",)).filter(pk=review_id).first()
    if review is None:
        raise NotFound(_("Review %(id)s does not exist.") % {"id": review_id})
    return review


def review_moderate(*, review_id: int, status: str, actor=None) -> Review:
    if status not in (ReviewStatus.PUBLISHED, ReviewStatus.HIDDEN):
        raise ValidationError({"status": [_("Publish or hide the review.")]})
    with transaction.atomic():
        review = _lock(review_id)
        if review.status != status:
            review.status = status
            review.save(update_fields=["status"])
    return review


def review_reply(*, review_id: int, text: str, actor=None) -> Review:
    text = (text or "").strip()
    if not text:
        raise ValidationError({"reply": [_("The reply is empty.")]})
    with transaction.atomic():
        review = _lock(review_id)
        review.reply, review.replied_at = text[:2000], timezone.now()
        review.replied_by = actor if getattr(actor, "is_authenticated", False) else None
        review.save(update_fields=["reply", "replied_at", "replied_by"])
    return review
