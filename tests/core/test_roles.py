"""Every role reaches the pages it needs and nothing more."""

import pytest
from django.contrib.auth.models import Group

from core import roles

ALL = [roles.OWNER, roles.ADMIN, roles.CUSTOMER_SERVICE, roles.WAREHOUSE, roles.FINANCE]


@pytest.mark.django_db
def test_the_five_roles_exist_as_groups():
    assert set(Group.objects.values_list("name", flat=True)) >= set(ALL)


@pytest.mark.django_db
def test_owner_holds_every_permission_and_others_a_subset(make_user):
    owner = make_user(roles.OWNER)
    warehouse = make_user(roles.WAREHOUSE)

    assert owner.has_perm("core.retry_failed_work")
    assert owner.has_perm("auth.change_user")
    assert warehouse.has_perm("core.access_dashboard")
    assert not warehouse.has_perm("core.retry_failed_work")
    assert not warehouse.has_perm("auth.change_user")


@pytest.mark.django_db
@pytest.mark.parametrize("role", ALL)
def test_every_role_opens_the_dashboard_home(staff_client, role):
    response = staff_client(role).get("/dashboard/")

    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "allowed"), [
    (roles.OWNER, True), (roles.ADMIN, True), (roles.CUSTOMER_SERVICE, False),
    (roles.WAREHOUSE, False), (roles.FINANCE, False),
])
def test_only_owner_and_admin_see_failed_background_work(staff_client, role, allowed):
    response = staff_client(role).get("/dashboard/failed-work/")

    assert response.status_code == (200 if allowed else 403)


@pytest.mark.django_db
def test_an_account_without_a_role_is_refused_everywhere(make_user, client, api_client):
    client.force_login(make_user(role=None))

    assert client.get("/dashboard/").status_code == 403
    assert api_client(role=None).get("/api/v1/me/").status_code == 401


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/")
    assert response.status_code == 302
    response = client.get(response["Location"])
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_navigation_shows_only_links_the_role_may_open(staff_client):
    owner_page = staff_client(roles.OWNER).get("/dashboard/stage/settings/").content.decode()
    assert "/dashboard/failed-work/" in owner_page

    finance_page = staff_client(roles.FINANCE).get("/dashboard/stage/settings/").content.decode()
    assert "/dashboard/failed-work/" not in finance_page


@pytest.mark.django_db
def test_sidebar_opens_the_stage_of_the_current_page(staff_client):
    client = staff_client(roles.OWNER)

    on_failed_work = client.get("/dashboard/failed-work/").context["nav_stages"]
    on_home = client.get("/dashboard/").context["nav_stages"]

    assert [s["key"] for s in on_failed_work if s["active"]] == ["settings"]
    assert not any(s["active"] for s in on_home)


@pytest.mark.django_db
def test_role_grants_are_reapplied_when_the_table_changes(make_user, monkeypatch):
    monkeypatch.setitem(roles.ROLE_PERMISSIONS, roles.FINANCE, {"core.access_dashboard", "core.retry_failed_work"})
    roles.sync_role_permissions()

    assert make_user(roles.FINANCE).has_perm("core.retry_failed_work")
