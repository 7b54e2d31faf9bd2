from __future__ import annotations

import io

import pytest
from django.utils import translation
from openpyxl import Workbook, load_workbook

from catalog import services
from catalog.errors import ImportHasErrors
from catalog.models import CatalogImport, Product, ProductVariant, StockLevel, StockMovement
from catalog.services import StockRequest
from catalog.services.imports import (
    COLUMNS,
    catalog_export_csv,
    catalog_export_xlsx,
    catalog_import_apply,
    catalog_import_prepare,
)
from core.errors import Conflict
from tests.catalog.factories import VariantFactory

pytestmark = pytest.mark.django_db

HEADER = ",".join(COLUMNS)


def csv_file(*lines: str) -> bytes:
    return ("\n".join([HEADER, *lines]) + "\n").encode()


def test_a_clean_csv_previews_then_applies_products_variants_prices_and_stock(default_warehouse, second_warehouse,
                                                                            owner):
    content = csv_file(
        "Kaos Polos,Pakaian,Rumah Kita,Katun,200,KP-HTM-M,Hitam / M,899001,79000,38000,5,utama,24",
        "Kaos Polos,Pakaian,Rumah Kita,Katun,200,KP-HTM-M,Hitam / M,899001,79000,38000,5,sby,6",
        "Kaos Polos,,,,,KP-HTM-L,Hitam / L,,\"79.000\",38000,,,",
    )

    preview = catalog_import_prepare(filename="katalog.csv", content=content, actor=owner)

    assert preview.status == CatalogImport.Status.PREVIEW, preview.errors
    assert preview.summary["products_created"] == 1
    assert preview.summary["variants_created"] == 2
    assert not ProductVariant.objects.exists()

    applied = catalog_import_apply(import_id=preview.pk, actor=owner)

    assert applied.status == CatalogImport.Status.APPLIED
    product = Product.objects.get(name="Kaos Polos")
    assert sorted(product.variants.values_list("sku", "price_amount", "cost_amount")) == [
        ("KP-HTM-L", 79_000, 38_000), ("KP-HTM-M", 79_000, 38_000)]
    m = ProductVariant.objects.get(sku="KP-HTM-M")
    assert sorted(StockLevel.objects.filter(variant=m).values_list("warehouse__code", "on_hand")) == [
        ("sby", 6), ("utama", 24)]
    assert StockMovement.objects.filter(reference=f"import:{preview.pk}", kind="count").count() == 2


def test_an_import_with_any_error_changes_nothing_and_lists_row_column_and_problem(default_warehouse):
    existing = VariantFactory(sku="OLD-1", price_amount=50_000)
    content = csv_file(
        "Kaos Polos,,,,,OLD-1,,,60000,,,,",
        ",,,,,KP-2,,,abc,,,,",
        "Kaos Polos,,,,,KP 3,,,-5,,,gudang-x,3",
    )

    record = catalog_import_prepare(filename="x.csv", content=content)

    assert record.status == CatalogImport.Status.INVALID
    assert {(e["row"], e["column"]) for e in record.errors} >= {
        (3, "product_name"), (3, "price_amount"), (4, "sku"), (4, "price_amount"), (4, "warehouse")}
    assert all(e["problem"] for e in record.errors)
    with pytest.raises(ImportHasErrors):
        catalog_import_apply(import_id=record.pk)
    existing.refresh_from_db()
    assert existing.price_amount == 50_000


def test_missing_required_columns_are_reported_on_the_header_row():
    with translation.override("en"):
        record = catalog_import_prepare(filename="x.csv", content=b"name;price\nKaos;1000\n")

    assert record.status == CatalogImport.Status.INVALID
    assert {"row": 1, "column": "product_name", "problem": "Required column is missing."} in record.errors


