"""API token authentication that remembers a token's user and permissions between requests.

DRF's TokenAuthentication reads the token and its user on every request, and the first permission
check reads the user's permissions: two statements (and their planning) before a web-store order
does any work. Here both are kept in the cache, stamped with an "access version"; any change that
could alter who a token belongs to or what its user may do (a user, token, group or permission
saved or deleted, group or permission membership changed) moves the version on, so the next
request reads the database again. Reading the entry and the version is one cache round trip. If
the cache is unreachable, authentication falls back to the database: never to an old answer.

A web process also keeps what it read for LOCAL_TTL (one second): a client sending many requests
costs no cache round trip at all. A change made in this process clears that copy at once; other
processes see it within the second.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
import time

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.db.models.signals import m2m_changed, post_delete, post_save
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from core.permissions import load_permissions
from core.ttl import TTLCache

logger = logging.getLogger(__name__)

VERSION_KEY = "auth:access-version"
ENTRY_KEY = "auth:token:{digest}"
# A backstop only: entries are invalidated by the version as soon as anything changes.
ENTRY_TTL = 300
LOCAL_TTL = 1.0
_local: TTLCache[bytes] = TTLCache(ttl=LOCAL_TTL)  # entry key -> the pickled user


def _entry_key(key: str) -> str:
    # The token itself never becomes part of a cache key (keys show up in monitoring tools).
    return ENTRY_KEY.format(digest=hashlib.sha256(key.encode()).hexdigest())


def access_version_bump(**_kwargs) -> None:
    """Forget every remembered token (signal receiver; also callable directly)."""
    _local.clear()
    try:
        # A version created afresh (first use, or the key was evicted) starts at the clock in ns,
        # above any version an old entry could carry, so an evicted key never revives old entries.
        if not cache.add(VERSION_KEY, time.time_ns(), timeout=None):
            cache.incr(VERSION_KEY)
    except Exception:  # an unreachable cache: entries expire by their TTL, and reads fall back
        logger.warning("could not move the access version on", exc_info=True)


class CachedTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`, with the token's user and permissions cached (see module)."""

    def authenticate_credentials(self, key):
        entry_key = _entry_key(key)
        local = _local.get(entry_key, None)
        if local is not None:
            user = pickle.loads(local)  # noqa: S301 - written by this process
            return user, Token(key=key, user=user)
        try:
            found = cache.get_many([entry_key, VERSION_KEY])
        except Exception:
            logger.warning("token cache unreachable, reading the database", exc_info=True)
            return self._from_database(key)
        version = found.get(VERSION_KEY)
        entry = found.get(entry_key)
        if entry is not None and version is not None and entry[0] == version:
            user = pickle.loads(entry[1])  # noqa: S301 - written by this class into our own cache
            _local.set(entry_key, entry[1])
            return user, Token(key=key, user=user)
        user, token = self._from_database(key)
        if version is None:
            access_version_bump()
            version = cache.get(VERSION_KEY)
        if version is not None:
            pickled = pickle.dumps(user)
            try:
                cache.set(entry_key, (version, pickled), timeout=ENTRY_TTL)
            except Exception:
                logger.warning("could not remember a token", exc_info=True)
            else:
                _local.set(entry_key, pickled)
        return user, token

    def _from_database(self, key):
        user, token = super().authenticate_credentials(key)
        load_permissions(user)
        return user, token


def connect_signals() -> None:
    user_model = get_user_model()
    for model in (user_model, Token, Group, Permission):
        post_save.connect(access_version_bump, sender=model, dispatch_uid=f"auth-version-save-{model.__name__}")
        post_delete.connect(access_version_bump, sender=model, dispatch_uid=f"auth-version-delete-{model.__name__}")
    for through in (user_model.groups.through, user_model.user_permissions.through, Group.permissions.through):
        m2m_changed.connect(access_version_bump, sender=through, dispatch_uid=f"auth-version-m2m-{through.__name__}")

