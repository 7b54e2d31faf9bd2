"""Channel credentials are encrypted at rest and never readable from the row."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ValidationError

from channels import crypto, services
from channels.models import Channel


def test_credentials_are_stored_encrypted_and_read_back(make_channel):
    channel = make_channel("shopee", credentials={"partner_id": "2001887", "partner_key": "very-secret-key"})

    stored = Channel.objects.values_list("credentials_token", flat=True).get(pk=channel.pk)

    assert "very-secret-key" not in stored
    assert Channel.objects.get(pk=channel.pk).credential("partner_key") == "very-secret-key"
    assert channel.credentials_set == ["partner_id", "partner_key"]


def test_blank_credential_values_keep_the_stored_secret(make_channel):
    channel = make_channel("shopee", credentials={"partner_id": "1", "partner_key": "old"})

    services.channel_update(channel_id=channel.pk, credentials={"partner_key": "", "access_token": "tok"})

    channel = Channel.objects.get(pk=channel.pk)
    assert channel.credentials == {"partner_id": "1", "partner_key": "old", "access_token": "tok"}


def test_credentials_can_be_cleared_by_name(make_channel):
    channel = make_channel("shopee", credentials={"partner_id": "1", "partner_key": "old"})
    services.channel_credentials_clear(channel_id=channel.pk, names=["partner_key"])
    assert Channel.objects.get(pk=channel.pk).credentials == {"partner_id": "1"}


def test_unknown_credential_fields_are_refused(make_channel):
    with pytest.raises(ValidationError) as info:
        make_channel("shopee", credentials={"password": "x"})
    assert "credentials" in info.value.message_dict


def test_configured_keys_rotate_newest_first(settings, make_channel):
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old_key]
    channel = make_channel("shopee", credentials={"partner_key": "k1"})
    token = Channel.objects.get(pk=channel.pk).credentials_token

    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    assert crypto.decrypt_json(token) == {"partner_key": "k1"}
    rotated = crypto.rotate(token)
    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    assert crypto.decrypt_json(rotated) == {"partner_key": "k1"}
    with pytest.raises(ValueError, match="cannot be decrypted"):
        crypto.decrypt_json(token)


def test_without_configured_keys_a_key_is_derived_from_the_secret_key(settings):
    settings.FIELD_ENCRYPTION_KEYS = []
    token = crypto.encrypt_json({"a": "b"})
    assert crypto.decrypt_json(token) == {"a": "b"}
    settings.SECRET_KEY = "another-secret-key-" * 3
    with pytest.raises(ValueError):
        crypto.decrypt_json(token)


def test_health_reads_inactive_not_synced_failing_and_ok(make_channel):
    from django.utils import timezone

    channel = make_channel("shopee")
    assert channel.health == "not_synced"
    channel.last_synced_at = timezone.now()
    assert channel.health == "ok"
    channel.last_synced_at = timezone.now() - timezone.timedelta(hours=2)
    assert channel.health == "stale"
    channel.sync_failures = 2
    assert channel.health == "failing"
    channel.is_active = False
    assert channel.health == "inactive"
