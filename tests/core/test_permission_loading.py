"""core.permissions.load_permissions: one statement, the same permissions ModelBackend finds."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import roles
from core.permissions import is_staff_member, load_permissions

pytestmark = pytest.mark.django_db


def fresh(user):
    return get_user_model().objects.get(pk=user.pk)


def test_one_statement_loads_the_same_permissions_the_model_backend_reads(make_user):
    # given a customer-service user who also holds one permission of their own
    user = make_user(roles.CUSTOMER_SERVICE)
    user.user_permissions.add(Permission.objects.get(codename="adjust_stock"))
    backend = ModelBackend()
    expected_own = backend.get_user_permissions(fresh(user))
    expected_group = backend.get_group_permissions(fresh(user))
    # when the permissions are loaded on a fresh user object
    loaded = fresh(user)
    with CaptureQueriesContext(connection) as ctx:
        load_permissions(loaded)
    # then one statement filled ModelBackend's caches with the same sets, and checks are free
    assert len(ctx.captured_queries) == 1
    assert loaded._user_perm_cache == expected_own == {"catalog.adjust_stock"}
    assert loaded._group_perm_cache == expected_group
    assert loaded._perm_cache == expected_own | expected_group
    with CaptureQueriesContext(connection) as ctx:
        assert loaded.has_perm("catalog.adjust_stock")
        assert loaded.has_perms(sorted(expected_group))
        assert not loaded.has_perm("payments.manage_payments") or "payments.manage_payments" in expected_group
    assert len(ctx.captured_queries) == 0


def test_a_staff_check_costs_one_statement_and_an_inactive_user_none(make_user):
    user = fresh(make_user(roles.WAREHOUSE))
    with CaptureQueriesContext(connection) as ctx:
        assert is_staff_member(user)
        assert is_staff_member(user)
    assert len(ctx.captured_queries) == 1
    inactive = fresh(make_user(roles.WAREHOUSE, is_active=False))
    with CaptureQueriesContext(connection) as ctx:
        assert not is_staff_member(inactive)
    assert len(ctx.captured_queries) == 0


def test_a_user_without_a_role_is_not_staff(make_user):
    assert not is_staff_member(fresh(make_user(None)))
