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
    assert "broker" in body["errors"]


@pytest.mark.django_db
def test_healthz_is_503_and_names_the_database_when_it_is_down(client, monkeypatch):
    monkeypatch.setattr(health, "check_database", lambda: "OperationalError: connection refused")

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "down"
    assert response.json()["errors"]["database"].startswith("OperationalError")
