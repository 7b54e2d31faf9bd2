"""The settings module reads the environment strictly and refuses unsafe production setups."""

import runpy
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

GOOD_KEY = "k" * 20 + "-a-real-random-production-secret-key-of-enough-length"
SERVICES = {"DATABASE_URL": "postgres://oms:pw@db:5432/oms", "REDIS_URL": "redis://cache:6379/0",
            "EMAIL_HOST": "smtp.example.id"}


def load_settings(monkeypatch, tmp_path, **env):
    # The settings start this checkout's embedded servers when a URL is missing; here they are
    # only described (oms/embedded.py is tested on its own).
    from oms import embedded

    monkeypatch.setattr(embedded, "ensure_running", lambda var_dir: embedded.Layout(Path(var_dir)))
    for name in ("DJANGO_ENV", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL", "EMAIL_HOST",
                 "EMAIL_BACKEND", "NOTIFY_EMAIL_PROVIDER", "NOTIFY_WHATSAPP_PROVIDER", "NOTIFY_SMS_PROVIDER",
                 "TRUSTED_PROXIES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OMS_VAR_DIR", str(tmp_path))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_module("oms.settings")


def test_no_environment_gives_the_embedded_postgresql_and_redis(monkeypatch, tmp_path):
    settings = load_settings(monkeypatch, tmp_path)

    db = settings["DATABASES"]["default"]
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert db["HOST"].startswith("/")  # a Unix socket directory: no TCP port to clash with
    assert db["OPTIONS"]["pool"]["max_size"] >= 1
    assert settings["CACHES"]["default"]["LOCATION"].startswith("unix://")
    assert settings["CELERY_BROKER_URL"].startswith("redis+socket://")
    assert settings["DEBUG"] is True
    assert settings["LANGUAGE_CODE"] == "id"
    assert settings["TIME_ZONE"] == "Asia/Jakarta"


def test_database_url_selects_postgresql_with_a_connection_pool(monkeypatch, tmp_path):
    settings = load_settings(monkeypatch, tmp_path, DATABASE_URL="postgres://u:p@db:5432/oms")

    db = settings["DATABASES"]["default"]
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert db["OPTIONS"]["pool"]["max_size"] >= 1
    assert db["CONN_MAX_AGE"] == 0


