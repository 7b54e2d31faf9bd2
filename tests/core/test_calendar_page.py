"""Settings page for working hours and closed days: who may use it, saving, and bad input."""

from __future__ import annotations

from datetime import date, time

import pytest
import time_machine

from core import roles
from core.deadlines import business_calendar
from core.models import CalendarClosure, WorkingHours

URL = "/dashboard/calendar/"


@pytest.fixture
def owner_client(staff_client):
    return staff_client(roles.OWNER)


@pytest.mark.django_db
@time_machine.travel("2026-11-23 10:00 +0700", tick=False)
def test_owner_sees_the_week_the_days_and_this_years_holidays(owner_client):
    CalendarClosure.objects.create(date=date(2026, 12, 31), kind="shop_closure", name="Stock opname akhir tahun")

    response = owner_client.get(URL)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Jam kerja dan hari libur" in html
    assert "08:00-12:00, 13:00-17:00" in html
    assert "Stock opname akhir tahun" in html
    assert 'data-holiday="2026-12-25"' in html and 'data-holiday="2026-12-24"' in html
    assert "data-hours-default" in html


@pytest.mark.django_db
@pytest.mark.parametrize("role", [roles.OWNER, roles.ADMIN])
def test_owner_and_admin_find_the_page_under_settings(staff_client, role):
    html = staff_client(role).get("/dashboard/stage/settings/").content.decode()

    assert URL in html


@pytest.mark.django_db
@pytest.mark.parametrize("role", [roles.WAREHOUSE, roles.CUSTOMER_SERVICE, roles.FINANCE])
def test_other_roles_are_refused(staff_client, role):
    client = staff_client(role)

    assert client.get(URL).status_code == 403
    assert client.post(f"{URL}hours/", {"weekday": "0", "intervals": "08:00-10:00"}).status_code == 403
    closure = {"date": "2026-12-01", "kind": "shop_closure", "name": "x"}
    assert client.post(f"{URL}closures/", closure).status_code == 403
    assert URL not in client.get("/dashboard/stage/settings/").content.decode()
    assert not WorkingHours.objects.exists() and not CalendarClosure.objects.exists()


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get(URL)

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_owner_saves_a_weekday_typed_the_indonesian_way(owner_client):
    response = owner_client.post(f"{URL}hours/", {"weekday": "4", "intervals": "08.00-11.30; 13.30 - 16.00"})

    assert response.status_code == 302
    assert list(WorkingHours.objects.filter(weekday=4).values_list("opens", "closes")) == [
        (time(8), time(11, 30)), (time(13, 30), time(16))]
    assert business_calendar().end_of_day(date(2026, 11, 27)).time() == time(16)
    assert "08:00-11:30, 13:30-16:00" in owner_client.get(URL).content.decode()


@pytest.mark.django_db
def test_owner_closes_saturdays_by_leaving_the_field_empty(owner_client):
    response = owner_client.post(f"{URL}hours/", {"weekday": "5", "intervals": ""})

    assert response.status_code == 302
    assert not business_calendar().is_working_day(date(2026, 11, 28))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"weekday": "0", "intervals": "8-12"}, "bukan interval"),
        ({"weekday": "0", "intervals": "12:00-08:00"}, "harus buka sebelum tutup"),
        ({"weekday": "0", "intervals": "08:00-12:00, 11:00-13:00"}, "harus buka sebelum tutup"),
        ({"weekday": "0", "intervals": "25:00-26:00"}, "bukan interval"),
        ({"weekday": "0", "intervals": "08:00-09:00, " * 60}, "200"),
        ({"weekday": "9", "intervals": "08:00-12:00"}, "pilihan yang valid"),
        ({"weekday": "x", "intervals": "08:00-12:00"}, "pilihan yang valid"),
        ({"intervals": "08:00-12:00"}, "harus diisi"),
    ],
)
def test_bad_working_hours_are_explained_not_saved(owner_client, data, message):
    response = owner_client.post(f"{URL}hours/", data)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not WorkingHours.objects.exists()