def test_stock_below_what_is_reserved_is_an_error(default_warehouse, stocked_variant):
    variant = stocked_variant(on_hand=10, sku="RES-1")
    services.stock_reserve(reference="order:1", lines=[StockRequest(variant.pk, 4)])

    content = csv_file(f"{variant.product.name},,,,,RES-1,,,,,,utama,3")

    record = catalog_import_prepare(filename="x.csv", content=content)

    assert [(e["row"], e["column"]) for e in record.errors] == [(2, "on_hand")]


def test_an_import_applies_once(default_warehouse):
    record = catalog_import_prepare(filename="x.csv", content=csv_file("Kaos,,,,,ONCE-1,,,1000,,,utama,2"))
    catalog_import_apply(import_id=record.pk)

    with pytest.raises(Conflict):
        catalog_import_apply(import_id=record.pk)
    assert StockLevel.objects.get(variant__sku="ONCE-1").on_hand == 2


def test_xlsx_export_reimports_without_changes(default_warehouse, second_warehouse, stocked_variant):
    variant = stocked_variant(on_hand=7, sku="RT-1", price_amount=25_000, cost_amount=12_000)
    services.stock_receive(variant_id=variant.pk, quantity=3, warehouse_id=second_warehouse.pk)

    exported = catalog_export_xlsx()
    sheet = load_workbook(io.BytesIO(exported)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == COLUMNS
    assert [(r[5], r[11], r[12]) for r in rows[1:]] == [("RT-1", "utama", 7), ("RT-1", "sby", 3)]

    record = catalog_import_prepare(filename="export.xlsx", content=exported)
    assert record.status == CatalogImport.Status.PREVIEW, record.errors
    assert record.summary["variants_updated"] == 0 and record.summary["stock_counts"] == 0


def test_csv_export_has_the_same_columns(stocked_variant):
    stocked_variant(on_hand=0, sku="CSV-1")

    text = catalog_export_csv().decode("utf-8-sig").splitlines()

    assert text[0] == HEADER
    assert text[1].split(",")[5] == "CSV-1"


def test_xlsx_import_reads_numbers_written_as_numbers(default_warehouse):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(COLUMNS)
    sheet.append(["Sandal Jepit", "Alas Kaki", "", "", 150, "SJ-40", "40", "", 25000.0, 11000, 3, "utama", 12])
    buffer = io.BytesIO()
    workbook.save(buffer)

    record = catalog_import_prepare(filename="s.xlsx", content=buffer.getvalue())
    catalog_import_apply(import_id=record.pk)

    variant = ProductVariant.objects.get(sku="SJ-40")
    assert (variant.price_amount, variant.product.weight_grams, variant.low_stock_threshold) == (25_000, 150, 3)


def test_import_prices_are_read_by_the_one_rupiah_parser(default_warehouse):
    content = csv_file(
        'Kaos,,,,,KA-1,,,"Rp 89.000,00",41.000,,,',
        'Kaos,,,,,KA-2,,,"89,000.00",Rp 41.000,,,',
        "Kaos,,,,,KA-3,,,89000,41000,,,",
    )

    preview = catalog_import_prepare(filename="harga.csv", content=content)

    assert preview.status == CatalogImport.Status.PREVIEW, preview.errors
    catalog_import_apply(import_id=preview.pk)
    assert sorted(ProductVariant.objects.values_list("sku", "price_amount", "cost_amount")) == [
        ("KA-1", 89_000, 41_000), ("KA-2", 89_000, 41_000), ("KA-3", 89_000, 41_000)]


def test_an_import_price_that_can_be_read_two_ways_is_a_row_error(default_warehouse):
    content = csv_file("Kaos,,,,,KA-1,,,89.5,41000,,,")

    with translation.override("en"):
        preview = catalog_import_prepare(filename="harga.csv", content=content)

    assert preview.status == CatalogImport.Status.INVALID
    assert preview.errors == [{"row": 2, "column": "price_amount",
                               "problem": "89.5 can be read two ways. Write whole rupiah without a decimal part, "
                                          "for example 89.000."}]
