"""Settings for the test suite: the normal settings with fast hashing and eager tasks.

DATABASE_URL / REDIS_URL decide the backing services exactly as in production.
"""

import os

os.environ.setdefault("DJANGO_ENV", "test")

from oms.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
MEDIA_ROOT = VAR_DIR / "test-media"  # noqa: F405
AXES_ENABLED = True
# Parallel test workers (pytest-xdist, "gw0", "gw1"...) each get a Redis database of their own
# next to the configured one, so a test's cache.clear() or debounce marker never reaches another
# worker's tests.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _worker.startswith("gw") and _worker[2:].isdigit() and REDIS_URL:  # noqa: F405
    from urllib.parse import urlparse as _urlparse

    _url = _urlparse(REDIS_URL)  # noqa: F405
    _db = int(_url.path.strip("/") or 0)
    CACHES["default"]["LOCATION"] = _url._replace(path=f"/{(_db + 1 + int(_worker[2:])) % 16}").geturl()  # noqa: F405
