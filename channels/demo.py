"""Demo channels: the shops a typical Indonesian seller runs."""

from django.conf import settings

from channels.models import Channel

# Where each platform would push to (the simulator, `manage.py simulate_marketplace`, uses these).
WEBHOOK_PATHS = {Channel.Kind.SHOPEE: "shopee", Channel.Kind.TIKTOK_SHOP: "tiktok", Channel.Kind.LAZADA: "lazada",
                 Channel.Kind.TOKOPEDIA: "tokopedia"}

DEMO_CHANNELS = [
    # kind, name, code, shop id, commission %, fixed fee
    (Channel.Kind.SHOPEE, "Shopee - Toko Rumah Kita", "SHP", "727720655", "8.00", 1250),
    (Channel.Kind.TOKOPEDIA, "Tokopedia - Rumah Kita Official", "TKP", "4821553", "6.50", 1000),
    (Channel.Kind.TIKTOK_SHOP, "TikTok Shop - rumahkita.id", "TTS", "7495012348800", "7.00", 1000),
    (Channel.Kind.LAZADA, "Lazada - Rumah Kita", "LZD", "1234567", "6.00", 0),
    (Channel.Kind.WEBSITE, "Website rumahkita.id", "WEB", "", "0.00", 0),
    (Channel.Kind.INSTAGRAM, "Instagram @rumahkita.id", "IG", "", "0.00", 0),
    (Channel.Kind.WHATSAPP, "WhatsApp Admin", "WA", "", "0.00", 0),
]


def seed(ctx) -> None:
    for kind, name, code, shop_id, commission, fixed_fee in DEMO_CHANNELS:
        Channel.objects.update_or_create(
            code=code,
            defaults={
                "kind": kind,
                "name": name,
                "shop_id": shop_id,
                "commission_percent": commission,
                "fixed_fee_amount": fixed_fee,
                "callback_url": f"{settings.SITE_URL}/webhooks/{WEBHOOK_PATHS[kind]}/" if kind in WEBHOOK_PATHS else "",
            },
        )
    ctx.say(f"{len(DEMO_CHANNELS)} channels (watch marketplace orders arrive: manage.py simulate_marketplace)")
