from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _requeue(delivery_id: int) -> bool:
    from core import inbox
    from shipping.tasks import shipping_delivery_process_task

    return inbox.delivery_requeue(delivery_id=delivery_id, task=shipping_delivery_process_task)


class ShippingConfig(AppConfig):
    name = "shipping"
    verbose_name = _("Shipping")

    def ready(self) -> None:
        from core import inbox, roles
        from core.navigation import NavLink, WorkQueue, register_link, register_queue
        from orders import hooks as order_hooks
        from orders import navigation as order_navigation
        from orders import track_views
        from shipping import customer, selectors
        from shipping.services import mirror
        from shipping.services.inbound import PROVIDERS

        # Inside the order's transaction: a cancelled order cancels its waiting parcels, a typed resi
        # is refused when another order holds it; the marketplace mirror is queued for after commit.
        order_hooks.register_status_changed(batch=mirror.on_orders_status_changed)
        track_views.register_track_section(customer.track_section)
        order_navigation.register_pick_flow("shipping:waves")

        for provider in PROVIDERS:
            inbox.register_retry(provider, _requeue)

        view = ["shipping.view_shipment", "shipping.view_courier", "shipping.view_courierservice",
                "shipping.view_pickwave", "shipping.view_manifest", "shipping.view_trackingevent"]
        warehouse = ["shipping.pack_shipment", "shipping.add_shipment", "shipping.change_shipment",
                     "shipping.add_pickwave", "shipping.add_manifest", "shipping.view_packagepreset"]
        costs = ["shipping.view_shipping_costs", "shipping.view_weightdispute", "shipping.change_weightdispute",
                 "shipping.view_ratetable"]
        roles.grant_many([roles.WAREHOUSE], [*view, *warehouse, "catalog.view_stocklevel"])
        roles.grant_many([roles.FINANCE], [*view, *costs])
        roles.grant_many([roles.CUSTOMER_SERVICE], view)
        roles.grant_many([roles.ADMIN], [*view, *warehouse, *costs, "shipping.override_pack", "shipping.manage_rates",
                                         "shipping.manage_shipping_settings", "shipping.change_weightdispute"])

        links = [
            (_("Shipping overview"), "shipping:index", "shipping.view_shipment", 10),
            (_("Pick waves"), "shipping:waves", "shipping.pack_shipment", 20),
            (_("Pack station"), "shipping:pack", "shipping.pack_shipment", 30),
            (_("Hand-over"), "shipping:handover", "shipping.pack_shipment", 40),
            (_("Shipments"), "shipping:list", "shipping.view_shipment", 50),
            (_("Weight disputes"), "shipping:disputes", "shipping.view_shipping_costs", 60),
            (_("On-time dispatch"), "shipping:on-time", "shipping.view_shipment", 70),
            (_("Couriers and rates"), "shipping:couriers", "shipping.view_courier", 80),
            (_("Shipping settings"), "shipping:settings", "shipping.manage_shipping_settings", 90),
        ]
        for title, url_name, perm, order in links:
            register_link(NavLink("shipping", title, url_name, permission=perm, order=order))

        def count(queue):
            return lambda: selectors.queue_queryset(queue).count()

        queues = [
            ("shipping.to_pick", _("Orders to pick"), "shipping:waves", "", lambda: selectors.orders_to_pick().count(),
             False, 10, _("Confirmed orders not yet in a pick wave.")),
            ("shipping.to_pack", _("Orders to pack"), "shipping:pack", "", lambda: selectors.orders_to_pack().count(),
             False, 20, _("Picked orders waiting at the pack station.")),
            ("shipping.to_hand_over", _("To hand over today"), "shipping:list", "queue=to_hand_over",
             count("to_hand_over"), False, 30, _("Packed parcels due to leave today.")),
            ("shipping.at_risk", _("Ship-by deadline at risk"), "shipping:list", "queue=at_risk", count("at_risk"),
             True, 40, _("Parcels whose ship-by deadline is within hours.")),
            ("shipping.late", _("Late parcels"), "shipping:list", "queue=late", count("late"), True, 50,
             _("Parcels past their ship-by deadline that have not left.")),
            ("shipping.exceptions", _("Delivery exceptions"), "shipping:list", "queue=failed_delivery",
             count("failed_delivery"), True, 60, _("Failed deliveries and parcels on hold.")),
            ("shipping.stale", _("No tracking update"), "shipping:list", "queue=stale_tracking",
             count("stale_tracking"), False, 70, _("Parcels on the road without news for days.")),
            ("shipping.rts", _("Returns to sender"), "shipping:list", "queue=rts", count("rts"), True, 80,
             _("Parcels coming back (RTS): receive them into stock.")),
        ]
        for key, title, url_name, query, counter, danger, order, description in queues:
            register_queue(WorkQueue(key=key, stage="shipping", title=title, url_name=url_name, url_query=query,
                                     count=counter, permission="shipping.view_shipment", danger=danger, order=order,
                                     description=description))
        register_queue(WorkQueue(key="shipping.disputes", stage="shipping", title=_("Open weight disputes"),
                                 url_name="shipping:disputes", count=lambda: selectors.open_disputes().count(),
                                 permission="shipping.view_shipping_costs", order=90,
                                 description=_("Courier charges above the packed weight's price.")))
