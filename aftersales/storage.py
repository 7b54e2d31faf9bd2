"""Where customers' uploads live: outside MEDIA_ROOT and STATIC_ROOT, never served by the web server.

Files are read back only through the download views, which answer with Content-Disposition:
attachment, X-Content-Type-Options: nosniff and a sandboxing Content-Security-Policy, so an
uploaded file can never run as a page or a script. The folder is AFTERSALES_UPLOAD_ROOT, read at
each use (a settings override in tests or a deployment change takes effect without a restart).
"""

from __future__ import annotations

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PrivateStorage(FileSystemStorage):
    @property
    def base_location(self):
        return settings.AFTERSALES_UPLOAD_ROOT

    @property
    def location(self):
        return os.path.abspath(self.base_location)


private_storage = PrivateStorage(base_url=None, file_permissions_mode=0o640, directory_permissions_mode=0o750)


def get_private_storage() -> PrivateStorage:
    """The fields' storage, referenced by a callable so migrations hold no machine's path."""
    return private_storage
