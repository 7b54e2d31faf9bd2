from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from catalog import services
from catalog.models import CatalogImport, ChannelCatalogSettings, ChannelListing, CompetitorPrice, StockLevel
from catalog.services import StockRequest
from core import roles
from tests.catalog.factories import ListingFactory, ProductFactory, VariantFactory
from tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(default_warehouse, second_warehouse, stocked_variant):
    channel = ChannelFactory(name="Shopee Toko", code="SHP", kind="shopee", commission_percent="8.00",
                             fixed_fee_amount=1250)
    variants = [stocked_variant(on_hand=10, sku=f"DSH-{i}", low_stock_threshold=12 if i == 0 else 0)
                for i in range(3)]
    ListingFactory(variant=variants[0], channel=channel, price_amount=99_000)
    services.stock_reserve(reference="order:1", lines=[StockRequest(variants[0].pk, 2)])
    CompetitorPrice.objects.create(product=variants[0].product, competitor="Toko Sebelah", platform="shopee",
                                   price_amount=75_000, observed_on="2026-11-20")
    return {"variants": variants, "channel": channel}


@pytest.mark.parametrize(
    "url_name",
    ["catalog:product-list", "catalog:stock", "catalog:movement-list", "catalog:restock", "catalog:stock-adjust",
     "catalog:competitor-list", "catalog:channel-settings", "catalog:push-list", "catalog:import",
     "catalog:product-create", "catalog:stock-count-sheet", "catalog:warehouse-list", "catalog:warehouse-create"],
)
def test_owner_can_open_every_catalog_page(staff_client, shop, url_name):
    response = staff_client(roles.OWNER).get(reverse(url_name))

    assert response.status_code == 200


