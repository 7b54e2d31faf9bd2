"""The notification log, retry from the dashboard, and the template editor with its live preview."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from core import roles
from core.navigation import queues_for
from notifications.models import ErrorKind, Notification, NotificationTemplate
from tests.notifications.factories import OrderFactory

pytestmark = pytest.mark.django_db


def failed(order=None, **fields) -> Notification:
    return Notification.objects.create(
        order=order or OrderFactory(), event=fields.pop("event", "order_confirmation"),
        channel=fields.pop("channel", "email"), recipient="budi@example.id", subject="Halo",
        body="Pesanan Anda sudah kami terima.", status=fields.pop("status", Notification.Status.FAILED),
        error="SMTP 554: rejected", error_kind=ErrorKind.PERMANENT, attempts=1, **fields,
    )


@pytest.mark.parametrize(("role", "status"), [
    (roles.OWNER, 200), (roles.ADMIN, 200), (roles.CUSTOMER_SERVICE, 200), (roles.WAREHOUSE, 403),
    (roles.FINANCE, 403),
])
def test_the_notification_log_is_for_owner_admin_and_customer_service(staff_client, role, status):
    response = staff_client(role).get(reverse("notifications:list"))

    assert response.status_code == status


def test_the_log_needs_a_login(client):
    response = client.get(reverse("notifications:list"))

    assert response.status_code == 302
    assert "/accounts/" in response["Location"] or "login" in response["Location"]


def test_the_log_lists_notifications_with_a_fixed_number_of_queries(staff_client, django_assert_max_num_queries):
    client = staff_client(roles.CUSTOMER_SERVICE)
    for _ in range(3):
        failed()
    client.get(reverse("notifications:list"))  # warm the session and permission caches
    for _ in range(30):
        failed(status=Notification.Status.SENT)

    with django_assert_max_num_queries(8):
        response = client.get(reverse("notifications:list"))

    assert response.status_code == 200
    assert len(response.context["notifications"]) == 33


def test_the_log_filters_by_status_channel_and_event(staff_client):
    client = staff_client(roles.CUSTOMER_SERVICE)
    wanted = failed(channel="whatsapp", event="order_shipped")
    failed(channel="email", event="order_shipped")
    failed(channel="whatsapp", event="order_paid")
    failed(channel="whatsapp", event="order_shipped", status=Notification.Status.SENT)

    response = client.get(reverse("notifications:list"),
                          {"status": "failed", "channel": "whatsapp", "event": "order_shipped"})

    assert [n.pk for n in response.context["notifications"]] == [wanted.pk]


def test_the_log_finds_an_order_by_number(staff_client):
    client = staff_client(roles.CUSTOMER_SERVICE)
    order = OrderFactory(number="WEB-2611-77777")
    wanted = failed(order=order)
    failed()

    response = client.get(reverse("notifications:list"), {"q": "WEB-2611-77777"})

    assert [n.pk for n in response.context["notifications"]] == [wanted.pk]


def test_the_detail_page_shows_the_message_and_the_error(staff_client):
    notification = failed()

    response = staff_client(roles.CUSTOMER_SERVICE).get(reverse("notifications:detail", args=[notification.pk]))

    assert response.status_code == 200
    assert "Pesanan Anda sudah kami terima." in response.content.decode()
    assert "SMTP 554: rejected" in response.content.decode()


def test_customer_service_can_retry_a_failed_notification(staff_client, django_capture_on_commit_callbacks):
    client = staff_client(roles.CUSTOMER_SERVICE)
    notification = failed()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("notifications:retry", args=[notification.pk]),
                               {"next": "/dashboard/notifications/?status=failed"})

    assert response.status_code == 302
    assert response["Location"] == "/dashboard/notifications/?status=failed"
    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT
    assert notification.retried_by == client.user
    assert len(mail.outbox) == 1


def test_retry_ignores_an_offsite_next_url(staff_client, django_capture_on_commit_callbacks):
    notification = failed()

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client(roles.ADMIN).post(reverse("notifications:retry", args=[notification.pk]),
                                                  {"next": "https://evil.example/"})

    assert response["Location"] == reverse("notifications:list")


def test_retrying_a_sent_notification_says_why_not(staff_client):
    notification = failed(status=Notification.Status.SENT)

    response = staff_client(roles.ADMIN).post(reverse("notifications:retry", args=[notification.pk]), follow=True)

    assert "Only a failed notification can be retried" in response.content.decode()
    assert mail.outbox == []


def test_a_role_without_the_retry_permission_cannot_retry(staff_client):
    notification = failed()

    response = staff_client(roles.WAREHOUSE).post(reverse("notifications:retry", args=[notification.pk]))

    assert response.status_code == 403
    notification.refresh_from_db()
    assert notification.status == Notification.Status.FAILED


def test_retry_only_accepts_post(staff_client):
    notification = failed()

    response = staff_client(roles.ADMIN).get(reverse("notifications:retry", args=[notification.pk]))

    assert response.status_code == 405


def test_failed_notifications_are_a_work_queue_on_the_orders_stage(make_user):
    failed()
    failed()
    failed(status=Notification.Status.SENT)

    queues = {q["key"]: q for q in queues_for(make_user(roles.CUSTOMER_SERVICE), "orders")}

    assert queues["notifications.failed"]["count"] == 2
    assert queues["notifications.failed"]["danger"] is True
    assert queues["notifications.failed"]["url"] == "/dashboard/notifications/?status=failed"
    assert "notifications.failed" not in {q["key"] for q in queues_for(make_user(roles.WAREHOUSE))}


@pytest.mark.parametrize(("role", "status"), [
    (roles.OWNER, 200), (roles.ADMIN, 200), (roles.CUSTOMER_SERVICE, 403), (roles.WAREHOUSE, 403),
])
def test_templates_are_for_owner_and_admin(staff_client, role, status):
    response = staff_client(role).get(reverse("notifications:templates"))

    assert response.status_code == status


def template(event="order_confirmation", channel="email", language="id") -> NotificationTemplate:
    return NotificationTemplate.objects.get(event=event, channel=channel, language=language)


def test_the_template_edit_page_shows_a_preview_with_a_sample_order(staff_client):
    response = staff_client(roles.ADMIN).get(reverse("notifications:template-edit", args=[template().pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Pesanan WEB-2611-0042 sudah kami terima" in page
    assert "Rp 1.268.000" in page


def test_the_preview_uses_the_latest_order_when_there_is_one(staff_client):
    order = OrderFactory(number="WEB-2611-12345")

    response = staff_client(roles.ADMIN).post(
        reverse("notifications:template-preview", args=[template().pk]),
        {"subject": "Pesanan {{ order_number }}", "body": "Total {{ order_total }} untuk {{ customer_name }}"},
    )

    page = response.content.decode()
    assert "Pesanan WEB-2611-12345" in page
    assert f"Total Rp 1.268.000 untuk {order.customer.name}" in page


def test_the_preview_explains_a_bad_template(staff_client):
    response = staff_client(roles.ADMIN).post(
        reverse("notifications:template-preview", args=[template().pk]),
        {"subject": "ok", "body": "Halo {% if customer_name %}tanpa penutup"},
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "alert-danger" in page
    assert "endif" in page


def test_an_admin_saves_a_template(staff_client):
    client = staff_client(roles.ADMIN)
    target = template(channel="whatsapp")

    response = client.post(reverse("notifications:template-edit", args=[target.pk]), {
        "body": "Halo {{ customer_name }}, pesanan {{ order_number }} diterima. {{ tracking_link }}",
        "is_active": "on",
    })

    assert response.status_code == 302
    target.refresh_from_db()
    assert target.body.startswith("Halo {{ customer_name }}")
    assert target.subject == ""
    assert target.updated_by == client.user


def test_a_template_with_a_syntax_error_is_not_saved(staff_client):
    target = template()
    before = target.body

    response = staff_client(roles.ADMIN).post(reverse("notifications:template-edit", args=[target.pk]), {
        "subject": "Pesanan {{ order_number }}", "body": "Halo {% for x in %}{% endfor %}", "is_active": "on",
    })

    assert response.status_code == 400
    assert "Template ini mengandung kesalahan" in response.content.decode()
    target.refresh_from_db()
    assert target.body == before


def test_a_template_using_a_forbidden_tag_is_not_saved(staff_client):
    target = template()

    response = staff_client(roles.ADMIN).post(reverse("notifications:template-edit", args=[target.pk]), {
        "subject": "{% debug %}", "body": "Halo", "is_active": "on",
    })

    assert response.status_code == 400
    assert "debug" in response.content.decode()
    assert "debug" not in template().subject


def test_customer_service_cannot_change_a_template(staff_client):
    target = template()

    response = staff_client(roles.CUSTOMER_SERVICE).post(
        reverse("notifications:template-edit", args=[target.pk]), {"subject": "x", "body": "x", "is_active": "on"}
    )

    assert response.status_code == 403
    assert template().body != "x"


def test_the_navigation_links_to_both_pages_for_an_admin(staff_client):
    response = staff_client(roles.ADMIN).get(reverse("dashboard:stage", kwargs={"stage": "settings"}))

    assert reverse("notifications:templates") in response.content.decode()
    response = staff_client(roles.ADMIN).get(reverse("dashboard:stage", kwargs={"stage": "orders"}))
    assert reverse("notifications:list") in response.content.decode()


def test_the_log_speaks_bahasa_indonesia_by_default(staff_client):
    failed()

    page = staff_client(roles.CUSTOMER_SERVICE).get(reverse("notifications:list")).content.decode()

    assert "Notifikasi pelanggan" in page
    assert "Konfirmasi pesanan" in page


def test_templates_are_listed_in_lifecycle_order(staff_client):
    response = staff_client(roles.ADMIN).get(reverse("notifications:templates"))

    listed = [(t.event, t.channel, t.language) for t in response.context["templates"]]
    assert listed[0] == ("order_confirmation", "email", "id")
    assert listed[1] == ("order_confirmation", "email", "en")
    assert listed[-1] == ("payment_reminder", "sms", "en")


def test_the_order_page_snippet_lists_the_orders_messages_for_allowed_roles(rf, make_user):
    from django.template import Context, Template

    order = OrderFactory()
    failed(order=order)
    snippet = Template("{% load notifications_tags %}{% order_notifications order %}")

    def render_for(role):
        request = rf.get("/dashboard/orders/1/")
        request.user = make_user(role)
        return snippet.render(Context({"order": order, "request": request}))

    page = render_for(roles.CUSTOMER_SERVICE)
    assert "SMTP 554: rejected" in page
    assert reverse("notifications:retry", args=[Notification.objects.get().pk]) in page
    assert render_for(roles.WAREHOUSE).strip() == ""


def test_an_unknown_filter_value_is_a_clear_400(staff_client):
    failed()

    response = staff_client(roles.CUSTOMER_SERVICE).get(reverse("notifications:list"), {"status": "lost"})

    assert response.status_code == 400
    assert "lost" in response.content.decode()
    assert list(response.context["notifications"]) == []
