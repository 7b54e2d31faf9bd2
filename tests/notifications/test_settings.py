"""Notification settings are read strictly from the environment."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from tests.core.test_settings import load_settings as load_core_settings


def load_settings(monkeypatch, tmp_path, **env):
    for name in ("NOTIFY_CHANNELS", "NOTIFY_WHATSAPP_PROVIDER", "NOTIFY_WHATSAPP_URL", "NOTIFY_SMS_PROVIDER",
                 "NOTIFY_SMS_URL", "NOTIFY_FILE_DIR", "NOTIFY_EMAIL_PROVIDER"):
        monkeypatch.delenv(name, raising=False)
    return load_core_settings(monkeypatch, tmp_path, **env)


def test_development_defaults_send_email_to_the_console_and_whatsapp_to_files(monkeypatch, tmp_path):
    settings = load_settings(monkeypatch, tmp_path)

    assert settings["NOTIFY_CHANNELS"] == ["email", "whatsapp"]
    assert settings["NOTIFY_EMAIL_PROVIDER"] == "email"
    assert settings["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    assert settings["NOTIFY_WHATSAPP_PROVIDER"] == settings["NOTIFY_SMS_PROVIDER"] == "file"
    assert settings["NOTIFY_FILE_DIR"] == tmp_path / "notifications"
    assert settings["NOTIFY_MARKETPLACE_ORDERS"] is False
    assert "notifications.sweep" in settings["CELERY_BEAT_SCHEDULE"]
    assert "notifications.payment_reminders" in settings["CELERY_BEAT_SCHEDULE"]


def test_a_real_whatsapp_gateway_is_configured_by_environment(monkeypatch, tmp_path):
    settings = load_settings(monkeypatch, tmp_path, NOTIFY_WHATSAPP_PROVIDER="http",
                             NOTIFY_WHATSAPP_URL="https://wa-gateway.example.id/v1/messages",
                             NOTIFY_WHATSAPP_TOKEN="secret", NOTIFY_CHANNELS="email, whatsapp, sms")

    assert settings["NOTIFY_WHATSAPP_URL"] == "https://wa-gateway.example.id/v1/messages"
    assert settings["NOTIFY_CHANNELS"] == ["email", "whatsapp", "sms"]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"NOTIFY_WHATSAPP_PROVIDER": "http"}, "NOTIFY_WHATSAPP_URL"),
        ({"NOTIFY_SMS_PROVIDER": "http", "NOTIFY_SMS_URL": "ftp://gateway"}, "NOTIFY_SMS_URL"),
        ({"NOTIFY_CHANNELS": "email,telegram"}, "NOTIFY_CHANNELS"),
        ({"NOTIFY_HTTP_TIMEOUT": "soon"}, "NOTIFY_HTTP_TIMEOUT"),
        ({"NOTIFY_MARKETPLACE_ORDERS": "maybe"}, "NOTIFY_MARKETPLACE_ORDERS"),
    ],
)
def test_bad_notification_settings_stop_the_start(monkeypatch, tmp_path, env, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        load_settings(monkeypatch, tmp_path, **env)
