"""Staff log-in, log-out, password change and the brute-force lock."""

import pytest

from core import roles


@pytest.fixture
def warehouse_user(make_user):
    return make_user(roles.WAREHOUSE, username="gudang")


@pytest.mark.django_db
def test_staff_logs_in_and_lands_on_the_dashboard(client, warehouse_user):
    response = client.post("/accounts/login/", {"username": "gudang", "password": "pw-for-tests-123"},
                           REMOTE_ADDR="10.0.0.5")

    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"
    assert client.get("/dashboard/").status_code == 200


@pytest.mark.django_db
def test_login_locks_after_five_failures_even_with_the_right_password(client, warehouse_user):
    for _ in range(5):
        response = client.post("/accounts/login/", {"username": "gudang", "password": "wrong"},
                               REMOTE_ADDR="10.0.0.6")
    assert response.status_code in (200, 429)

    response = client.post("/accounts/login/", {"username": "gudang", "password": "pw-for-tests-123"},
                           REMOTE_ADDR="10.0.0.6")

    assert response.status_code == 429
    assert "Terlalu banyak percobaan" in response.content.decode()
    assert client.get("/dashboard/").status_code == 302  # still not logged in


@pytest.mark.django_db
def test_failures_below_the_limit_do_not_lock(client, warehouse_user):
    for _ in range(3):
        client.post("/accounts/login/", {"username": "gudang", "password": "wrong"}, REMOTE_ADDR="10.0.0.7")

    response = client.post("/accounts/login/", {"username": "gudang", "password": "pw-for-tests-123"},
                           REMOTE_ADDR="10.0.0.7")

    assert response.status_code == 302


@pytest.mark.django_db
def test_logout_needs_post_and_ends_the_session(client, warehouse_user):
    client.force_login(warehouse_user)

    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assert client.get("/dashboard/").status_code == 302


@pytest.mark.django_db
def test_password_change(client, warehouse_user):
    client.force_login(warehouse_user)

    response = client.post("/accounts/password/", {
        "old_password": "pw-for-tests-123", "new_password1": "Gudang-baru-2026!", "new_password2": "Gudang-baru-2026!",
    })

    assert response.status_code == 302
    warehouse_user.refresh_from_db()
    assert warehouse_user.check_password("Gudang-baru-2026!")
