"""Read-only admin: payments change only through payments.services (statuses, amounts, journal)."""

from django.contrib import admin

from payments import models


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.BankAccount)
class BankAccountAdmin(admin.ModelAdmin):
    list_display = ["bank", "account_number", "holder_name", "is_active"]


@admin.register(models.Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["reference", "order", "method", "status", "amount", "received_amount", "created_at"]
    list_filter = ["status", "method"]
    search_fields = ["reference", "order__number", "provider_reference"]
    list_select_related = ["order"]


@admin.register(models.StatementImport)
class StatementImportAdmin(ReadOnlyAdmin):
    list_display = ["filename", "format", "status", "rows_total", "rows_matched", "rows_left", "created_at"]


@admin.register(models.JournalEntry)
class JournalEntryAdmin(ReadOnlyAdmin):
    list_display = ["booked_on", "kind", "key", "order", "payment"]
    list_filter = ["kind"]
    search_fields = ["key"]
    list_select_related = ["order", "payment"]
