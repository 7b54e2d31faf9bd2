"""The report pages in the dashboard navigation and the home page's KPI panels."""

from django.utils.translation import gettext_lazy as _

from core.navigation import HomePanel, NavLink, register_home_panel, register_link


def register() -> None:
    from analytics.reports import REPORTS

    for order, spec in enumerate(REPORTS.values(), start=1):
        register_link(NavLink("reports", spec.title, f"analytics:{spec.name}", permission=spec.permission,
                              order=order * 10))
    register_link(NavLink("reports", _("Monthly report (PDF)"), "analytics:monthly-pdf",
                          permission="analytics.view_sales_reports", order=95))
    register_link(NavLink("reports", _("Visits and marketing spend"), "analytics:inputs",
                          permission="analytics.manage_report_inputs", order=96))

    register_home_panel(HomePanel(
        key="analytics.sales", template="analytics/_home_sales.html", context=_sales_panel,
        permission="analytics.view_sales_reports", order=10,
        scripts=("vendor/chartjs/chart.umd.min.js", "analytics/js/charts.js"),
    ))
    register_home_panel(HomePanel(
        key="analytics.operations", template="analytics/_home_operations.html", context=_operations_panel,
        permission="analytics.view_operations_reports", order=20,
    ))


def _sales_panel(user) -> dict:
    from analytics.reports.base import MONEY, Chart
    from analytics.selectors import sales_headline

    headline = sales_headline()
    chart = Chart("home_sales", _("Net revenue, last 30 days"), "bar", [r["day"][5:] for r in headline["series"]],
                  [{"label": str(_("Net revenue")), "data": [r["net"] for r in headline["series"]]}], kind=MONEY)
    return {**headline, "chart": chart}


def _operations_panel(user) -> dict | None:
    from analytics.selectors import operations_headline

    if user.has_perm("analytics.view_sales_reports") and not user.has_perm("orders.process_order"):
        return None  # Finance sees money; the operations panel is for those who ship
    return operations_headline()
