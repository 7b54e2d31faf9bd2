"""Payment settings, read from Django settings first and then from the environment (oms.env)."""

from __future__ import annotations

from django.conf import settings

from oms.env import env_int, env_str


def _setting(name: str, default: str = "") -> str:
    value = getattr(settings, name, None)
    if value is None:
        value = env_str(name, default)
    return value or ""


def midtrans_server_key() -> str:
    return _setting("MIDTRANS_SERVER_KEY")


def xendit_callback_token() -> str:
    return _setting("XENDIT_CALLBACK_TOKEN")


def midtrans_snap_base_url() -> str:
    """Snap's host: the sandbox unless configured (production: https://app.midtrans.com)."""
    return _setting("MIDTRANS_SNAP_BASE_URL", "https://app.sandbox.midtrans.com").rstrip("/")


def xendit_secret_key() -> str:
    return _setting("XENDIT_SECRET_KEY")


def xendit_api_base_url() -> str:
    return _setting("XENDIT_API_BASE_URL", "https://api.xendit.co").rstrip("/")


def gateway_provider() -> str:
    """Which gateway takes VA/e-wallet/QRIS/card payments: midtrans or xendit."""
    return _setting("PAYMENTS_GATEWAY", "midtrans")


def _int(name: str, default: int) -> int:
    value = getattr(settings, name, None)
    if value is not None:
        return int(value)
    return env_int(name, default, minimum=1)


def bank_transfer_window_hours() -> int:
    return _int("PAYMENTS_BANK_TRANSFER_WINDOW_HOURS", 24)


def unique_code_max() -> int:
    """The kode unik runs +1..+N, then -1..-N (N at most 999, the column's check)."""
    return min(_int("PAYMENTS_UNIQUE_CODE_MAX", 999), 999)


def unique_code_floor_amount() -> int:
    """A lowering kode unik never takes the amount to transfer below this (whole rupiah)."""
    return _int("PAYMENTS_UNIQUE_CODE_FLOOR_AMOUNT", 10_000)


def unsettled_after_days() -> int:
    return _int("PAYMENTS_UNSETTLED_AFTER_DAYS", 14)


def proof_max_bytes() -> int:
    return _int("PAYMENTS_PROOF_MAX_BYTES", 5 * 1024 * 1024)


def statement_max_bytes() -> int:
    return _int("PAYMENTS_STATEMENT_MAX_BYTES", 50 * 1024 * 1024)


WEBHOOK_MAX_BYTES = 64 * 1024
