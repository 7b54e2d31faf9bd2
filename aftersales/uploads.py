"""Customer photo uploads, checked and re-encoded (their size is capped by core's request guard,
`core.middleware.upload_limit`, before and while they stream).

- `reencode_image(file)`: decides by content, not by name or header: Pillow must recognise a JPEG,
  PNG, WebP or GIF within the pixel limit; the picture is decoded and written again as a fresh JPEG
  (no EXIF/GPS, no trailing payload, longest side at most 2000 px).
"""

from __future__ import annotations

import io
import secrets

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "MPO"}
MAX_PIXELS = 40_000_000
MAX_SIDE = 2000


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
