"""Reachability checks for /healthz."""

from __future__ import annotations

from django.db import connection


def check_database() -> str | None:
    """None when the database answers, else why not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means "down"; the reason is reported
        return f"{type(exc).__name__}: {exc}"[:300]
    return None


def check_broker() -> str | None:
    from oms.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=1)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"[:300]
    return None
