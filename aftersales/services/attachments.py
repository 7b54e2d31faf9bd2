"""Attachments of a case: checked photos (stored re-encoded, privately) and video links."""

from __future__ import annotations

from urllib.parse import urlparse

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from aftersales.models import Attachment, Case
from aftersales.services.common import case_event, lock_case
from aftersales.uploads import reencode_image


def attachment_add_photo(*, case_id: int, uploaded, by_customer: bool, actor=None) -> Attachment:
    """Store a photo for the case after checking its content; ValidationError says what is wrong."""
    if uploaded.size > settings.AFTERSALES_PHOTO_MAX_BYTES:
        raise ValidationError({"photo": [_("A photo may be at most %(mb)s MB.")
                                         % {"mb": settings.AFTERSALES_PHOTO_MAX_BYTES // (1024 * 1024)}]})
    try:
        clean = reencode_image(uploaded)
    except ValidationError as exc:
        raise ValidationError({"photo": exc.messages}) from None
    with transaction.atomic():
        case = lock_case(case_id)
        if case.attachments.filter(kind=Attachment.Kind.IMAGE).count() >= settings.AFTERSALES_PHOTOS_PER_CASE:
            raise ValidationError({"photo": [_("At most %(n)s photos per case.")
                                             % {"n": settings.AFTERSALES_PHOTOS_PER_CASE}]})
        attachment = Attachment(case=case, kind=Attachment.Kind.IMAGE, original_name=(uploaded.name or "")[:200],
                                content_type="image/jpeg", size=clean.size, uploaded_by_customer=by_customer)
        attachment.file.save(clean.name, clean, save=False)
        try:
            attachment.save()
        except Exception:
            attachment.file.delete(save=False)
            raise
        case_event(case, "attachment_added", actor=actor, source="customer" if by_customer else "staff",
                   data={"attachment": attachment.pk, "kind": "image"})
    return attachment


def attachment_add_video_link(*, case_id: int, url: str, by_customer: bool, actor=None) -> Attachment:
    """An unboxing video is kept as a link (https only), never uploaded or embedded."""
    url = (url or "").strip()
    parsed = urlparse(url)
    if parsed.scheme != "https" or not parsed.netloc or len(url) > 500:
        raise ValidationError({"video_url": [_("Give the video as an https:// link (at most 500 characters).")]})
    with transaction.atomic():
        case = lock_case(case_id)
        attachment = Attachment.objects.create(case=case, kind=Attachment.Kind.VIDEO_LINK, url=url,
                                               uploaded_by_customer=by_customer)
        case_event(case, "attachment_added", actor=actor, source="customer" if by_customer else "staff",
                   data={"attachment": attachment.pk, "kind": "video_link"})
    return attachment


def attachments_delete_for_case(case: Case) -> int:
    """Remove a case's stored photos (personal data erasure); the rows say they were removed."""
    count = 0
    for attachment in case.attachments.exclude(file=""):
        attachment.file.delete(save=False)
        attachment.original_name = ""
        attachment.save(update_fields=["file", "original_name"])
        count += 1
    Attachment.objects.filter(case=case, kind=Attachment.Kind.VIDEO_LINK).update(url="")
    return count
