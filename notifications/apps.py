from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from core import roles
        from core.navigation import NavLink, WorkQueue, register_link, register_queue
        from notifications import hooks, payment_context, rendering, selectors
        from orders import hooks as order_hooks

        order_hooks.register_order_created(hooks.on_order_created, batch=hooks.on_orders_created)
        order_hooks.register_status_changed(hooks.on_status_changed, batch=hooks.on_orders_status_changed)
        # Staff-composed messages (the order page's WhatsApp button) follow the customer's language.
        from notifications.services import customer_language

        order_hooks.register_customer_language(customer_language)
        rendering.register_context_extender(payment_context.payment_context, provides=payment_context.PROVIDES)

        from django.apps import apps

        if apps.is_installed("shipping"):
            from notifications import shipping_hooks
            from shipping import hooks as shipping

            shipping.register_shipment_notice(shipping_hooks.on_shipment_notice)
            shipping.register_staff_alert(shipping_hooks.on_staff_alert)
            rendering.register_context_extender(shipping_hooks.shipping_context, provides=shipping_hooks.PROVIDES)

        roles.grant_many(
            (roles.OWNER, roles.ADMIN, roles.CUSTOMER_SERVICE),
            ("notifications.view_notification", "notifications.retry_notification"),
        )
        roles.grant_many(
            (roles.OWNER, roles.ADMIN),
            ("notifications.view_notificationtemplate", "notifications.change_notificationtemplate"),
        )
        roles.grant_many(
            (roles.ADMIN, roles.CUSTOMER_SERVICE),
            ("notifications.view_consentrecord", "notifications.record_consent"),
        )

        register_link(NavLink("orders", _("Customer notifications"), "notifications:list",
                              permission="notifications.view_notification", order=60))
        register_link(NavLink("settings", _("Notification templates"), "notifications:templates",
                              permission="notifications.view_notificationtemplate", order=40))
        register_queue(WorkQueue(
            key="notifications.failed", stage="orders", title=_("Failed notifications"),
            description=_("Messages to customers that could not be delivered; fix the cause and retry."),
            url_name="notifications:list", url_query="status=failed",
            count=selectors.notification_failed_count,
            permission="notifications.view_notification", danger=True, order=90,
        ))
