"""core.authentication.CachedTokenAuthentication: no database after the first request, and never
an answer older than the last change to the token, its user, their groups or permissions."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from rest_framework import exceptions
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core import roles
from core.authentication import CachedTokenAuthentication

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_token_cache():
    # Only this module's keys: a cache.clear() would empty the Redis database under other tests.
    from core import authentication

    def forget():
        cache.delete(authentication.VERSION_KEY)
        authentication._local.clear()

    forget()
    yield
    forget()


def authenticate(key: str):
    return CachedTokenAuthentication().authenticate_credentials(key)


def test_second_request_reads_no_database_and_keeps_the_permissions(make_user, django_assert_max_num_queries):
    # given a customer-service account with an API token, authenticated once
    user = make_user(roles.CUSTOMER_SERVICE)
    token = Token.objects.create(user=user)
    first, _ = authenticate(token.key)
    assert first.pk == user.pk
    # when the same token comes again
    with django_assert_max_num_queries(0):
        again, auth = authenticate(token.key)
        may_add_orders = again.has_perm("orders.add_order")
        may_adjust_stock = again.has_perm("catalog.adjust_stock")
    # then no statement ran: user and permissions came from the cache, and they are right
    assert again.pk == user.pk and auth.key == token.key
    assert may_add_orders is True
    assert may_adjust_stock is False


def test_a_deleted_token_is_refused_at_once(make_user):
    user = make_user(roles.CUSTOMER_SERVICE)
    key = Token.objects.create(user=user).key
    authenticate(key)
    Token.objects.get(key=key).delete()
    with pytest.raises(exceptions.AuthenticationFailed):
        authenticate(key)


def test_a_deactivated_user_is_refused_at_once(make_user):
    user = make_user(roles.CUSTOMER_SERVICE)
    token = Token.objects.create(user=user)
    authenticate(token.key)
    user.is_active = False
    user.save(update_fields=["is_active"])
    with pytest.raises(exceptions.AuthenticationFailed):
        authenticate(token.key)


def test_group_and_permission_changes_apply_to_the_next_request(make_user):
    user = make_user(roles.CUSTOMER_SERVICE)
    token = Token.objects.create(user=user)
    assert authenticate(token.key)[0].has_perm("orders.add_order")
    # a permission taken from the role
    group = Group.objects.get(name=roles.CUSTOMER_SERVICE)
    group.permissions.remove(Permission.objects.get(codename="add_order", content_type__app_label="orders"))
    assert not authenticate(token.key)[0].has_perm("orders.add_order")
    # a permission given to the user directly
    user.user_permissions.add(Permission.objects.get(codename="adjust_stock"))
    assert authenticate(token.key)[0].has_perm("catalog.adjust_stock")
    # the user moved out of every role
    user.groups.clear()
    assert not authenticate(token.key)[0].has_perm("orders.view_order")


def test_the_api_refuses_a_deleted_token_it_answered_before(make_user):
    user = make_user(roles.CUSTOMER_SERVICE)
    token = Token.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get("/api/v1/orders/").status_code == 200
    Token.objects.filter(pk=token.pk).delete()  # a queryset delete sends post_delete per row too
    assert client.get("/api/v1/orders/").status_code == 401


@override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                       "LOCATION": "redis://127.0.0.1:1/0"}})
def test_an_unreachable_cache_falls_back_to_the_database(make_user, django_assert_max_num_queries):
    # given a cache server that refuses connections
    user = make_user(roles.CUSTOMER_SERVICE)
    token = Token.objects.create(user=user)
    # then authentication still works, from the database, every time
    for _ in range(2):
        with django_assert_max_num_queries(2):  # the token with its user, the permissions
            found, _auth = authenticate(token.key)
            assert found.pk == user.pk and found.has_perm("orders.add_order")


def test_a_change_made_by_another_process_is_seen_within_the_local_second(make_user, monkeypatch):
    # given a token this process has just authenticated
    from core import authentication

    user = make_user(roles.CUSTOMER_SERVICE)
    key = Token.objects.create(user=user).key
    authenticate(key)
    # when another process deletes it (no signal here: its row goes and the shared version moves)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM authtoken_token WHERE key = %s", [key])
    cache.incr(authentication.VERSION_KEY)
    # then this process may answer from its copy for at most LOCAL_TTL, and refuses after
    assert authenticate(key)[0].pk == user.pk
    later = authentication.time.monotonic() + authentication.LOCAL_TTL + 0.01
    monkeypatch.setattr(authentication.time, "monotonic", lambda: later)
    with pytest.raises(exceptions.AuthenticationFailed):
        authenticate(key)


def test_an_evicted_version_never_revives_an_entry_made_before_a_change(make_user):
    from core import authentication

    user = make_user(roles.CUSTOMER_SERVICE)
    key = Token.objects.create(user=user).key
    authenticate(key)  # remembered under the current version
    Token.objects.filter(key=key).delete()  # moves the version on
    cache.delete(authentication.VERSION_KEY)  # then the cache loses the version key
    authentication._local.clear()
    with pytest.raises(exceptions.AuthenticationFailed):
        authenticate(key)
