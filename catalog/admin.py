"""Admin: warehouses are managed here; stock rows and the ledger are read-only (services change them)."""

from django.contrib import admin

from catalog.models import (
    ChannelCatalogSettings,
    ChannelListing,
    CompetitorPrice,
    Product,
    ProductVariant,
    StockLevel,
    StockMovement,
    StockPushAttempt,
    Warehouse,
)
from core.admin import MoneyModelAdmin


@admin.register(Warehouse)
class WarehouseAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "city", "is_default", "is_active"]
    list_filter = ["is_active"]


class VariantInline(admin.TabularInline):
    model = ProductVariant
    fields = ["sku", "name", "barcode", "low_stock_threshold", "is_active"]
    extra = 0


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "category", "brand", "is_active"]
    list_filter = ["is_active", "category"]
    search_fields = ["name", "variants__sku"]
    inlines = [VariantInline]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StockLevel)
class StockLevelAdmin(ReadOnlyAdmin):
    list_display = ["variant", "warehouse", "on_hand", "reserved"]
    list_select_related = ["variant__product", "warehouse"]
    search_fields = ["variant__sku"]


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "variant", "warehouse", "kind", "on_hand_change", "reserved_change", "reference",
                    "actor"]
    list_select_related = ["variant__product", "warehouse", "actor"]
    list_filter = ["kind", "warehouse"]
    search_fields = ["variant__sku", "reference"]


@admin.register(StockPushAttempt)
class StockPushAttemptAdmin(ReadOnlyAdmin):
    list_display = ["attempted_at", "channel", "sku", "quantity", "ok", "will_retry", "error"]
    list_filter = ["ok", "channel"]


@admin.register(ChannelListing)
class ChannelListingAdmin(MoneyModelAdmin):
    list_display = ["variant", "channel", "price_amount", "item_id", "model_id", "is_active"]
    list_select_related = ["variant__product", "channel"]
    list_filter = ["channel", "is_active"]
    search_fields = ["variant__sku", "item_id"]


admin.site.register(ChannelCatalogSettings, MoneyModelAdmin)
admin.site.register(CompetitorPrice, MoneyModelAdmin)