def test_product_page_shows_variants_stock_channel_margins_and_competitors(staff_client, shop):
    product = shop["variants"][0].product

    response = staff_client(roles.ADMIN).get(reverse("catalog:product-detail", args=[product.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    assert "DSH-0" in body and "Shopee Toko" in body and "Toko Sebelah" in body
    assert "Rp 99.000" in body  # channel price
    assert "Rp 40.000" in body  # HPP visible to admin


def test_warehouse_staff_see_stock_but_not_costs_or_margins(staff_client, shop):
    product = shop["variants"][0].product

    response = staff_client(roles.WAREHOUSE).get(reverse("catalog:product-detail", args=[product.pk]))

    body = response.content.decode()
    assert "DSH-0" in body
    assert "Rp 40.000" not in body and "Shopee Toko" not in body


def test_product_list_searches_filters_and_paginates_with_few_queries(staff_client, shop,
                                                                      django_assert_max_num_queries):
    for i in range(30):
        VariantFactory(product=ProductFactory(name=f"Batik {i:02d}", category="Batik"))
    client = staff_client(roles.OWNER)

    with django_assert_max_num_queries(14):
        response = client.get(reverse("catalog:product-list"), {"category": "Batik"})

    page = response.context["page"]
    assert page.paginator.count == 30 and len(page.object_list) == 25
    assert client.get(reverse("catalog:product-list"), {"q": "dsh-1"}).context["page"].paginator.count == 1
    assert client.get(reverse("catalog:product-list"), {"stock": "low"}).context["page"].paginator.count == 1


def test_stock_page_and_ledger_run_a_fixed_number_of_queries(staff_client, shop, django_assert_max_num_queries):
    client = staff_client(roles.WAREHOUSE)

    with django_assert_max_num_queries(12):
        stock = client.get(reverse("catalog:stock"))
    with django_assert_max_num_queries(12):
        ledger = client.get(reverse("catalog:movement-list"), {"sku": "DSH-0"})

    assert len(stock.context["page"].object_list) == 3
    assert {m.kind for m in ledger.context["page"].object_list} == {"receipt", "reserve"}


def test_warehouse_staff_adjust_stock_with_a_reason(staff_client, shop, default_warehouse):
    client = staff_client(roles.WAREHOUSE)

    response = client.post(reverse("catalog:stock-adjust"), {
        "mode": "adjust", "adjust-sku": "dsh-1", "adjust-warehouse": default_warehouse.pk,
        "adjust-quantity_change": "-3", "adjust-reason": "rusak kena air"})

    assert response.status_code == 302
    assert StockLevel.objects.get(variant=shop["variants"][1], warehouse=default_warehouse).on_hand == 7


def test_a_stock_count_below_reserved_shows_the_error_on_the_form(staff_client, shop, default_warehouse):
    client = staff_client(roles.WAREHOUSE)

    response = client.post(reverse("catalog:stock-adjust"), {
        "mode": "count", "count-sku": "DSH-0", "count-warehouse": default_warehouse.pk, "count-counted_quantity": "1"})

    assert response.status_code == 200
    assert "counted_quantity" in response.context["forms"]["count"].errors
    assert StockLevel.objects.get(variant=shop["variants"][0], warehouse=default_warehouse).on_hand == 10


def test_customer_service_cannot_adjust_stock(staff_client, shop):
    assert staff_client(roles.CUSTOMER_SERVICE).get(reverse("catalog:stock-adjust")).status_code == 403


def test_warehouse_staff_cannot_edit_prices_or_costs(staff_client, shop):
    variant = shop["variants"][1]
    client = staff_client(roles.WAREHOUSE)

    assert client.get(reverse("catalog:variant-edit", args=[variant.pk])).status_code == 403
    response = client.post(reverse("catalog:listing-save", args=[variant.product_id]),
                           {"variant": variant.pk, "channel": shop["channel"].pk, "price_amount": 1})
    assert response.status_code == 403
    assert not ChannelListing.objects.filter(variant=variant).exists()


def test_admin_edits_price_and_cost_and_the_cost_history_grows(staff_client, shop):
    variant = shop["variants"][1]
    client = staff_client(roles.ADMIN)

    response = client.post(reverse("catalog:variant-edit", args=[variant.pk]), {
        "sku": variant.sku, "name": "Merah / XL", "size": "XL", "colour": "Merah", "barcode": "", "is_active": "on",
        "low_stock_threshold": "4", "price_amount": "85000", "cost_amount": "41000", "cost_note": "supplier baru"})

    assert response.status_code == 302
    variant.refresh_from_db()
    assert (variant.price_amount, variant.cost_amount, variant.attributes) == (85_000, 41_000,
                                                                               {"size": "XL", "colour": "Merah"})
    assert variant.cost_history.get().note == "supplier baru"


def test_admin_lists_a_variant_on_a_channel(staff_client, shop):
    variant = shop["variants"][2]

    staff_client(roles.ADMIN).post(reverse("catalog:listing-save", args=[variant.product_id]), {
        "variant": variant.pk, "channel": shop["channel"].pk, "price_amount": "", "item_id": "777",
        "model_id": "1", "is_active": "on"})

    listing = ChannelListing.objects.get(variant=variant)
    assert (listing.price_amount, listing.item_id, listing.model_id) == (None, "777", "1")


def test_photo_upload_from_the_product_page(staff_client, shop, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    product = shop["variants"][0].product
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), "white").save(buffer, format="JPEG")

    staff_client(roles.ADMIN).post(reverse("catalog:photo-upload", args=[product.pk]),
                                   {"image": SimpleUploadedFile("kaos.jpg", buffer.getvalue(), "image/jpeg")})

    assert product.photos.count() == 1


def test_channel_settings_are_saved_by_admin_only(staff_client, shop):
    channel = shop["channel"]
    data = {"channel": channel.pk, f"c{channel.pk}-packaging_cost_amount": "1500",
            f"c{channel.pk}-target_margin_percent": "25", f"c{channel.pk}-stock_share_percent": "50",
            f"c{channel.pk}-stock_cap": "", f"c{channel.pk}-safety_buffer": "2", f"c{channel.pk}-push_stock": "on"}

    assert staff_client(roles.WAREHOUSE).post(reverse("catalog:channel-settings"), data).status_code == 403
    staff_client(roles.ADMIN).post(reverse("catalog:channel-settings"), data)

    rule = ChannelCatalogSettings.objects.get(channel=channel)
    assert (rule.packaging_cost_amount, rule.stock_share_percent, rule.safety_buffer) == (1500, 50, 2)


def test_import_preview_then_apply_from_the_dashboard(staff_client, default_warehouse):
    client = staff_client(roles.ADMIN)
    csv = (b"product_name,sku,price_amount,warehouse,on_hand\n"
           b"Tas Rajut,TR-1,120000,utama,5\n")

    response = client.post(reverse("catalog:import"), {"file": SimpleUploadedFile("tas.csv", csv, "text/csv")})
    record = CatalogImport.objects.get()
    assert response.status_code == 302 and record.status == "preview"
    preview = client.get(reverse("catalog:import-detail", args=[record.pk]))
    assert "TR-1" in preview.content.decode()

    client.post(reverse("catalog:import-detail", args=[record.pk]))

    assert StockLevel.objects.get(variant__sku="TR-1").on_hand == 5


def test_export_downloads_xlsx_and_csv(staff_client, shop):
    client = staff_client(roles.OWNER)

    xlsx = client.get(reverse("catalog:export", args=["xlsx"]))
    csv = client.get(reverse("catalog:export", args=["csv"]))

    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    assert b"DSH-0" in csv.content


def test_warehouse_staff_cannot_import(staff_client):
    assert staff_client(roles.WAREHOUSE).get(reverse("catalog:import")).status_code == 403


def test_low_stock_queue_appears_on_the_home_page(staff_client, shop):
    response = staff_client(roles.WAREHOUSE).get(reverse("dashboard:home"))

    assert response.status_code == 200
    assert "Low stock" in response.content.decode() or "Stok menipis" in response.content.decode()


def test_restock_page_lists_the_low_stock_variant(staff_client, shop):
    response = staff_client(roles.OWNER).get(reverse("catalog:restock"), {"lead_time_days": 10, "safety_days": 3,
                                                                           "cover_days": 30})

    assert [line.sku for line in response.context["lines"]] == ["DSH-0"]


def test_competitor_price_is_recorded(staff_client, shop):
    product = shop["variants"][0].product

    staff_client(roles.ADMIN).post(reverse("catalog:competitor-list"), {
        "product": product.pk, "competitor": "Grosir Murah", "platform": "tokopedia", "url": "https://example.id/x",
        "price_amount": "70000", "observed_on": "2026-11-22", "note": ""})

    assert CompetitorPrice.objects.filter(competitor="Grosir Murah", price_amount=70_000).exists()


def test_catalog_pages_speak_indonesian(staff_client, shop):
    product = shop["variants"][0].product

    response = staff_client(roles.OWNER).get(reverse("catalog:product-detail", args=[product.pk]),
                                             HTTP_ACCEPT_LANGUAGE="id")

    body = response.content.decode()
    assert "Varian dan stok" in body and "Harga kanal dan margin" in body


def test_making_another_warehouse_the_default_moves_the_flag(staff_client, shop, default_warehouse, second_warehouse):
    client = staff_client(roles.ADMIN)

    response = client.post(reverse("catalog:warehouse-edit", args=[second_warehouse.pk]), {
        "code": "sby", "name": "Gudang Surabaya", "city": "Surabaya", "is_default": "on", "is_active": "on"})

    assert response.status_code == 302
    default_warehouse.refresh_from_db()
    second_warehouse.refresh_from_db()
    assert (default_warehouse.is_default, second_warehouse.is_default) == (False, True)
    assert client.get(reverse("catalog:warehouse-list")).status_code == 200


def test_the_default_warehouse_cannot_be_switched_off_directly(staff_client, default_warehouse):
    client = staff_client(roles.ADMIN)

    response = client.post(reverse("catalog:warehouse-edit", args=[default_warehouse.pk]), {
        "code": "utama", "name": "Gudang Utama", "is_active": "on"})

    assert response.status_code == 200
    assert "is_default" in response.context["form"].errors


def test_warehouse_staff_transfer_stock_between_warehouses(staff_client, shop, default_warehouse, second_warehouse):
    client = staff_client(roles.WAREHOUSE)

    client.post(reverse("catalog:stock-adjust"), {
        "mode": "transfer", "transfer-sku": "DSH-2", "transfer-warehouse": default_warehouse.pk,
        "transfer-to_warehouse": second_warehouse.pk, "transfer-quantity": "4", "transfer-reason": "isi gudang"})

    assert StockLevel.objects.get(variant=shop["variants"][2], warehouse=second_warehouse).on_hand == 4


def test_product_page_runs_a_fixed_number_of_queries(staff_client, shop, django_assert_max_num_queries):
    product = shop["variants"][0].product
    for i in range(6):
        variant = VariantFactory(product=product, sku=f"EXTRA-{i}")
        ListingFactory(variant=variant, channel=shop["channel"])
    client = staff_client(roles.OWNER)

    with django_assert_max_num_queries(20):
        response = client.get(reverse("catalog:product-detail", args=[product.pk]))

    assert len(response.context["variants"]) == 7


def test_competitor_list_shows_our_price_position_with_few_queries(staff_client, shop, django_assert_max_num_queries):
    for i in range(8):
        variant = VariantFactory(price_amount=100_000)
        CompetitorPrice.objects.create(product=variant.product, competitor=f"Toko {i}", price_amount=90_000 + i * 5000,
                                       observed_on="2026-11-21")
    client = staff_client(roles.ADMIN)

    with django_assert_max_num_queries(10):
        response = client.get(reverse("catalog:competitor-list"))

    positions = {row["record"].competitor: row["position"].position for row in response.context["rows"]}
    assert positions["Toko 0"] == "above" and positions["Toko 2"] == "cheapest"


def test_admin_applies_the_suggested_channel_price_in_one_click(staff_client, shop):
    # given a Shopee price that leaves almost no margin after HPP and fees
    variant = shop["variants"][0]
    ChannelListing.objects.filter(variant=variant).update(price_amount=45_000)
    client = staff_client(roles.ADMIN)
    page = client.get(reverse("catalog:product-detail", args=[variant.product_id]))
    margin = next(m for row in page.context["variants"] for m in row["margins"] if m.listing)
    assert margin.margin.below_target
    assert "Use this price on the channel" in page.content.decode() or "Pakai harga ini" in page.content.decode()

    # when the admin takes the suggested price
    client.post(reverse("catalog:listing-save", args=[variant.product_id]), {
        "variant": variant.pk, "channel": margin.channel_id, "price_amount": margin.suggested_price_amount,
        "item_id": margin.listing.item_id, "is_active": "on"})

    # then the channel price reaches the target margin
    listing = ChannelListing.objects.get(pk=margin.listing.pk)
    assert listing.price_amount == margin.suggested_price_amount == 57_300  # (40,000 + 1,250) / (1 - 8% - 20%)



def test_finance_sees_channel_rules_but_cannot_change_them(staff_client, shop):
    channel = shop["channel"]
    client = staff_client(roles.FINANCE)

    assert client.get(reverse("catalog:channel-settings")).status_code == 200
    response = client.post(reverse("catalog:channel-settings"), {
        "channel": channel.pk, f"c{channel.pk}-packaging_cost_amount": "1", f"c{channel.pk}-target_margin_percent": "1",
        f"c{channel.pk}-stock_share_percent": "1", f"c{channel.pk}-safety_buffer": "0"})

    assert response.status_code == 403
    assert not ChannelCatalogSettings.objects.filter(channel=channel).exists()


def test_a_count_sheet_saves_every_filled_row(staff_client, shop, default_warehouse):
    client = staff_client(roles.WAREHOUSE)
    levels = {lvl.variant.sku: lvl for lvl in StockLevel.objects.filter(warehouse=default_warehouse)
              .select_related("variant")}

    response = client.post(reverse("catalog:stock-count-sheet"), {
        "warehouse": "utama", "reason": "opname November",
        f"count-{levels['DSH-1'].pk}": "8", f"count-{levels['DSH-2'].pk}": "12", f"count-{levels['DSH-0'].pk}": ""})

    assert response.status_code == 302
    assert StockLevel.objects.get(pk=levels["DSH-1"].pk).on_hand == 8
    assert StockLevel.objects.get(pk=levels["DSH-2"].pk).on_hand == 12
    assert StockLevel.objects.get(pk=levels["DSH-0"].pk).on_hand == 10


def test_a_count_sheet_with_one_bad_row_saves_nothing(staff_client, shop, default_warehouse):
    client = staff_client(roles.WAREHOUSE)
    levels = {lvl.variant.sku: lvl for lvl in StockLevel.objects.filter(warehouse=default_warehouse)
              .select_related("variant")}

    response = client.post(reverse("catalog:stock-count-sheet"), {
        "warehouse": "utama", f"count-{levels['DSH-1'].pk}": "8",
        f"count-{levels['DSH-0'].pk}": "1"})  # 2 units of DSH-0 are reserved

    assert response.status_code == 200
    assert [r["level"].variant.sku for r in response.context["rows"] if r["error"]] == ["DSH-0"]
    assert StockLevel.objects.get(pk=levels["DSH-1"].pk).on_hand == 10


@pytest.mark.parametrize("typed", ["89.000", "Rp 89.000", "Rp89.000,00", "89,000.00", "89000"])
def test_a_price_typed_the_indonesian_way_is_saved_as_typed_never_a_thousand_times_less(staff_client, shop, typed):
    variant = shop["variants"][1]

    response = staff_client(roles.ADMIN).post(reverse("catalog:variant-edit", args=[variant.pk]), {
        "sku": variant.sku, "name": "Merah / XL", "barcode": "", "is_active": "on", "low_stock_threshold": "0",
        "price_amount": typed, "cost_amount": "41.000", "cost_note": ""})

    assert response.status_code == 302
    variant.refresh_from_db()
    assert (variant.price_amount, variant.cost_amount) == (89_000, 41_000)


def test_a_price_that_can_be_read_two_ways_is_refused_and_nothing_changes(staff_client, shop):
    variant = shop["variants"][1]
    before = variant.price_amount

    response = staff_client(roles.ADMIN).post(reverse("catalog:variant-edit", args=[variant.pk]), {
        "sku": variant.sku, "name": "", "barcode": "", "is_active": "on", "low_stock_threshold": "0",
        "price_amount": "89.5", "cost_amount": "0", "cost_note": ""})

    assert response.status_code == 200
    assert "89.5" in response.content.decode()
    variant.refresh_from_db()
    assert variant.price_amount == before
