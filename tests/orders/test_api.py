"""The orders REST API: list/detail/create with Idempotency-Key, actions, customers, errors."""

from __future__ import annotations

import threading

import pytest
from django.db import close_old_connections, connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from catalog.models import StockMovement
from core import roles
from orders.models import IdempotencyKey, Order, OrderStatus
from orders.services import order_mark_paid

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

URL = "/api/v1/orders/"


def _body(sku="KAOS-L", qty=2, **overrides):
    body = {
        "channel": "WEB",
        "customer": {"name": "Budi Santoso", "phone": "0812-3456-7890", "email": "budi@example.id"},
        "shipping": {"name": "Budi", "phone": "081234567890", "address": "Jl. Mawar 1", "city": "Jakarta",
                     "postal_code": "12345"},
        "lines": [{"sku": sku, "quantity": qty}],
        "shipping_amount": 15000,
        "payment_method": "bank_transfer",
    }
    body.update(overrides)
    return body


@pytest.fixture
def kaos(make_variant, web_channel):
    return make_variant("KAOS-L", price=85_000, stock=10)


@pytest.fixture
def token_client(make_user):
    """A web-store client authenticated with a real token of a Customer Service account."""
    user = make_user(roles.CUSTOMER_SERVICE, username="webstore")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def test_web_store_creates_an_order_with_a_token(token_client, kaos, stock_of):
    response = token_client.post(URL, _body(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["status"] == "awaiting_payment" and data["source"] == "api"
    assert data["total_amount"] == 2 * 85_000 + 15_000
    assert data["lines"][0]["sku"] == "KAOS-L" and data["lines"][0]["stock_reserved"] is True
    assert data["events"][0]["kind"] == "created" and data["events"][0]["actor"] == "webstore"
    assert data["customer"]["phone"] == "+6281234567890"
    assert stock_of(kaos) == (10, 2)


def test_the_created_answer_is_the_order_as_stored(token_client, kaos):
    # given a web-store order (the answer is built from the objects written, without a read-back)
    created = token_client.post(URL, _body(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert created.status_code == 201, created.json()

    # when the same order is read back, and replayed with its key
    stored = token_client.get(f"{URL}{created.json()['id']}/")
    replayed = token_client.post(URL, _body(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    # then all three answers are identical
    assert created.json() == stored.json() == replayed.json()


def test_creating_an_order_uses_a_bounded_number_of_queries(token_client, kaos, django_assert_max_num_queries):
    # the first request of a token reads it and its permissions, and the channel (then cached)
    first = token_client.post(URL, _body(), format="json", HTTP_IDEMPOTENCY_KEY="k-0")
    assert first.status_code == 201, first.json()
    # then, for a new customer: BEGIN, idempotency key (+ order id), variants with prices and
    # listing flags, customer, order, stock row locks, reservation with its ledger rows, lines,
    # event, kode unik lock, payment, payment event with journal entry, notification trigger
    # (savepoint, insert, release), COMMIT (was 57 before the performance passes, 21 before this one)
    with django_assert_max_num_queries(16):
        response = token_client.post(URL, _body(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert response.status_code == 201, response.json()


def test_same_idempotency_key_and_body_returns_the_same_order(token_client, kaos):
    first = token_client.post(URL, _body(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = token_client.post(URL, _body(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again["Idempotent-Replayed"] == "true"
    assert first.json()["id"] == again.json()["id"]
    assert Order.objects.count() == 1
    assert StockMovement.objects.filter(kind="reserve").count() == 1


def test_same_idempotency_key_with_another_body_is_409(token_client, kaos):
    token_client.post(URL, _body(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    response = token_client.post(URL, _body(qty=3), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert Order.objects.count() == 1


def test_a_failed_create_does_not_burn_the_idempotency_key(token_client, kaos):
    short = token_client.post(URL, _body(qty=11), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert short.status_code == 409 and short.json()["error"]["code"] == "out_of_stock"
    assert token_client.post(URL, _body(qty=11), format="json", HTTP_IDEMPOTENCY_KEY="k-1").status_code == 409
    assert Order.objects.count() == 0


def test_a_reused_external_id_is_409_and_leaves_no_key_order_or_reservation(token_client, kaos, stock_of):
    # given an order with the web store's own id EXT-1
    first = token_client.post(URL, _body(qty=1, external_id="EXT-1"), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201

    # when another request (another key) reuses EXT-1
    again = token_client.post(URL, _body(qty=1, external_id="EXT-1"), format="json", HTTP_IDEMPOTENCY_KEY="k-2")

    # then it is refused with the field, and nothing of it stays: not its key, order or stock
    assert again.status_code == 409
    assert again.json()["error"]["detail"] == {"field": "external_id"}
    assert Order.objects.count() == 1
    assert stock_of(kaos) == (10, 1)
    assert not IdempotencyKey.objects.filter(key="k-2").exists()
    retried = token_client.post(URL, _body(qty=1, external_id="EXT-2"), format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    assert retried.status_code == 201


def test_keys_are_per_account(token_client, api_client, kaos):
    token_client.post(URL, _body(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    other = api_client(roles.CUSTOMER_SERVICE).post(URL, _body(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert other.status_code == 201
    assert Order.objects.count() == 2


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"lines": []}, "lines"),
        ({"lines": [{"sku": "KAOS-L", "quantity": 0}]}, "lines"),
        ({"lines": [{"quantity": 1}]}, "lines"),
        ({"channel": "NOPE"}, "channel"),
        ({"payment_method": "gold"}, "payment_method"),
        ({"customer": {"name": "X"}}, "customer"),
        ({"shipping_amount": -1}, "shipping_amount"),
    ],
)
def test_bad_input_is_400_with_the_field(token_client, kaos, change, field):
    response = token_client.post(URL, _body(**change), format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error" and field in error["fields"]
    assert Order.objects.count() == 0


def test_unknown_sku_and_bad_phone_are_400_with_the_field(token_client, kaos):
    unknown = token_client.post(URL, _body(sku="NOPE"), format="json")
    assert unknown.status_code == 400 and "lines" in unknown.json()["error"]["fields"]
    bad_phone = token_client.post(URL, _body(customer={"name": "X", "phone": "12345"}), format="json")
    assert bad_phone.status_code == 400 and "phone" in bad_phone.json()["error"]["fields"]


def test_create_needs_the_add_permission(api_client, kaos):
    assert api_client(roles.WAREHOUSE).post(URL, _body(), format="json").status_code == 403
    assert api_client(None).post(URL, _body(), format="json").status_code in (401, 403)


def test_list_filters_by_channel_status_number_and_external_id(api_client, place_order, make_channel):
    first = place_order(external_id="EXT-1")
    second = place_order(external_id="EXT-2")
    order_mark_paid(order_id=second.id)
    client = api_client(roles.WAREHOUSE)
    ids = lambda query: [o["id"] for o in client.get(URL + query).json()["results"]]  # noqa: E731
    assert ids("") == [second.id, first.id]
    assert ids("?status=paid") == [second.id]
    assert ids("?status=paid,awaiting_payment") == [second.id, first.id]
    assert ids(f"?number={first.number.lower()}") == [first.id]
    assert ids("?external_id=EXT-1") == [first.id]
    assert ids("?channel=web") == [second.id, first.id]
    make_channel("shopee", "SHP")
    assert ids("?channel=SHP") == []


def test_list_rejects_bad_filters_with_the_field(api_client):
    client = api_client()
    bad_status = client.get(URL + "?status=lost")
    assert bad_status.status_code == 400 and "status" in bad_status.json()["error"]["fields"]
    bad_channel = client.get(URL + "?channel=NOPE")
    assert bad_channel.status_code == 400 and "channel" in bad_channel.json()["error"]["fields"]


def test_list_uses_a_fixed_number_of_queries(api_client, place_order, django_assert_max_num_queries):
    client = api_client()
    place_order()
    client.get(URL)  # warm the permission cache paths
    with django_assert_max_num_queries(8) as few:
        client.get(URL)
    for _ in range(15):
        place_order(qty=1)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(URL + "?page_size=50")
    assert response.json()["count"] == 16


def test_detail_has_lines_and_events_in_fixed_queries(api_client, place_order, django_assert_max_num_queries):
    order = place_order()
    order_mark_paid(order_id=order.id)
    client = api_client()
    with django_assert_max_num_queries(8):
        data = client.get(f"{URL}{order.id}/").json()
    assert [e["to_status"] for e in data["events"]] == ["awaiting_payment", "paid"]
    assert len(data["lines"]) == 1
    assert client.get(f"{URL}999999/").status_code == 404


def test_actions_confirm_pack_ship_and_409_on_a_disallowed_step(api_client, place_order, stock_of):
    order = place_order(payment_method="cod")
    variant = order.lines.get().variant
    client = api_client(roles.WAREHOUSE)
    not_yet = client.post(f"{URL}{order.id}/mark-packed/", {}, format="json")
    assert not_yet.status_code == 409 and not_yet.json()["error"]["code"] == "invalid_transition"
    assert client.post(f"{URL}{order.id}/confirm/", {}, format="json").json()["status"] == "processing"
    assert client.post(f"{URL}{order.id}/mark-packed/", {"note": "box 3"}, format="json").json()["status"] == "packed"
    shipped = client.post(f"{URL}{order.id}/mark-shipped/", {"courier": "JNE", "tracking_number": "JNE1"},
                          format="json").json()
    assert shipped["status"] == "shipped" and shipped["tracking_number"] == "JNE1"
    assert stock_of(variant) == (8, 0)


def test_cancel_needs_a_reason_and_the_cancel_permission(api_client, place_order, stock_of):
    order = place_order()
    variant = order.lines.get().variant
    assert api_client(roles.WAREHOUSE).post(f"{URL}{order.id}/cancel/", {"reason": "x"}).status_code == 403
    client = api_client(roles.CUSTOMER_SERVICE)
    missing = client.post(f"{URL}{order.id}/cancel/", {}, format="json")
    assert missing.status_code == 400 and "reason" in missing.json()["error"]["fields"]
    done = client.post(f"{URL}{order.id}/cancel/", {"reason": "Pembeli batal"}, format="json")
    assert done.status_code == 200 and done.json()["status"] == OrderStatus.CANCELLED
    assert stock_of(variant) == (10, 0)
    assert client.post(f"{URL}{order.id}/cancel/", {"reason": "again"}, format="json").status_code == 200


def test_customers_can_be_searched_by_phone_in_any_format(api_client, place_order):
    place_order()
    client = api_client(roles.FINANCE)
    data = client.get("/api/v1/customers/?search=+62 812-3456-7890").json()
    assert [c["name"] for c in data["results"]] == ["Budi Santoso"]
    assert data["results"][0]["order_count"] == 1
    assert client.get("/api/v1/customers/?search=nobody").json()["count"] == 0


def test_openapi_schema_documents_the_orders_api(api_client):
    schema = api_client().get("/api/schema/?format=json").json()
    assert "/api/v1/orders/{id}/mark-packed/" in schema["paths"]
    create = schema["paths"]["/api/v1/orders/"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in create["parameters"])
    assert {"201", "200", "400", "409"} <= set(create["responses"])


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_the_same_key_make_one_order(token_client, kaos, stock_of):
    barrier = threading.Barrier(5)
    results = []
    credentials = token_client._credentials

    def post():
        client = APIClient()
        client.credentials(**credentials)
        try:
            barrier.wait()
            response = client.post(URL, _body(), format="json", HTTP_IDEMPOTENCY_KEY="same-key")
            results.append((response.status_code, response.json().get("id")))
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    statuses = sorted(code for code, _id in results)
    assert statuses == [200, 200, 200, 200, 201], results
    assert len({order_id for _code, order_id in results}) == 1
    assert Order.objects.count() == 1
    assert stock_of(kaos) == (10, 2)


def test_old_idempotency_keys_are_purged(token_client, kaos):
    from datetime import timedelta

    from django.utils import timezone

    from orders.models import IdempotencyKey
    from orders.tasks import idempotency_keys_purge

    token_client.post(URL, _body(), format="json", HTTP_IDEMPOTENCY_KEY="old")
    token_client.post(URL, _body(qty=1), format="json", HTTP_IDEMPOTENCY_KEY="new")
    IdempotencyKey.objects.filter(key="old").update(created_at=timezone.now() - timedelta(days=8))
    assert idempotency_keys_purge.delay().get() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]
    assert Order.objects.count() == 2


def test_customer_list_uses_a_fixed_number_of_queries(api_client, place_order, django_assert_max_num_queries):
    from orders.services import CustomerInput

    client = api_client()
    place_order()
    client.get("/api/v1/customers/")
    with django_assert_max_num_queries(6) as few:
        client.get("/api/v1/customers/")
    for n in range(10):
        place_order(customer=CustomerInput(name=f"Pembeli {n}", phone=f"0813{n:08d}"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/api/v1/customers/").json()["count"] == 11


def test_orders_api_needs_a_staff_role(api_client, make_user):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(make_user(None))
    assert client.get(URL).status_code == 403
    assert client.get("/api/v1/customers/").status_code == 403
    assert APIClient().get(URL).status_code in (401, 403)


def test_amounts_sent_as_indonesian_text_are_read_as_whole_rupiah_never_a_thousand_times_less(token_client, kaos):
    # given: a web store that sends its amounts as the shop typed them
    body = _body(qty=1, shipping_amount="Rp 15.000", lines=[{"sku": "KAOS-L", "quantity": 1,
                                                              "unit_price_amount": "89.000"}])

    # when
    response = token_client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k-text")

    # then
    assert response.status_code == 201, response.json()
    order = Order.objects.get()
    assert (order.lines.get().unit_price_amount, order.shipping_amount, order.total_amount) == (
        89_000, 15_000, 104_000)


def test_an_amount_that_can_be_read_two_ways_is_refused_with_a_message(token_client, kaos):
    body = _body(qty=1, lines=[{"sku": "KAOS-L", "quantity": 1, "unit_price_amount": "89.5"}])

    response = token_client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k-ambiguous")

    assert response.status_code == 400
    assert "89.5" in str(response.json()["error"])
    assert not Order.objects.exists()
