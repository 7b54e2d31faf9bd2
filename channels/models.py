"""Sales channels: one shop on one platform (Shopee, TikTok Shop, own website, WhatsApp...)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.Model):
    class Kind(models.TextChoices):
        SHOPEE = "shopee", "Shopee"
        TIKTOK_SHOP = "tiktok_shop", "TikTok Shop"
        TOKOPEDIA = "tokopedia", "Tokopedia"
        LAZADA = "lazada", "Lazada"
        BUKALAPAK = "bukalapak", "Bukalapak"
        WEBSITE = "website", _("Own website")
        INSTAGRAM = "instagram", "Instagram"
        FACEBOOK = "facebook", "Facebook"
        WHATSAPP = "whatsapp", "WhatsApp"
        OFFLINE = "offline", _("Offline store")

    MARKETPLACE_KINDS = {Kind.SHOPEE, Kind.TIKTOK_SHOP, Kind.TOKOPEDIA, Kind.LAZADA, Kind.BUKALAPAK}

    kind = models.CharField(max_length=20, choices=Kind.choices)
    name = models.CharField(max_length=120, unique=True)
    code = models.SlugField(max_length=40, unique=True, help_text=_("Short code used in order numbers."))
    shop_id = models.CharField(max_length=128, blank=True, help_text=_("The platform's shop or seller id."))
    is_active = models.BooleanField(default=True)
    # Fees the platform takes from each sale, used for margins and payout checks.
    commission_percent = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    fixed_fee_amount = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "shop_id"], condition=~models.Q(shop_id=""), name="channel_unique_shop"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_marketplace(self) -> bool:
        return self.kind in self.MARKETPLACE_KINDS
