"""Serving stored files without letting a browser run them.

`safe_file_response` answers with the stored content type, `X-Content-Type-Options: nosniff` and
a `Content-Security-Policy: sandbox` that forbids scripts even if the file were HTML; images are
shown inline, everything else (PDFs, spreadsheets) is a download (`Content-Disposition:
attachment`), so a PDF carrying a script never opens in the app's origin.

`media` serves MEDIA_ROOT in production for the public kinds of upload only (product photos,
re-encoded when stored); customers' proofs of transfer and bank statements live in MEDIA_ROOT too
but are never served from /media/, only through their staff views.
"""

from __future__ import annotations

import mimetypes
import posixpath
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest
from django.utils._os import safe_join
from django.views.decorators.http import require_safe

INLINE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
SANDBOX_POLICY = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"


def safe_file_response(handle, *, content_type: str, filename: str) -> FileResponse:
    inline = content_type in INLINE_TYPES
    response = FileResponse(handle, content_type=content_type, as_attachment=not inline, filename=filename)
    if inline:
        response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SANDBOX_POLICY
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


@require_safe
def media(request: HttpRequest, path: str) -> FileResponse:
    """A public upload under MEDIA_ROOT (prefixes in MEDIA_PUBLIC_PREFIXES), else 404."""
    path = posixpath.normpath(path).lstrip("/")
    if path.startswith("..") or not any(path.startswith(prefix) for prefix in settings.MEDIA_PUBLIC_PREFIXES):
        raise Http404
    try:
        full = Path(safe_join(settings.MEDIA_ROOT, path))
    except Exception:  # SuspiciousFileOperation: a path outside MEDIA_ROOT
        raise Http404 from None
    if not full.is_file():
        raise Http404
    content_type = mimetypes.guess_type(full.name)[0] or "application/octet-stream"
    response = safe_file_response(full.open("rb"), content_type=content_type, filename=full.name)
    response["Cache-Control"] = "public, max-age=86400"
    return response
