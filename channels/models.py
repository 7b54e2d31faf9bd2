"""Sales channels: one shop on one platform (Shopee, TikTok Shop, own website, WhatsApp...)."""

from datetime import timedelta

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from channels import crypto

# Names of the secrets a channel may hold. Values are encrypted at rest and never shown back.
CREDENTIAL_FIELDS: dict[str, str] = {
    "partner_id": _("Partner id (Shopee) or app id (Tokopedia fs_id)"),
    "partner_key": _("Partner key (Shopee)"),
    "push_key": _("Live push partner key (Shopee, if different)"),
    "app_key": _("App key (TikTok Shop, Lazada)"),
    "app_secret": _("App secret (TikTok Shop, Lazada)"),
    "access_token": _("Access token"),
    "refresh_token": _("Refresh token"),
    "shop_cipher": _("Shop cipher (TikTok Shop)"),
    "webhook_secret": _("Webhook secret (Tokopedia)"),
}

# A marketplace channel whose last good sync is older than this is shown as stale.
SYNC_STALE_AFTER = timedelta(minutes=30)


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
    # Provider access. Secrets live in one Fernet token (see channels.crypto), never in clear.
    credentials_token = models.TextField(blank=True, editable=False)
    api_base_url = models.URLField(
        blank=True, help_text=_("The provider's API base URL: production, sandbox or a local fake.")
    )
    callback_url = models.URLField(
        blank=True, help_text=_("The exact webhook URL registered with the provider (part of Shopee's signature).")
    )
    # Pull sync: orders updated after the cursor are fetched next; it only advances on success.
    sync_cursor = models.DateTimeField(null=True, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    last_sync_error = models.TextField(blank=True)
    sync_failures = models.PositiveIntegerField(default=0, help_text=_("Failed syncs in a row."))
    sync_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        permissions = [("sync_channel", "Can sync a channel and retry its deliveries")]
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

    # --- credentials -------------------------------------------------------------------------
    @property
    def credentials(self) -> dict:
        """Decrypted secrets (read-only copy). Never render or serialise this."""
        cached = self.__dict__.get("_credentials_cache")
        if cached is None or cached[0] != self.credentials_token:
            cached = (self.credentials_token, crypto.decrypt_json(self.credentials_token))
            self.__dict__["_credentials_cache"] = cached
        return dict(cached[1])

    def credential(self, name: str) -> str:
        return str(self.credentials.get(name) or "")

    def set_credentials(self, values: dict, *, replace: bool = False) -> None:
        """Merge secrets in (blank values keep the stored one); the caller saves the channel."""
        unknown = set(values) - set(CREDENTIAL_FIELDS)
        if unknown:
            raise ValueError(f"unknown credential fields: {', '.join(sorted(unknown))}")
        current = {} if replace else self.credentials
        for key, value in values.items():
            if value is None or str(value).strip() == "":
                continue
            current[key] = str(value).strip()
        self.credentials_token = crypto.encrypt_json(current)

    @property
    def credentials_set(self) -> list[str]:
        """Names of the secrets that are set, safe to show."""
        try:
            return sorted(self.credentials)
        except ValueError:
            return []

    # --- health ------------------------------------------------------------------------------
    @property
    def health(self) -> str:
        """inactive, not_synced, failing, stale or ok (marketplaces); ok for channels without an API."""
        if not self.is_active:
            return "inactive"
        if not self.is_marketplace:
            return "ok"
        if self.sync_failures:
            return "failing"
        if self.last_synced_at is None:
            return "not_synced"
        if timezone.now() - self.last_synced_at > SYNC_STALE_AFTER:
            return "stale"
        return "ok"
