from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Everything that reads the catalog and its stock.
VIEW_CATALOG = (
    "catalog.view_product",
    "catalog.view_productvariant",
    "catalog.view_productphoto",
    "catalog.view_warehouse",
    "catalog.view_stocklevel",
)
# Costs (HPP), margins and channel prices.
VIEW_COSTS = (
    "catalog.view_variantcosthistory",
    "catalog.view_channellisting",
    "catalog.view_competitorprice",
    "catalog.view_channelcatalogsettings",
)
STOCK_WORK = ("catalog.view_stockmovement", "catalog.adjust_stock", "catalog.view_stockpushattempt")
EDIT_CATALOG = (
    "catalog.add_product",
    "catalog.change_product",
    "catalog.add_productvariant",
    "catalog.change_productvariant",
    "catalog.add_productphoto",
    "catalog.change_productphoto",
    "catalog.delete_productphoto",
    "catalog.change_pricing",
    "catalog.add_channellisting",
    "catalog.change_channellisting",
    "catalog.change_channelcatalogsettings",
    "catalog.add_competitorprice",
    "catalog.delete_competitorprice",
    "catalog.add_warehouse",
    "catalog.change_warehouse",
    "catalog.import_catalog",
)


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = _("Catalog")

    def ready(self) -> None:
        from catalog import selectors
        from core import roles
        from core.navigation import NavLink, WorkQueue, register_link, register_queue

        roles.grant_many([roles.ADMIN], VIEW_CATALOG + VIEW_COSTS + STOCK_WORK + EDIT_CATALOG)
        roles.grant_many([roles.WAREHOUSE], VIEW_CATALOG + STOCK_WORK)
        roles.grant_many([roles.CUSTOMER_SERVICE], VIEW_CATALOG)
        roles.grant_many([roles.FINANCE], VIEW_CATALOG + VIEW_COSTS + ("catalog.view_stockmovement",))

        for order, (title, url_name, permission) in enumerate([
            (_("Products"), "catalog:product-list", "catalog.view_product"),
            (_("Stock"), "catalog:stock", "catalog.view_stocklevel"),
            (_("Stock ledger"), "catalog:movement-list", "catalog.view_stockmovement"),
            (_("Restock list"), "catalog:restock", "catalog.view_stocklevel"),
            (_("Warehouses"), "catalog:warehouse-list", "catalog.view_warehouse"),
            (_("Competitor prices"), "catalog:competitor-list", "catalog.view_competitorprice"),
            (_("Channel prices and stock rules"), "catalog:channel-settings", "catalog.view_channelcatalogsettings"),
            (_("Channel stock pushes"), "catalog:push-list", "catalog.view_stockpushattempt"),
            (_("Import and export"), "catalog:import", "catalog.import_catalog"),
        ]):
            register_link(NavLink("catalog", title, url_name, permission=permission, order=10 + order))

        register_queue(WorkQueue(
            key="catalog.low_stock", stage="catalog", title=_("Low stock"),
            description=_("Variants at or under their low-stock threshold; reorder them."),
            url_name="catalog:restock", count=selectors.low_stock_count, permission="catalog.view_stocklevel",
            order=10,
        ))
        register_queue(WorkQueue(
            key="catalog.failed_stock_push", stage="catalog", title=_("Stock pushes that failed"),
            description=_("Channels that did not accept a stock update after every retry."),
            url_name="catalog:push-list", url_query="failed=1", count=selectors.stock_push_failed_count,
            permission="catalog.view_stockpushattempt", danger=True, order=20,
        ))
