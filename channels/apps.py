from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsConfig(AppConfig):
    """The sales channel (below orders). Its marketplace side (adapters, webhooks, sync) is marketplaces."""

    name = "channels"
    verbose_name = _("Sales channels")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from channels import selectors
        from channels.models import Channel
        from core import roles
        from core.navigation import NavLink, WorkQueue, register_link, register_queue

        # Owner has every permission; Admin manages channels; every staff role may see them.
        roles.grant_many(
            [roles.ADMIN],
            ["channels.view_channel", "channels.add_channel", "channels.change_channel", "channels.sync_channel",
             "core.view_inbounddelivery"],
        )
        post_save.connect(selectors.channel_push_lookup_clear, sender=Channel, dispatch_uid="channels.lookup_save")
        post_delete.connect(selectors.channel_push_lookup_clear, sender=Channel, dispatch_uid="channels.lookup_del")
        roles.grant_many([roles.CUSTOMER_SERVICE, roles.WAREHOUSE, roles.FINANCE], ["channels.view_channel"])

        register_link(NavLink("settings", _("Sales channels"), "channels:list",
                              permission="channels.view_channel", order=10))
        register_queue(WorkQueue(
            key="channels.failing", stage="settings", title=_("Channels with problems"),
            description=_("Marketplace channels whose last sync or recent webhook deliveries failed."),
            url_name="channels:list", url_query="health=problems", count=selectors.channel_failing_count,
            permission="channels.change_channel", danger=True, order=5,
        ))
