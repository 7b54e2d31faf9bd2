from django.contrib import admin

from notifications.models import CustomerPreference, Notification, NotificationTemplate


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Read-only: the log of what was sent; retry from the dashboard, which goes through the service."""

    list_display = ("created_at", "order", "event", "channel", "recipient", "status", "attempts", "error_kind")
    list_filter = ("status", "channel", "event", "error_kind")
    search_fields = ("recipient", "order__number", "provider_message_id")
    list_select_related = ("order",)
    readonly_fields = [f.name for f in Notification._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(NotificationTemplate)
class NotificationTemplateAdmin(admin.ModelAdmin):
    """Read-only here: edits go through the dashboard editor, which validates the template."""

    list_display = ("event", "channel", "language", "is_active", "updated_at", "updated_by")
    list_filter = ("event", "channel", "language", "is_active")
    readonly_fields = [f.name for f in NotificationTemplate._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(CustomerPreference)
class CustomerPreferenceAdmin(admin.ModelAdmin):
    list_display = ("customer", "language", "email_enabled", "whatsapp_enabled", "sms_enabled", "updated_at")
    list_filter = ("language", "email_enabled", "whatsapp_enabled", "sms_enabled")
    search_fields = ("customer__name", "customer__phone", "customer__email")
    raw_id_fields = ("customer",)
