from django.urls import path

from catalog import api

urlpatterns = [
    path("products/", api.ProductListApi.as_view(), name="api-products"),
    path("products/<int:pk>/", api.ProductDetailApi.as_view(), name="api-product"),
    path("variants/", api.VariantListApi.as_view(), name="api-variants"),
    path("variants/<int:pk>/", api.VariantDetailApi.as_view(), name="api-variant"),
    path("warehouses/", api.WarehouseListApi.as_view(), name="api-warehouses"),
    path("stock-movements/", api.StockMovementListApi.as_view(), name="api-stock-movements"),
    path("stock-adjustments/", api.StockAdjustmentApi.as_view(), name="api-stock-adjustments"),
]
