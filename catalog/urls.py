from django.urls import path

from catalog import views

app_name = "catalog"

urlpatterns = [
    path("", views.product_list, name="product-list"),
    path("products/new/", views.product_create, name="product-create"),
    path("products/<int:product_id>/", views.product_detail, name="product-detail"),
    path("products/<int:product_id>/edit/", views.product_edit, name="product-edit"),
    path("products/<int:product_id>/archive/", views.product_archive, name="product-archive"),
    path("products/<int:product_id>/variants/new/", views.variant_create, name="variant-create"),
    path("products/<int:product_id>/photos/", views.photo_upload, name="photo-upload"),
    path("photos/<int:photo_id>/", views.photo_action, name="photo-action"),
    path("variants/<int:variant_id>/edit/", views.variant_edit, name="variant-edit"),
    path("products/<int:product_id>/listing/", views.listing_save, name="listing-save"),
    path("stock/", views.stock, name="stock"),
    path("stock/ledger/", views.movement_list, name="movement-list"),
    path("stock/adjust/", views.stock_adjust, name="stock-adjust"),
    path("stock/count-sheet/", views.stock_count_sheet, name="stock-count-sheet"),
    path("stock/restock/", views.restock, name="restock"),
    path("warehouses/", views.warehouse_list, name="warehouse-list"),
    path("warehouses/new/", views.warehouse_create, name="warehouse-create"),
    path("warehouses/<int:warehouse_id>/", views.warehouse_edit, name="warehouse-edit"),
    path("competitors/", views.competitor_list, name="competitor-list"),
    path("channels/", views.channel_settings, name="channel-settings"),
    path("channels/pushes/", views.push_list, name="push-list"),
    path("channels/pushes/resync/", views.push_resync, name="push-resync"),
    path("import/", views.import_upload, name="import"),
    path("import/<int:import_id>/", views.import_detail, name="import-detail"),
    path("export/<str:fmt>/", views.export, name="export"),
]
