"""The report pages in the dashboard navigation and the home page's KPI panels."""

from django.utils.translation import gettext_lazy as _

from core.navigation import NavLink, register_link


def register() -> None:
    from analytics.reports import REPORTS

    for order, spec in enumerate(REPORTS.values(), start=1):
        register_link(NavLink("reports", spec.title, f"analytics:{spec.name}", permission=spec.permission,
                              order=order * 10))
    register_link(NavLink("reports", _("Monthly report (PDF)"), "analytics:monthly-pdf",
                          permission="analytics.view_sales_reports", order=95))
    register_link(NavLink("reports", _("Visits and marketing spend"), "analytics:inputs",
                          permission="analytics.manage_report_inputs", order=96))
