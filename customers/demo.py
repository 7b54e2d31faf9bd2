"""Demo CRM: consents with proof, tags and notes, loyalty tiers and balances, vouchers, and a
finished win-back campaign whose vouchers were redeemed on real orders."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count

from customers.models import Campaign, CampaignStatus, LoyaltyTier
from customers.services import campaigns, loyalty, profile, vouchers
from notifications.consent import consent_record
from orders.models import Customer


def seed(ctx) -> None:
    rng = ctx.rng
    loyalty.loyalty_settings_get()
    for name, spend, multiplier, benefits in [
        ("Silver", 1_000_000, "1.25", "Poin 1,25x"), ("Gold", 3_000_000, "1.5", "Poin 1,5x, gratis ongkir 2x/bulan"),
    ]:
        LoyaltyTier.objects.get_or_create(name=name, defaults={"min_spend_amount": spend, "earn_multiplier": multiplier,
                                                               "benefits": benefits})
    people = list(Customer.objects.annotate(n=Count("orders")).filter(n__gt=0).order_by("pk"))
    opted = 0
    for person in people:
        roll = rng.random()
        if roll < 0.55:
            consent_record(customer_id=person.pk, purpose="marketing", granted=True,
                           source=rng.choice(["web_store", "whatsapp", "instagram"]),
                           proof=rng.choice(["Centang 'kirimi saya promo' di checkout (v2)",
                                             "Chat WA: 'boleh kak info promonya'"]), at=ctx.now - timedelta(days=30))
            opted += 1
        elif roll < 0.6:
            consent_record(customer_id=person.pk, purpose="marketing", granted=False, source="unsubscribe_link",
                           proof="Tautan berhenti langganan", at=ctx.now - timedelta(days=3))
        if rng.random() < 0.25:
            profile.customer_tags_set(customer_id=person.pk, tags=rng.sample(["reseller", "vip", "grosir",
                                                                              "sering retur", "instagram"], 2))
        if rng.random() < 0.1:
            profile.customer_note_add(customer_id=person.pk, body=rng.choice([
                "Reseller Bandung, biasanya ambil 1 kodi.", "Minta dikirim JNE saja.", "Pernah komplain warna."]))
    vouchers.voucher_create(kind="fixed", code="HEMAT20", name="Hemat Rp 20.000", value_amount=20_000,
                            min_spend_amount=150_000, total_limit=200, per_customer_limit=1,
                            valid_until=ctx.now + timedelta(days=30))
    vouchers.voucher_create(kind="percent", code="GAJIAN10", name="Promo gajian 10%", percent="10",
                            max_discount_amount=50_000, min_spend_amount=100_000,
                            valid_until=ctx.now + timedelta(days=7))
    _campaign(ctx)
    ctx.say(f"{opted} marketing opt-ins, {LoyaltyTier.objects.count()} tiers, "
            f"{Campaign.objects.filter(status=CampaignStatus.FINISHED).count()} finished campaign")


def _campaign(ctx) -> None:
    """A win-back campaign sent to lapsed buyers who opted in, some of whom came back with the voucher."""
    from notifications.models import Notification
    from orders.models import Order
    from orders.services import CustomerInput, LineInput, order_create

    campaign = campaigns.campaign_create(
        name="Kangen kamu - Oktober", channel="whatsapp", segment_filters={"inactive_days": 10},
        body="Halo {{ name }}, sudah lama nggak mampir nih! Pakai voucher {{ voucher_code }} ({{ voucher_value }}) "
             "sampai {{ valid_until }}. Berhenti terima promo: {{ unsubscribe_link }}",
        voucher_kind="fixed", voucher_value_amount=25_000, voucher_min_spend_amount=100_000, voucher_valid_days=14,
    )
    queued = campaigns.campaign_queue(campaign_id=campaign.pk)
    if not queued:
        return
    rows = Notification.objects.filter(event="campaign", status="queued")
    rows.update(status="sent", attempts=1, sent_at=ctx.now - timedelta(days=2), provider="demo",
                last_attempt_at=ctx.now - timedelta(days=2))
    web = Order.objects.filter(channel__kind="website").values_list("channel_id", flat=True).first()
    from catalog.models import ProductVariant

    variant = ProductVariant.objects.filter(is_active=True, stock_levels__on_hand__gt=5).first()
    if web and variant:
        for recipient in campaign.recipients.select_related("voucher", "customer")[:max(queued // 4, 1)]:
            customer = recipient.customer
            quantity = max(1, -(-(campaign.voucher_min_spend_amount + 1) // max(variant.price_amount, 1)))
            order_create(channel_id=web, lines=[LineInput(sku=variant.sku, quantity=quantity)],
                         customer=CustomerInput(name=customer.name, phone=customer.phone, email=customer.email),
                         payment_method="bank_transfer", discounts={"voucher": recipient.voucher.code})
    campaigns.campaigns_finish()
    Campaign.objects.filter(pk=campaign.pk).update(queued_at=ctx.now - timedelta(days=2),
                                                   created_at=ctx.now - timedelta(days=3))
