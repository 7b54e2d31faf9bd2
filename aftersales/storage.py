"""Where customers' uploads live: outside MEDIA_ROOT and STATIC_ROOT, never served by the web server.

Files are read back only through the download views, which answer with Content-Disposition:
attachment, X-Content-Type-Options: nosniff and a sandboxing Content-Security-Policy, so an
uploaded file can never run as a page or a script.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils.functional import LazyObject


class _PrivateStorage(LazyObject):
    def _setup(self):
        self._wrapped = FileSystemStorage(location=settings.AFTERSALES_UPLOAD_ROOT, base_url=None,
                                          file_permissions_mode=0o640, directory_permissions_mode=0o750)


private_storage = _PrivateStorage()


def get_private_storage():
    return private_storage
