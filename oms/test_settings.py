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
# Parallel test workers (pytest-xdist) share one Redis database: each gets its own key space, so
# a debounce marker or cached token of one worker never leaks into another's tests.
CACHES["default"]["KEY_PREFIX"] = os.environ.get("PYTEST_XDIST_WORKER", "")  # noqa: F405
