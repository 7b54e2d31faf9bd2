from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders")

    def ready(self) -> None:
        from core import roles
        from core.navigation import WorkQueue, register_queue
        from orders import navigation, selectors

        navigation.register()

        view = ["orders.view_order", "orders.view_customer"]
        roles.grant_many(
            [roles.CUSTOMER_SERVICE],
            [*view, "orders.add_order", "orders.change_order", "orders.process_order", "orders.cancel_order",
             "orders.add_customer", "orders.change_customer"],
        )
        roles.grant_many([roles.WAREHOUSE], [*view, "orders.process_order"])
        roles.grant_many([roles.FINANCE], [*view, "orders.export_order"])
        roles.grant_many(
            [roles.ADMIN],
            [*view, "orders.add_order", "orders.change_order", "orders.process_order", "orders.cancel_order",
             "orders.export_order", "orders.add_customer", "orders.change_customer"],
        )

        register_queue(
            WorkQueue(
                key="orders.to_confirm",
                stage="orders",
                title=_("New orders to confirm"),
                description=_("Paid orders, and cash-on-delivery orders, waiting for confirmation."),
                url_name="orders:list",
                url_query="queue=to_confirm",
                count=selectors.count_to_confirm,
                permission="orders.process_order",
                order=10,
            )
        )
        register_queue(
            WorkQueue(
                key="orders.to_pack",
                stage="orders",
                title=_("Orders to pack"),
                description=_("Confirmed orders waiting to be picked and packed."),
                url_name="orders:list",
                url_query="queue=to_pack",
                count=selectors.count_to_pack,
                permission="orders.process_order",
                order=20,
            )
        )
        register_queue(
            WorkQueue(
                key="orders.oversold",
                stage="orders",
                title=_("Oversold orders"),
                description=_("Orders with an unknown SKU or without enough stock: map or restock them."),
                url_name="orders:list",
                url_query="queue=oversold",
                count=selectors.count_oversold,
                permission="orders.view_order",
                danger=True,
                order=5,
            )
        )
