from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = _("Reports")

    def ready(self) -> None:
        from analytics import hooks as analytics_hooks
        from analytics import navigation
        from core import roles
        from orders import hooks

        # After commit: a rollup mark never slows or fails an order's transaction.
        hooks.register_order_created_batch(analytics_hooks.on_orders_created)
        hooks.register_status_changed_batch(analytics_hooks.on_status_changes)

        money = "analytics.view_sales_reports"
        operations = "analytics.view_operations_reports"
        inputs = "analytics.manage_report_inputs"
        roles.grant_many([roles.FINANCE], [money, operations, inputs, "core.view_reports"])
        roles.grant_many([roles.ADMIN], [operations, inputs, "core.view_reports"])
        roles.grant_many([roles.WAREHOUSE, roles.CUSTOMER_SERVICE], [operations, "core.view_reports"])
        navigation.register()
