"""core.permissions.load_permissions: one statement, the same permissions ModelBackend finds."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission

from core import roles
from core.permissions import is_staff_member, load_permissions

pytestmark = pytest.mark.django_db


def fresh(user):
    return get_user_model().objects.get(pk=user.pk)


def test_one_statement_loads_the_same_permissions_the_model_backend_reads(make_user, django_assert_max_num_queries):
    # given a customer-service user who also holds one permission of their own
    user = make_user(roles.CUSTOMER_SERVICE)
    user.user_permissions.add(Permission.objects.get(codename="adjust_stock"))
    backend = ModelBackend()
    expected_own = backend.get_user_permissions(fresh(user))
    expected_group = backend.get_group_permissions(fresh(user))
    # when the permissions are loaded on a fresh user object
    loaded = fresh(user)
    with django_assert_max_num_queries(1):
        load_permissions(loaded)
    # then one statement filled ModelBackend's caches with the same sets, and checks are free
    assert loaded._user_perm_cache == expected_own == {"catalog.adjust_stock"}
    assert loaded._group_perm_cache == expected_group
    assert loaded._perm_cache == expected_own | expected_group
    with django_assert_max_num_queries(0):
        assert loaded.has_perm("catalog.adjust_stock")
        assert loaded.has_perms(sorted(expected_group))
        assert not loaded.has_perm("payments.manage_payments") or "payments.manage_payments" in expected_group


def test_a_staff_check_costs_one_statement_and_an_inactive_user_none(make_user, django_assert_max_num_queries):
    user = fresh(make_user(roles.WAREHOUSE))
    with django_assert_max_num_queries(1):
        assert is_staff_member(user)
        assert is_staff_member(user)
    inactive = fresh(make_user(roles.WAREHOUSE, is_active=False))
    with django_assert_max_num_queries(0):
        assert not is_staff_member(inactive)


def test_a_user_without_a_role_is_not_staff(make_user):
    assert not is_staff_member(fresh(make_user(None)))
