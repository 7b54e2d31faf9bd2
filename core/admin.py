from django.contrib import admin

from core.models import InboundDelivery, TaskFailure


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
