from __future__ import annotations

import pytest

from notifications.providers import OutboundMessage, PermanentSendError, Provider, SendResult, TransientSendError


@pytest.fixture(autouse=True)
def _notify_settings(settings, tmp_path):
    """Messages go to files under tmp_path and to Django's in-memory outbox, never to real services."""
    settings.NOTIFY_FILE_DIR = tmp_path / "notifications"
    settings.NOTIFY_CHANNELS = ["email", "whatsapp"]
    settings.NOTIFY_EMAIL_PROVIDER = "email"
    settings.NOTIFY_WHATSAPP_PROVIDER = "file"
    settings.NOTIFY_SMS_PROVIDER = "file"
    settings.NOTIFY_SHOP_NAME = "Toko Batik Sari"
    settings.NOTIFY_MARKETPLACE_ORDERS = False
    settings.SITE_URL = "https://oms.example.id"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    ScriptedProvider.script = []
    ScriptedProvider.sent = []
    return settings


class ScriptedProvider(Provider):
    """Answers each send with the next scripted outcome: "ok", "transient" or "permanent"."""

    name = "scripted"
    script: list[str] = []
    sent: list[OutboundMessage] = []

    def send(self, message: OutboundMessage) -> SendResult:
        outcome = ScriptedProvider.script.pop(0) if ScriptedProvider.script else "ok"
        if outcome == "transient":
            raise TransientSendError("HTTP 503: gateway busy")
        if outcome == "permanent":
            raise PermanentSendError("HTTP 400: invalid phone number")
        ScriptedProvider.sent.append(message)
        return SendResult(provider_message_id=f"scripted-{len(ScriptedProvider.sent)}")


@pytest.fixture
def worker_like_eager():
    """Run eager tasks the way a worker does: retries loop, failures reach on_failure, nothing propagates."""
    from oms.celery import app

    previous = app.conf.task_eager_propagates
    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = previous


@pytest.fixture
def scripted(settings):
    """Use ScriptedProvider for WhatsApp: scripted(["transient", "ok"])."""
    settings.NOTIFY_WHATSAPP_PROVIDER = "tests.notifications.conftest.ScriptedProvider"

    def configure(outcomes: list[str]) -> type[ScriptedProvider]:
        ScriptedProvider.script = list(outcomes)
        return ScriptedProvider

    return configure


@pytest.fixture
def default_templates(db):
    """The templates data migration 0002 installs, again: a transaction=True test of another app run
    earlier flushes every table, templates included."""
    import importlib

    from django.apps import apps

    importlib.import_module("notifications.migrations.0002_default_templates").create_templates(apps, None)
