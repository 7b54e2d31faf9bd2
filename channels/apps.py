from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsConfig(AppConfig):
    name = "channels"
    verbose_name = _("Sales channels")

    def ready(self) -> None:
        # Provider modules register themselves in channels.adapters.ADAPTERS on import.
        from channels.adapters import lazada, shopee, tiktok  # noqa: F401
