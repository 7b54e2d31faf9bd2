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
        hooks.register_order_created(batch=analytics_hooks.on_orders_created)
        hooks.register_status_changed(batch=analytics_hooks.on_status_changes)

        money = "analytics.view_sales_reports"
        operations = "analytics.view_operations_reports"
        inputs = "analytics.manage_report_inputs"
        roles.grant_many([roles.FINANCE], [money, operations, inputs, "core.view_reports"])
        roles.grant_many([roles.ADMIN], [operations, inputs, "core.view_reports"])
        roles.grant_many([roles.WAREHOUSE, roles.CUSTOMER_SERVICE], [operations, "core.view_reports"])
        navigation.register()
        register_customer_lists()


def register_customer_lists() -> None:
    """The nightly customer model's lists as campaign audiences (customers.segments `list` filter):
    `churn_risk` and one `rfm_<segment>` per RFM segment, read from CustomerScore when used."""
    from django.utils.text import format_lazy

    from analytics.models import CustomerScore
    from customers.segments import register_segment_source

    def churn_risk():
        return CustomerScore.objects.filter(churn_risk=True).values("customer_id")

    def rfm(segment: str):
        return lambda: CustomerScore.objects.filter(segment=segment).values("customer_id")

    register_segment_source("churn_risk", _("Churn risk (customer model)"), churn_risk)
    for segment, label in CustomerScore.Segment.choices:
        register_segment_source(f"rfm_{segment}", format_lazy("{}: {}", _("RFM"), label), rfm(segment))
