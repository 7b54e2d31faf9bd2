"""The reports: one function per report, each returning a `Report` for a `ReportFilters`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from analytics.filters import ReportFilters
from analytics.reports.base import Report

MONEY_PERMISSION = "analytics.view_sales_reports"
OPERATIONS_PERMISSION = "analytics.view_operations_reports"


@dataclass(frozen=True)
class ReportSpec:
    name: str
    title: Promise
    build: Callable[[ReportFilters], Report]
    permission: str
    icon: str


def _lazy(path: str) -> Callable[[ReportFilters], Report]:
    module, name = path.rsplit(".", 1)

    def build(f: ReportFilters) -> Report:
        import importlib

        return getattr(importlib.import_module(module), name)(f)

    return build


REPORTS: dict[str, ReportSpec] = {
    spec.name: spec
    for spec in [
        ReportSpec("sales", _("Sales"), _lazy("analytics.reports.sales.sales_report"), MONEY_PERMISSION, "graph-up"),
        ReportSpec("profit", _("Profit"), _lazy("analytics.reports.sales.profit_report"), MONEY_PERMISSION,
                   "cash-coin"),
        ReportSpec("customers", _("Customers"), _lazy("analytics.reports.customers.customers_report"),
                   MONEY_PERMISSION, "people"),
        ReportSpec("conversion", _("Conversion"), _lazy("analytics.reports.marketing.conversion_report"),
                   MONEY_PERMISSION, "funnel"),
        ReportSpec("acquisition", _("Acquisition"), _lazy("analytics.reports.marketing.acquisition_report"),
                   MONEY_PERMISSION, "megaphone"),
        ReportSpec("operations", _("Operations"), _lazy("analytics.reports.operations.operations_report"),
                   OPERATIONS_PERMISSION, "truck"),
        ReportSpec("inventory", _("Inventory"), _lazy("analytics.reports.inventory.inventory_report"),
                   OPERATIONS_PERMISSION, "boxes"),
        ReportSpec("changes", _("Change log"), _lazy("analytics.reports.marketing.changelog_report"),
                   MONEY_PERMISSION, "journal-text"),
    ]
}


def report_build(*, name: str, filters: ReportFilters) -> Report:
    return REPORTS[name].build(filters)
