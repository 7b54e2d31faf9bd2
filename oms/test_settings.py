"""Settings for the test suite: the normal settings with fast hashing and eager tasks.

DATABASE_URL / REDIS_URL decide the backing services exactly as in production; without them the
suite runs on this checkout's embedded PostgreSQL and Redis (oms/embedded.py).
"""

import os

os.environ.setdefault("DJANGO_ENV", "test")

from oms.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
MEDIA_ROOT = VAR_DIR / "test-media"  # noqa: F405
AXES_ENABLED = True
# The tests' cache is a Redis database of its own: on the embedded server that `make run` also
# uses, database 10 and up (never the running app's 0), and with REDIS_URL the configured one.
# Parallel test workers (pytest-xdist, "gw0", "gw1"...) each take the next database, so a test's
# cache.clear() or debounce marker never reaches another worker's tests.
from oms.env import redis_db, redis_url_with_db  # noqa: E402

_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
_base_db = 10 if not env_str("REDIS_URL") else redis_db(REDIS_URL)  # noqa: F405
if _worker.startswith("gw") and _worker[2:].isdigit():
    _base_db += 1 + int(_worker[2:])
CACHES["default"]["LOCATION"] = redis_url_with_db(REDIS_URL, _base_db % 16)  # noqa: F405
