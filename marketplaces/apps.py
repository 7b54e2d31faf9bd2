from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketplacesConfig(AppConfig):
    """Marketplace channels above orders: provider adapters, webhooks, the push drain, pull sync, sandbox."""

    name = "marketplaces"
    verbose_name = _("Marketplaces")

    def ready(self) -> None:
        # Provider modules register themselves in channels.adapters.ADAPTERS on import.
        from core import inbox
        from marketplaces import services
        from marketplaces.adapters import lazada, shopee, tiktok, tokopedia  # noqa: F401
        from marketplaces.webhooks import PROVIDER_KINDS

        for provider in PROVIDER_KINDS:
            inbox.register_retry(provider, lambda delivery_id: services.delivery_retry(delivery_id=delivery_id))
