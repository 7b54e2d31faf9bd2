"""The dashboard order list: filters, search, pagination, work queues, permissions, query count."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from channels.models import Channel
from core import roles
from orders import services
from orders.models import Order, OrderStatus
from orders.services import CustomerInput
from tests.orders.ui_helpers import advance

URL = reverse("orders:list")


def numbers_in(response) -> list[str]:
    return [order.number for order in response.context["orders"]]


def test_list_shows_orders_with_channel_customer_items_and_total(staff_client, place_order):
    # given
    order = place_order(qty=2)

    # when
    response = staff_client(roles.CUSTOMER_SERVICE).get(URL)

    # then
    assert response.status_code == 200
    html = response.content.decode()
    assert order.number in html
    assert "Website" in html
    assert "Budi Santoso" in html
    assert f"2 × {order.lines.get().sku}" in html
    assert "Rp 100.000" in html


def test_list_requires_login(client, db):
    response = client.get(URL)

    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_list_is_forbidden_to_a_staff_member_without_the_view_permission(client, make_user):
    # given: a user with dashboard access but no orders permission
    from tests.factories import UserFactory

    user = UserFactory(role=None)
    from django.contrib.auth.models import Permission

    user.user_permissions.add(Permission.objects.get(codename="access_dashboard"))
    client.force_login(user)

    # when
    response = client.get(URL)

    # then
    assert response.status_code == 403


def test_list_filters_by_status(staff_client, place_order):
    # given
    waiting = place_order()
    paid = advance(place_order(), OrderStatus.PAID)

    # when
    response = staff_client().get(URL, {"status": "paid"})

    # then
    assert numbers_in(response) == [paid.number]
    assert waiting.number not in numbers_in(response)


def test_list_filters_by_channel_and_payment_method(staff_client, place_order, make_channel):
    # given
    wa = make_channel(Channel.Kind.WHATSAPP, "WA")
    on_wa = place_order(channel=wa, payment_method="cod")
    place_order(payment_method="cod")
    place_order(channel=wa)

    # when
    response = staff_client().get(URL, {"channel": wa.pk, "payment_method": "cod"})

    # then
    assert numbers_in(response) == [on_wa.number]


def test_list_filters_by_sku_customer_and_tag(staff_client, place_order, make_variant):
    # given
    special = make_variant("BATIK-XL", stock=5)
    with_sku = place_order(variant=special, qty=1)
    other_customer = place_order(customer=CustomerInput(name="Siti Rahma", phone="081398765432"))
    tagged = place_order(tags=["reseller"])
    client = staff_client()

    # then
    assert numbers_in(client.get(URL, {"sku": "batik-xl"})) == [with_sku.number]
    assert numbers_in(client.get(URL, {"customer": "Siti"})) == [other_customer.number]
    assert numbers_in(client.get(URL, {"customer": "0813-9876-5432"})) == [other_customer.number]
    assert numbers_in(client.get(URL, {"customer": f"#{other_customer.customer_id}"})) == [other_customer.number]
    assert numbers_in(client.get(URL, {"tag": "Reseller"})) == [tagged.number]


def test_list_searches_number_and_phone_text(staff_client, place_order):
    # given
    first = place_order(customer=CustomerInput(name="Agus Wibowo", phone="085711112222"))
    place_order()
    client = staff_client()

    # then
    assert numbers_in(client.get(URL, {"q": first.number})) == [first.number]
    assert numbers_in(client.get(URL, {"q": "Agus"})) == [first.number]
    assert numbers_in(client.get(URL, {"q": "0857-1111-2222"})) == [first.number]


def test_list_filters_by_date_range(staff_client, place_order):
    # given: one order placed ten days ago
    old = place_order()
    Order.objects.filter(pk=old.pk).update(placed_at=timezone.now() - timedelta(days=10))
    recent = place_order()
    today = timezone.localdate()

    # when
    response = staff_client().get(URL, {"date_from": (today - timedelta(days=2)).isoformat(), "date_to": today})

    # then
    assert numbers_in(response) == [recent.number]


def test_list_rejects_an_end_date_before_the_start_date_with_a_clear_message(staff_client, place_order):
    place_order()

    response = staff_client().get(URL, {"date_from": "2026-05-10", "date_to": "2026-05-01"})

    assert response.status_code == 200
    assert "Tanggal akhir sebelum tanggal awal." in response.content.decode()


def test_list_filters_oversold_orders(staff_client, place_order):
    # given
    flagged = place_order()
    Order.objects.filter(pk=flagged.pk).update(is_oversold=True)
    place_order()

    # then
    assert numbers_in(staff_client().get(URL, {"oversold": "1"})) == [flagged.number]


def test_list_shows_a_work_queue_from_the_home_page(staff_client, place_order):
    # given: a paid order waits for confirmation, an unpaid transfer does not
    paid = advance(place_order(), OrderStatus.PAID)
    cod = place_order(payment_method="cod")
    place_order()

    # when
    response = staff_client().get(URL, {"queue": "to_confirm"})

    # then
    assert sorted(numbers_in(response)) == sorted([paid.number, cod.number])
    assert "Pesanan baru untuk dikonfirmasi" in response.content.decode()


def test_list_paginates(staff_client, place_order, make_variant):
    # given
    variant = make_variant("PAGE-1", stock=100)
    for _ in range(30):
        place_order(variant=variant, qty=1)

    # when
    client = staff_client()
    first = client.get(URL, {"per_page": 25})
    second = client.get(URL, {"per_page": 25, "page": 2})

    # then
    assert len(numbers_in(first)) == 25
    assert len(numbers_in(second)) == 5
    assert not set(numbers_in(first)) & set(numbers_in(second))


def test_list_htmx_request_renders_only_the_table(staff_client, place_order):
    order = place_order()

    response = staff_client().get(URL, {"q": order.number}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="order-table")

    assert response.status_code == 200
    html = response.content.decode()
    assert order.number in html
    assert "<html" not in html


def test_list_runs_a_fixed_number_of_queries_whatever_the_page_size(
    staff_client, web_channel, make_variant, make_channel, django_assert_max_num_queries
):
    # given: 40 orders across two channels and many customers, each with two lines, tags and a note
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from orders.services import LineInput, order_create

    make_variant("Q-1", stock=500)
    make_variant("Q-2", stock=500)
    wa = make_channel(Channel.Kind.WHATSAPP, "WA")
    for i in range(40):
        order = order_create(
            channel_id=(wa if i % 2 else web_channel).pk,
            lines=[LineInput(sku="Q-1", quantity=1), LineInput(sku="Q-2", quantity=2)],
            customer=CustomerInput(name=f"Pembeli {i}", phone=f"0812700{i:05d}"),
            tags=["vip"],
        )
        services.order_add_note(order_id=order.pk, note="cek alamat")
    client = staff_client()
    client.get(URL)  # warm the session like a real visit

    # when: a page of 15 and a page of 40
    with CaptureQueriesContext(connection) as small:
        first = client.get(URL, {"per_page": 25, "page": 2})
    with django_assert_max_num_queries(12):
        response = client.get(URL, {"per_page": 50})

    # then
    assert len(numbers_in(first)) == 15
    assert len(numbers_in(response)) == 40
    with django_assert_max_num_queries(len(small.captured_queries)):  # 40 rows cost no more than 15
        client.get(URL, {"per_page": 50})


def test_the_orders_stage_links_the_pages_each_role_may_open(staff_client):
    # given / when
    cs = staff_client(roles.CUSTOMER_SERVICE).get(reverse("dashboard:stage", kwargs={"stage": "orders"}))
    links_cs = {link["url"] for link in cs.context["links"]}

    # then
    assert {reverse("orders:list"), reverse("orders:create")} <= links_cs  # picking is shipping's (pick waves)


def test_warehouse_does_not_see_the_manual_order_link(client, make_user):
    client.force_login(make_user(roles.WAREHOUSE))

    response = client.get(reverse("dashboard:stage", kwargs={"stage": "orders"}))

    urls = {link["url"] for link in response.context["links"]}
    assert reverse("orders:list") in urls
    assert reverse("orders:create") not in urls


def test_a_late_ship_by_deadline_is_flagged_in_the_list(staff_client, place_order):
    order = advance(place_order(), OrderStatus.PROCESSING)
    Order.objects.filter(pk=order.pk).update(ship_by=timezone.now() - timedelta(hours=2))

    html = staff_client().get(URL).content.decode()

    assert "bi-alarm" in html
    assert "text-danger fw-semibold" in html


def test_one_bad_filter_does_not_drop_the_others(staff_client, place_order):
    paid = advance(place_order(), OrderStatus.PAID)
    place_order()

    response = staff_client().get(URL, {"status": "paid", "date_from": "2026-05-10", "date_to": "2026-05-01"})

    assert numbers_in(response) == [paid.number]
    assert "date_to" in response.context["form"].errors


def test_status_tabs_count_orders_under_the_other_filters(staff_client, place_order, make_channel):
    # given
    wa = make_channel(Channel.Kind.WHATSAPP, "WA")
    advance(place_order(channel=wa), OrderStatus.PAID)
    place_order(channel=wa)
    place_order(channel=wa)
    place_order()  # another channel

    # when
    response = staff_client().get(URL, {"channel": wa.pk, "status": "paid"})

    # then
    tabs = {tab["value"]: tab for tab in response.context["status_tabs"]}
    assert tabs[""]["count"] == 3
    assert tabs["paid"]["count"] == 1 and tabs["paid"]["active"]
    assert tabs["awaiting_payment"]["count"] == 2
    assert f"channel={wa.pk}" in tabs["awaiting_payment"]["query"]
    assert "status=awaiting_payment" in tabs["awaiting_payment"]["query"]
