"""Customer photo uploads: refused by size before and while they stream, checked and re-encoded.

- `too_large(request, limit)`: the Content-Length says the request is bigger than allowed: refuse
  before reading a byte.
- `LimitedUploadHandler`: counts bytes as they arrive and stops the upload past the limit (a
  client may lie about Content-Length or stream chunked), so memory and disk stay bounded.
- `reencode_image(file)`: decides by content, not by name or header: Pillow must recognise a JPEG,
  PNG, WebP or GIF within the pixel limit; the picture is decoded and written again as a fresh JPEG
  (no EXIF/GPS, no trailing payload, longest side at most 2000 px).
"""

from __future__ import annotations

import io
import secrets

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "MPO"}
MAX_PIXELS = 40_000_000
MAX_SIDE = 2000
MULTIPART_OVERHEAD = 64 * 1024


def too_large(request, limit: int) -> bool:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return True
    return length > limit + MULTIPART_OVERHEAD


class LimitedUploadHandler(FileUploadHandler):
    """Stops reading once more than `limit` bytes of files arrived; the view then finds no file."""

    def __init__(self, request=None, *, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.received = 0
        self.exceeded = False

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            self.exceeded = True
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size):
        return None


def reencode_image(uploaded) -> ContentFile:
    """A clean JPEG of an uploaded picture, or ValidationError saying what is wrong with it."""
    try:
        uploaded.seek(0)
        with Image.open(uploaded) as probe:
            fmt = probe.format
            if fmt not in ALLOWED_FORMATS:
                raise ValidationError(_("Only JPEG, PNG, WebP or GIF photos are accepted."))
            if probe.width * probe.height > MAX_PIXELS:
                raise ValidationError(_("The photo is too large (too many pixels)."))
            probe.verify()
        uploaded.seek(0)
        with Image.open(uploaded) as image:
            image = ImageOps.exif_transpose(image)
            image.thumbnail((MAX_SIDE, MAX_SIDE))
            clean = image.convert("RGB")
            out = io.BytesIO()
            clean.save(out, format="JPEG", quality=85, optimize=True)
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise ValidationError(_("This file is not a photo we can read.")) from None
    return ContentFile(out.getvalue(), name=f"{secrets.token_hex(16)}.jpg")
