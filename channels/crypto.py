"""Secrets at rest: provider credentials are stored as one Fernet token per channel.

Keys come from settings.FIELD_ENCRYPTION_KEYS (newest first, so old tokens still decrypt while
new ones use the newest key). Without keys, one key is derived from SECRET_KEY with HKDF/SHA-256,
so a development setup needs nothing configured.
"""

from __future__ import annotations

import base64
import json
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def derive_key(secret: str) -> bytes:
    """A Fernet key (urlsafe base64 of 32 bytes) derived from a secret string."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"oms.channels.credentials", info=b"fernet")
    return base64.urlsafe_b64encode(hkdf.derive(secret.encode()))


@lru_cache(maxsize=8)
def _fernet(keys: tuple[str, ...], secret_key: str) -> MultiFernet:
    try:
        fernets = [Fernet(key.encode() if isinstance(key, str) else key) for key in keys]
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(f"FIELD_ENCRYPTION_KEYS holds an invalid Fernet key: {exc}") from None
    if not fernets:
        fernets = [Fernet(derive_key(secret_key))]
    return MultiFernet(fernets)


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS or ()), settings.SECRET_KEY)


def encrypt_json(data: dict) -> str:
    if not data:
        return ""
    return fernet().encrypt(json.dumps(data, sort_keys=True).encode()).decode()


def decrypt_json(token: str) -> dict:
    """The dict inside a token; an empty dict for no token. A token no key can open raises ValueError."""
    if not token:
        return {}
    try:
        return json.loads(fernet().decrypt(token.encode()))
    except InvalidToken:
        raise ValueError("The stored credentials cannot be decrypted with the configured keys.") from None


def rotate(token: str) -> str:
    """Re-encrypt a token with the newest key (after adding a key to FIELD_ENCRYPTION_KEYS)."""
    return fernet().rotate(token.encode()).decode() if token else ""
