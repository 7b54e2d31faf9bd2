"""Pick list, packing slips (HTML and PDF) and CSV/XLSX export of many orders."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from catalog.models import StockLevel, Warehouse
from core import roles
from orders.models import Order, OrderStatus
from orders.services import AddressInput, CustomerInput, LineInput, order_create
from tests.orders.ui_helpers import advance


def ids_param(*orders) -> str:
    return ",".join(str(o.pk) for o in orders)


@pytest.fixture
def two_orders(web_channel, make_variant):
    """Two orders sharing KAOS-L: 2 + 3 units, one also with TOPI-1."""
    make_variant("KAOS-L", price=85_000, stock=20)
    make_variant("TOPI-1", price=40_000, stock=20)
    address = AddressInput(name="Sari", phone="081211112222", address="Jl. Mawar 1", city="Surabaya",
                           postal_code="60111")
    first = order_create(
        channel_id=web_channel.pk,
        lines=[LineInput(sku="KAOS-L", quantity=2), LineInput(sku="TOPI-1", quantity=1)],
        customer=CustomerInput(name="Sari Dewi", phone="081211112222", email="sari@example.id"),
        shipping=address,
        shipping_amount=10_000,
    )
    second = order_create(
        channel_id=web_channel.pk,
        lines=[LineInput(sku="KAOS-L", quantity=3)],
        customer=CustomerInput(name="=HYPERLINK(\"http://evil\")", phone="081233334444"),
        payment_method="cod",
        tags=["vip"],
    )
    return first, second


def test_pick_list_sums_items_per_sku_across_orders_with_their_location(staff_client, two_orders):
    first, second = two_orders
    warehouse = Warehouse.objects.get(is_default=True)

    response = staff_client(roles.WAREHOUSE).get(reverse("orders:pick-list"), {"ids": ids_param(first, second)})

    assert response.status_code == 200
    items = {item.sku: item for item in response.context["items"]}
    assert items["KAOS-L"].quantity == 5
    assert items["TOPI-1"].quantity == 1
    assert sorted(items["KAOS-L"].order_numbers) == sorted([first.number, second.number])
    assert warehouse.name in items["KAOS-L"].location_text
    assert response.context["units"] == 6


def test_pick_list_without_a_selection_covers_orders_being_processed(staff_client, two_orders):
    first, _second = two_orders
    advance(first, OrderStatus.PROCESSING)

    response = staff_client().get(reverse("orders:pick-list"))

    assert [o.number for o in response.context["orders"]] == [first.number]


def test_pick_list_pdf_is_a_pdf(staff_client, two_orders):
    response = staff_client().get(reverse("orders:pick-list"), {"ids": ids_param(*two_orders), "format": "pdf"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_packing_slips_have_one_slip_per_order_with_address_and_cod_amount(staff_client, two_orders):
    first, second = two_orders

    response = staff_client().get(reverse("orders:packing-slips"), {"ids": ids_param(first, second)})

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('class="slip') == 2
    assert "Jl. Mawar 1" in html
    assert "Rp 255.000" in html  # COD: 3 × 85.000 to collect
    pdf = staff_client().get(reverse("orders:packing-slips"), {"ids": ids_param(first, second), "format": "pdf"})
    assert pdf.content.startswith(b"%PDF")


def test_documents_run_a_fixed_number_of_queries(
    staff_client, web_channel, make_variant, django_assert_max_num_queries
):
    variants = [make_variant(f"DOC-{i}", stock=50) for i in range(5)]
    orders = [
        order_create(channel_id=web_channel.pk, lines=[LineInput(sku=v.sku, quantity=1) for v in variants],
                     customer=CustomerInput(name="A", phone=f"08121111{i:04d}"))
        for i in range(15)
    ]
    client = staff_client()
    client.get(reverse("orders:pick-list"), {"ids": ids_param(*orders[:2])})

    with django_assert_max_num_queries(10):
        client.get(reverse("orders:pick-list"), {"ids": ids_param(*orders)})
    with django_assert_max_num_queries(10):
        client.get(reverse("orders:packing-slips"), {"ids": ids_param(*orders)})


def test_finance_cannot_print_pick_lists(staff_client, two_orders):
    assert staff_client(roles.FINANCE).get(reverse("orders:pick-list")).status_code == 403


def read_csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def test_csv_export_has_one_row_per_order_with_whole_rupiah(staff_client, two_orders):
    first, second = two_orders

    response = staff_client(roles.FINANCE).get(reverse("orders:export"), {"ids": ids_param(first, second)})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = read_csv(response)
    header, body = rows[0], rows[1:]
    by_number = {row[0]: dict(zip(header, row, strict=True)) for row in body}
    row = by_number[first.number]
    assert row[header[8]] == "2 x KAOS-L; 1 x TOPI-1"
    assert row[header[14]] == "220000"  # total: 170.000 + 40.000 + 10.000 shipping, in whole rupiah
    assert row[header[2]] == "Website"


def test_csv_export_neutralises_spreadsheet_formulas(staff_client, two_orders):
    _first, second = two_orders

    rows = read_csv(staff_client().get(reverse("orders:export"), {"ids": ids_param(second)}))

    assert rows[1][5].startswith("'=")


def test_export_follows_the_list_filters(staff_client, two_orders):
    _first, second = two_orders

    rows = read_csv(staff_client().get(reverse("orders:export"), {"payment_method": "cod", "format": "csv"}))

    assert [row[0] for row in rows[1:]] == [second.number]


def test_xlsx_export_opens_in_a_spreadsheet_with_numbers_as_numbers(staff_client, two_orders):
    _first, second = two_orders

    response = staff_client().get(reverse("orders:export"), {"tag": "vip", "format": "xlsx"})

    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook.active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2
    assert rows[1][0] == second.number
    assert rows[1][14] == 255_000  # 3 × 85.000, no shipping
    assert isinstance(rows[1][14], int)


def test_warehouse_cannot_export_orders(staff_client, two_orders):
    assert staff_client(roles.WAREHOUSE).get(reverse("orders:export")).status_code == 403


def test_export_streams_many_orders(staff_client, web_channel, make_variant, django_assert_max_num_queries):
    variant = make_variant("MANY-1", stock=200)
    for i in range(60):
        order_create(channel_id=web_channel.pk, lines=[LineInput(sku=variant.sku, quantity=1)],
                     customer=CustomerInput(name="B", phone=f"08122222{i:04d}"))
    client = staff_client()
    client.get(reverse("orders:list"))

    with django_assert_max_num_queries(12):
        rows = read_csv(client.get(reverse("orders:export")))

    assert len(rows) == 61
    assert Order.objects.count() == 60
    assert StockLevel.objects.get(variant=variant).reserved == 60