def test_redis_url_is_the_broker_and_cache(monkeypatch, tmp_path):
    settings = load_settings(monkeypatch, tmp_path, REDIS_URL="redis://cache:6379/0")

    assert settings["CELERY_BROKER_URL"] == "redis://cache:6379/0"
    assert settings["CACHES"]["default"]["BACKEND"].endswith("RedisCache")
    assert settings["CELERY_BROKER_TRANSPORT_OPTIONS"]["visibility_timeout"] > settings["CELERY_TASK_TIME_LIMIT"]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "maybe"}, "DEBUG must be a boolean"),
        ({"DJANGO_ENV": "staging"}, "DJANGO_ENV must be one of"),
        ({"DATABASE_URL": "mysql://root@db/oms"}, "DATABASE_URL must point at PostgreSQL"),
        ({"REDIS_URL": "http://cache:6379"}, "REDIS_URL must start with redis://"),
        ({"DATABASE_URL": "sqlite:///var/oms.sqlite3"}, "DATABASE_URL must point at PostgreSQL"),
        ({"EMAIL_PORT": "smtp"}, "EMAIL_PORT must be a whole number"),
        ({"CSRF_TRUSTED_ORIGINS": "oms.example.id"}, "CSRF_TRUSTED_ORIGINS entries must start with http"),
    ],
)
def test_a_bad_value_is_refused_with_a_message_naming_the_variable(monkeypatch, tmp_path, env, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        load_settings(monkeypatch, tmp_path, **env)


def test_production_refuses_to_start_without_a_real_secret_key(monkeypatch, tmp_path):
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY must be set"):
        load_settings(monkeypatch, tmp_path, DJANGO_ENV="production", ALLOWED_HOSTS="oms.example.id", **SERVICES)
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY must be set"):
        load_settings(monkeypatch, tmp_path, DJANGO_ENV="production", ALLOWED_HOSTS="oms.example.id",
                      SECRET_KEY="short", **SERVICES)


def test_production_requires_allowed_hosts_and_no_debug(monkeypatch, tmp_path):
    with pytest.raises(ImproperlyConfigured, match="ALLOWED_HOSTS"):
        load_settings(monkeypatch, tmp_path, DJANGO_ENV="production", SECRET_KEY=GOOD_KEY, **SERVICES)
    with pytest.raises(ImproperlyConfigured, match="DEBUG must be off"):
        load_settings(monkeypatch, tmp_path, DJANGO_ENV="production", SECRET_KEY=GOOD_KEY,
                      ALLOWED_HOSTS="oms.example.id", DEBUG="1", **SERVICES)


def test_production_never_starts_embedded_servers(monkeypatch, tmp_path):
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL and REDIS_URL must be set"):
        load_settings(monkeypatch, tmp_path, DJANGO_ENV="production", SECRET_KEY=GOOD_KEY,
                      ALLOWED_HOSTS="oms.example.id", DATABASE_URL=SERVICES["DATABASE_URL"])


def test_production_switches_on_https_hardening(monkeypatch, tmp_path):
    settings = load_settings(monkeypatch, tmp_path, DJANGO_ENV="production", SECRET_KEY=GOOD_KEY,
                             ALLOWED_HOSTS="oms.example.id", **SERVICES)

    assert settings["DEBUG"] is False
    assert settings["SESSION_COOKIE_SECURE"] and settings["CSRF_COOKIE_SECURE"]
    assert settings["SECURE_HSTS_SECONDS"] >= 31536000
    assert settings["SECURE_SSL_REDIRECT"] is True
    assert "Manifest" in settings["STORAGES"]["staticfiles"]["BACKEND"]


def test_production_refuses_to_start_without_an_e_mail_configuration(monkeypatch, tmp_path):
    services = {k: v for k, v in SERVICES.items() if k != "EMAIL_HOST"}
    with pytest.raises(ImproperlyConfigured, match="EMAIL_HOST"):
        load_settings(monkeypatch, tmp_path, DJANGO_ENV="production", SECRET_KEY=GOOD_KEY,
                      ALLOWED_HOSTS="oms.example.id", **services)


def test_production_refuses_the_console_notification_provider(monkeypatch, tmp_path):
    with pytest.raises(ImproperlyConfigured, match="console"):
        load_settings(monkeypatch, tmp_path, DJANGO_ENV="production", SECRET_KEY=GOOD_KEY,
                      ALLOWED_HOSTS="oms.example.id", NOTIFY_WHATSAPP_PROVIDER="console", **SERVICES)


def test_trusted_proxies_must_be_addresses_or_networks(monkeypatch, tmp_path):
    settings = load_settings(monkeypatch, tmp_path, TRUSTED_PROXIES="10.0.0.1, 172.16.0.0/12", **SERVICES)
    assert settings["TRUSTED_PROXIES"] == ["10.0.0.1", "172.16.0.0/12"]
    with pytest.raises(ImproperlyConfigured, match="TRUSTED_PROXIES"):
        load_settings(monkeypatch, tmp_path, TRUSTED_PROXIES="proxy.local", **SERVICES)


@pytest.mark.parametrize(("env", "expected"), [
    ({"PORT": "8123"}, "http://127.0.0.1:8123"),
    ({"HOST": "0.0.0.0", "PORT": "8123"}, "http://127.0.0.1:8123"),  # noqa: S104
    ({"HOST": "localhost"}, "http://localhost:8000"),
    ({}, "http://127.0.0.1:8000"),
    ({"PORT": "8123", "SITE_URL": "https://toko.example.id/"}, "https://toko.example.id"),
])
def test_customer_links_use_the_port_make_run_serves_unless_site_url_is_set(monkeypatch, tmp_path, env, expected):
    for name in ("HOST", "PORT", "SITE_URL"):
        monkeypatch.delenv(name, raising=False)

    settings = load_settings(monkeypatch, tmp_path, **env)

    assert settings["SITE_URL"] == expected


def test_a_port_that_is_not_a_port_is_refused(monkeypatch, tmp_path):
    monkeypatch.delenv("SITE_URL", raising=False)

    with pytest.raises(ImproperlyConfigured, match="PORT"):
        load_settings(monkeypatch, tmp_path, PORT="80800")