@pytest.mark.django_db
def test_closing_the_last_open_weekday_is_explained(owner_client):
    for weekday in range(6):
        owner_client.post(f"{URL}hours/", {"weekday": str(weekday), "intervals": "" if weekday else "08:00-12:00"})

    response = owner_client.post(f"{URL}hours/", {"weekday": "0", "intervals": ""})

    assert response.status_code == 400
    assert "Minimal satu hari" in response.content.decode()
    assert WorkingHours.objects.filter(weekday=0).exists()


@pytest.mark.django_db
def test_owner_adds_and_removes_a_closed_day(owner_client):
    response = owner_client.post(f"{URL}closures/", {
        "date": "2026-12-31", "kind": "shop_closure", "name": "Stock opname", "note": "Gudang tutup"})

    closure = CalendarClosure.objects.get()
    assert response.status_code == 302 and response["Location"].endswith("?year=2026")
    assert not business_calendar().is_working_day(date(2026, 12, 31))

    response = owner_client.post(f"{URL}closures/{closure.pk}/remove/")

    assert response.status_code == 302
    assert not CalendarClosure.objects.exists()
    assert business_calendar().is_working_day(date(2026, 12, 31))


@pytest.mark.django_db
def test_removing_a_day_that_is_gone_is_not_an_error(owner_client):
    response = owner_client.post(f"{URL}closures/999999/remove/", follow=True)

    assert response.status_code == 200
    assert "sudah dihapus" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"date": "2026-02-30", "kind": "shop_closure", "name": "x"}, "tanggal"),
        ({"date": "31/12/2026x", "kind": "shop_closure", "name": "x"}, "tanggal"),
        ({"date": "1850-01-01", "kind": "shop_closure", "name": "x"}, "2000"),
        ({"date": "2026-12-01", "kind": "holiday", "name": "x"}, "pilihan yang valid"),
        ({"date": "2026-12-01", "kind": "shop_closure", "name": ""}, "harus diisi"),
        ({"date": "2026-12-01", "kind": "shop_closure", "name": "x" * 200}, "120"),
    ],
)
def test_bad_days_are_explained_not_saved(owner_client, data, message):
    response = owner_client.post(f"{URL}closures/", data)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not CalendarClosure.objects.exists()


@pytest.mark.django_db
def test_a_duplicate_or_contradicting_day_is_explained(owner_client):
    owner_client.post(f"{URL}closures/", {"date": "2026-12-01", "kind": "shop_closure", "name": "Renovasi"})

    duplicate = owner_client.post(f"{URL}closures/", {"date": "2026-12-01", "kind": "shop_closure", "name": "Lagi"})
    contradiction = owner_client.post(f"{URL}closures/", {"date": "2026-12-01", "kind": "working_override",
                                                          "name": "Lembur"})

    assert duplicate.status_code == 400 and "sudah punya" in duplicate.content.decode()
    assert contradiction.status_code == 400 and "sebaliknya" in contradiction.content.decode()
    assert CalendarClosure.objects.count() == 1


@pytest.mark.django_db
def test_another_year_can_be_shown_and_a_bad_year_is_refused(owner_client):
    CalendarClosure.objects.create(date=date(2027, 3, 12), kind="cuti_bersama", name="Cuti Bersama Idul Fitri")

    other = owner_client.get(URL, {"year": "2027"})
    bad = owner_client.get(URL, {"year": "abc"})
    far = owner_client.get(URL, {"year": "99999999999999999999"})

    assert other.status_code == 200 and "Cuti Bersama Idul Fitri" in other.content.decode()
    assert 'data-holiday="2027-12-25"' in other.content.decode()
    assert bad.status_code == 400 and far.status_code == 400


@pytest.mark.django_db
def test_the_page_speaks_english_on_request(owner_client):
    owner_client.post("/i18n/setlang/", {"language": "en", "next": URL})

    html = owner_client.get(URL).content.decode()

    assert "Working hours and holidays" in html and "Christmas Day" in html


@pytest.mark.django_db
def test_the_page_has_no_inline_script_or_style(owner_client):
    html = owner_client.get(URL).content.decode()
    body = html.split("<main", 1)[-1]

    assert "<script>" not in body and " style=" not in body and " onclick=" not in body
