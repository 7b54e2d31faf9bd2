"""The SOP handbook: versions, acknowledgements again after a revision, quizzes, onboarding, the seed."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from core import roles
from sop import selectors, services
from sop.handbook_id import STEPS, handbook_load
from sop.models import QuizQuestion, Stage, Step, Target

pytestmark = pytest.mark.django_db


@pytest.fixture
def handbook():
    handbook_load()
    return Step.objects.get(code="konfirmasi-pesanan")


def test_the_starting_sop_covers_every_stage_with_targets_linked_to_their_steps(handbook):
    assert {s.stage for s in Step.objects.all()} == set(Stage.values)
    assert Step.objects.count() == len(STEPS)
    assert all(step.current_version.number == 1 for step in Step.objects.select_related("current_version"))
    assert Target.objects.get(metric="order_confirm").step == handbook
    assert {q.stage for q in QuizQuestion.objects.all()} == set(Stage.values)
    # loading again adds nothing
    assert handbook_load() == (0, 0, 0)


def test_a_revision_keeps_the_old_text_and_asks_for_acknowledgement_again(handbook, make_user):
    cs = make_user(roles.CUSTOMER_SERVICE, username="cs-rina")
    owner = make_user(roles.OWNER, username="pemilik")
    services.acknowledge_current(user=cs)
    assert handbook not in selectors.pending_acknowledgements(user=cs)

    version = services.step_revise(step_id=handbook.pk, body="Konfirmasi dalam 30 menit kerja.\nCek alamat.",
                                   change_summary="Pembeli mengeluh lambat; target dipercepat.", actor=owner)

    handbook.refresh_from_db()
    assert version.number == 2 and handbook.current_version == version
    assert [v.number for v in selectors.versions_of(step=handbook)] == [2, 1]
    assert handbook in selectors.pending_acknowledgements(user=cs)
    assert services.acknowledge_current(user=cs, step_ids=[handbook.pk]) == 1
    assert handbook not in selectors.pending_acknowledgements(user=cs)


def test_a_revision_must_say_what_changed_and_change_something(handbook, owner):
    with pytest.raises(ValidationError) as no_reason:
        services.step_revise(step_id=handbook.pk, body="Teks baru", change_summary=" ", actor=owner)
    assert "change_summary" in no_reason.value.message_dict
    with pytest.raises(ValidationError) as same:
        services.step_revise(step_id=handbook.pk, body=handbook.current_version.body, change_summary="x",
                             actor=owner)
    assert "body" in same.value.message_dict


def test_steps_apply_to_their_roles_only(handbook, make_user):
    warehouse = make_user(roles.WAREHOUSE, username="gudang")
    codes = {s.code for s in selectors.steps_for_user(user=warehouse)}
    assert "ambil-kemas" in codes and "verifikasi-transfer" not in codes
    with pytest.raises(ValidationError):
        services.acknowledge_current(user=warehouse, step_ids=[Step.objects.get(code="verifikasi-transfer").pk])


def test_a_quiz_passes_at_80_percent_and_the_owner_sees_who_finished(handbook, make_user):
    cs = make_user(roles.CUSTOMER_SERVICE, username="cs-budi")
    questions = list(QuizQuestion.objects.filter(stage="sale"))
    wrong = services.quiz_submit(user=cs, stage="sale",
                                 answers={str(q.pk): (q.correct_index + 1) % len(q.choices) for q in questions})
    assert not wrong.passed and wrong.correct == 0
    right = services.quiz_submit(user=cs, stage="sale", answers={str(q.pk): q.correct_index for q in questions})
    assert right.passed and right.correct == right.total == len(questions)

    row = next(r for r in selectors.onboarding_overview() if r["user"] == cs)
    assert {q["stage"]: q["passed"] for q in row["quizzes"]}["sale"] is True
    assert row["finished"] is False  # handbook not acknowledged, other stages' quizzes not passed
    with pytest.raises(ValidationError):
        services.quiz_submit(user=cs, stage="sale", answers={})


def test_staff_acknowledge_in_the_page_and_a_revision_shows_again(handbook, client, make_user, owner):
    cs = make_user(roles.CUSTOMER_SERVICE, username="cs-ani")
    client.force_login(cs)
    page = client.get("/dashboard/sop/")
    assert page.status_code == 200 and b'data-pending="konfirmasi-pesanan"' in page.content
    assert client.post("/dashboard/sop/acknowledge/").status_code == 302
    assert b'data-pending="konfirmasi-pesanan"' not in client.get("/dashboard/sop/").content

    services.step_revise(step_id=handbook.pk, body="Baru", change_summary="Perubahan", actor=owner)
    assert b'data-pending="konfirmasi-pesanan"' in client.get("/dashboard/sop/").content
    assert client.get(f"/dashboard/sop/steps/{handbook.pk}/revise/").status_code == 403


def test_the_owner_revises_a_step_from_the_page_and_bad_input_gets_400(handbook, client, owner):
    client.force_login(owner)
    bad = client.post(f"/dashboard/sop/steps/{handbook.pk}/revise/", {"title": "x", "body": "", "change_summary": ""})
    assert bad.status_code == 400
    ok = client.post(f"/dashboard/sop/steps/{handbook.pk}/revise/",
                     {"title": handbook.title, "body": "Langkah baru", "change_summary": "Lebih jelas"})
    assert ok.status_code == 302
    handbook.refresh_from_db()
    assert handbook.current_version.number == 2


def test_sop_api_lists_steps_and_acknowledges(handbook, api_client):
    client = api_client(roles.WAREHOUSE)
    steps = client.get("/api/v1/sop/steps/").json()
    assert any(s["code"] == "ambil-kemas" and s["acknowledged"] is False for s in steps)
    answer = client.post("/api/v1/sop/acknowledgements/", {}, format="json").json()
    assert answer["pending"] == 0 and answer["acknowledged"] > 0
    assert client.post(f"/api/v1/sop/steps/{handbook.pk}/versions/", {"body": "x", "change_summary": "y"},
                       format="json").status_code == 403
    assert client.get("/api/v1/sop/compliance/").status_code == 403
    owner = api_client(roles.OWNER)
    created = owner.post(f"/api/v1/sop/steps/{handbook.pk}/versions/", {"body": "Baru", "change_summary": "y"},
                         format="json")
    assert created.status_code == 201 and created.json()["number"] == 2
    bad = owner.post("/api/v1/sop/acknowledgements/", {"steps": ["x"]}, format="json")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "validation_error"


@pytest.mark.parametrize("body, content_type, code", [
    ("--b\r\nNone--b--\r\n", "multipart/form-data; boundary=b", 415),  # a form cannot say "no steps"
    ("null", "application/json", 400),
])
def test_acknowledgements_refuse_a_body_that_is_not_a_json_object(handbook, api_client, body, content_type, code):
    client = api_client(roles.WAREHOUSE)
    answer = client.generic("POST", "/api/v1/sop/acknowledgements/", body, content_type=content_type)

    assert answer.status_code == code
    assert client.get("/api/v1/sop/steps/").json()[0]["acknowledged"] is False  # nothing acknowledged
