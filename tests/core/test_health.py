import pytest

from core import health


@pytest.mark.django_db
def test_healthz_reports_ok_when_database_and_broker_answer(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}


@pytest.mark.django_db
def test_healthz_is_503_and_names_the_broker_when_it_is_down(client, settings, monkeypatch):
    from oms.celery import app

    # A port nothing listens on: the broker check must fail fast and say so.
    monkeypatch.setattr(app.conf, "broker_url", "redis://127.0.0.1:1/0")

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert body["checks"] == {"database": "ok", "broker": "down"}
    assert "errors" not in body  # details only in the log


@pytest.mark.django_db
def test_healthz_is_503_and_names_the_database_when_it_is_down(client, monkeypatch):
    monkeypatch.setattr(health, "check_database", lambda: "OperationalError: connection refused")

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "down"
    assert "connection refused" not in response.content.decode()


def test_healthz_answers_503_within_seconds_when_the_database_is_unreachable(client, settings):
    """A real unreachable server (a port nothing listens on), through a fresh connection."""
    import time

    from django.db import connections

    from core.views import healthz

    original = connections["default"]
    broken = original.__class__(
        {**original.settings_dict, "HOST": "127.0.0.1", "PORT": "1",
         "OPTIONS": {**{k: v for k, v in original.settings_dict.get("OPTIONS", {}).items() if k != "pool"},
                     "connect_timeout": 2}},
        alias="healthz-test",
    )
    connections["default"] = broken
    try:
        from django.test import RequestFactory

        started = time.monotonic()
        response = healthz(RequestFactory().get("/healthz"))
        elapsed = time.monotonic() - started
    finally:
        connections["default"] = original
        broken.close()

    assert response.status_code == 503
    assert elapsed < 5
    assert b"127.0.0.1" not in response.content
