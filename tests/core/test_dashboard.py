"""Dashboard shell: queues on the home page, stages, language switch, money formatting."""

import pytest

from core import roles
from core.models import InboundDelivery, TaskFailure
from core.money import format_idr, percent_of, round_idr


@pytest.mark.django_db
def test_home_lists_work_queues_with_counts(staff_client):
    TaskFailure.objects.create(task_name="orders.tasks.sync", exception="boom")
    InboundDelivery.objects.create(provider="shopee", body=b"{}", status=InboundDelivery.Status.FAILED)

    response = staff_client(roles.OWNER).get("/dashboard/")

    html = response.content.decode()
    assert 'data-queue="core.failed_tasks"' in html
    queues = {q["key"]: q["count"] for stage in response.context["stages"] for q in stage["queues"]}
    assert queues["core.failed_tasks"] == 1
    assert queues["core.failed_deliveries"] == 1


@pytest.mark.django_db
def test_dashboard_speaks_indonesian_by_default_and_english_on_request(staff_client):
    client = staff_client(roles.OWNER)

    assert "Pesanan" in client.get("/dashboard/").content.decode()

    client.post("/i18n/setlang/", {"language": "en", "next": "/dashboard/"})
    english = client.get("/dashboard/").content.decode()
    assert "Orders" in english and "Today's work" in english
    assert "Pesanan" not in english


@pytest.mark.django_db
@pytest.mark.parametrize("stage", ["catalog", "orders", "payments", "shipping", "aftersales", "reports", "settings"])
def test_every_sop_stage_has_a_page(staff_client, stage):
    assert staff_client(roles.OWNER).get(f"/dashboard/stage/{stage}/").status_code == 200


@pytest.mark.django_db
def test_unknown_stage_is_404(staff_client):
    assert staff_client(roles.OWNER).get("/dashboard/stage/nope/").status_code == 404


@pytest.mark.django_db
def test_static_assets_are_served_locally(staff_client):
    html = staff_client(roles.OWNER).get("/dashboard/").content.decode()

    assert "/static/vendor/bootstrap/bootstrap.min.css" in html
    assert "/static/vendor/htmx/htmx.min.js" in html
    assert "https://" not in html.split("<body")[0]


def test_rupiah_formatting():
    assert format_idr(1250000) == "Rp 1.250.000"
    assert format_idr(0) == "Rp 0"
    assert format_idr(-5000) == "-Rp 5.000"
    assert round_idr("1249.5") == 1250
    assert percent_of(125000, "8.5") == 10625


def test_rupiah_template_filter():
    from django.template import Context, Template

    rendered = Template("{% load oms %}{{ amount|rupiah }}").render(Context({"amount": 125345}))

    assert rendered == "Rp 125.345"
