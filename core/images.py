"""Uploaded images are decoded and written again (Pillow) before they are stored.

What is kept is only what the decoder understood: pixels, re-encoded in the same format. Bytes
appended after the image (an HTML page, a script, a zip), metadata (EXIF with the sender's
location) and any trick that makes a browser sniff the file as something else are gone.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

# format -> (extension, content type, save options)
FORMATS = {
    "JPEG": ("jpg", "image/jpeg", {"quality": 90, "optimize": True}),
    "PNG": ("png", "image/png", {"optimize": True}),
    "WEBP": ("webp", "image/webp", {"quality": 90}),
}
MAX_PIXELS = 6000 * 6000


class ImageRefused(ValueError):
    """Not an image this app accepts; the message is for the person who uploaded it."""


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    format: str
    extension: str
    content_type: str
    width: int
    height: int


def reencode_image(data: bytes, *, formats: tuple[str, ...] = tuple(FORMATS), max_pixels: int = MAX_PIXELS,
                   max_side: int | None = None) -> CleanImage:
    """Decode `data` and encode the pixels again in the same format (JPEG, PNG or WebP).

    ImageRefused when it is not such an image, is damaged, or has more than `max_pixels`
    pixels (checked from the header, before decoding: a decompression bomb is never inflated).
    """
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format
            width, height = probe.size
            probe.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ImageRefused("not an image") from None
    if fmt not in formats or fmt not in FORMATS:
        raise ImageRefused(f"format {fmt} is not accepted")
    if width * height > max_pixels or (max_side is not None and max(width, height) > max_side):
        raise ImageRefused("too many pixels")
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            image = ImageOps.exif_transpose(image)
            if fmt == "JPEG" and image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            out = io.BytesIO()
            extension, content_type, options = FORMATS[fmt]
            image.save(out, format=fmt, **options)
            width, height = image.size
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ImageRefused("the image is damaged") from None
    return CleanImage(data=out.getvalue(), format=fmt, extension=extension, content_type=content_type,
                      width=width, height=height)
