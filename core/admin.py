from django.contrib import admin
from django.db import models

from core.forms import MoneyField
from core.models import InboundDelivery, TaskFailure


class MoneyAdminMixin:
    """Admin forms read every `*_amount` integer field with core.forms.MoneyField ("89.000" is Rp 89.000)."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name.endswith("_amount") and isinstance(db_field, models.IntegerField) and db_field.editable:
            return MoneyField(
                label=db_field.verbose_name.capitalize(),
                required=not db_field.blank,
                initial=db_field.get_default(),
                help_text=db_field.help_text,
                min_value=None if db_field.name in getattr(self, "signed_amounts", ()) else 0,
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class MoneyModelAdmin(MoneyAdminMixin, admin.ModelAdmin):
    pass


@admin.register(InboundDelivery)
class InboundDeliveryAdmin(admin.ModelAdmin):
    """Read-only: the inbox is evidence of what providers sent."""

    list_display = ("received_at", "provider", "channel", "external_id", "event_type", "status", "attempts")
    list_filter = ("provider", "status")
    search_fields = ("external_id", "account_ref")
    list_select_related = ("channel",)
    readonly_fields = [f.name for f in InboundDelivery._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(TaskFailure)
class TaskFailureAdmin(admin.ModelAdmin):
    list_display = ("failed_at", "task_name", "exception", "resolved", "retried_at")
    list_filter = ("resolved", "task_name")
    readonly_fields = [f.name for f in TaskFailure._meta.fields]

    def has_add_permission(self, request):
        return False
