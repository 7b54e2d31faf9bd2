"""Demo analytics: visits typed from the seller centres, marketing spend, two recorded changes,
then the rollups built from the demo orders and the customer model fitted."""

from __future__ import annotations

from datetime import timedelta


def seed(ctx) -> None:
    from django.db.models import Sum

    from analytics.models import ChangeLogEntry, ChannelVisits, MarketingSpend, SalesDaily
    from analytics.services.customer_model import customer_model_fit
    from analytics.services.rollups import rollup_rebuild
    from catalog.models import Product
    from channels.models import Channel

    orders = rollup_rebuild()
    ctx.say(f"rollups built from {orders} orders")
    rng = ctx.rng
    today = ctx.now.astimezone().date()
    daily = {
        (r["channel_id"], r["day"]): r["n"]
        for r in SalesDaily.objects.values("channel_id", "day").annotate(n=Sum("orders"))
    }
    visits = []
    channels = list(Channel.objects.order_by("id"))
    for channel in channels:
        rate = rng.uniform(0.012, 0.035) if channel.is_marketplace else rng.uniform(0.03, 0.08)
        for back in range(min(ctx.days, 60), -1, -1):
            day = today - timedelta(days=back)
            orders_that_day = daily.get((channel.pk, day), 0)
            visits.append(ChannelVisits(channel=channel, day=day, source="demo",
                                        visits=int(max(orders_that_day, 1) / rate * rng.uniform(0.8, 1.2))))
    ChannelVisits.objects.bulk_create(visits, ignore_conflicts=True)
    month = today.replace(day=1)
    spend = []
    for channel in channels:
        for back in range(0, 4):
            first = (month - timedelta(days=back * 28)).replace(day=1)
            spend.append(MarketingSpend(channel=channel, month=first, amount=rng.choice([0, 250_000, 500_000,
                                                                                          1_500_000, 3_000_000]),
                                        note="Iklan toko & voucher ditanggung penjual"))
    MarketingSpend.objects.bulk_create(spend, ignore_conflicts=True)
    product = Product.objects.order_by("id").first()
    marketplace = next((c for c in channels if c.is_marketplace), None)
    entries = [
        ChangeLogEntry(day=today - timedelta(days=21), kind=ChangeLogEntry.Kind.PHOTO, product=product,
                       title="Foto produk baru dengan model", window_days=14,
                       description="Foto studio latar putih + 1 foto dipakai model."),
        ChangeLogEntry(day=today - timedelta(days=35), kind=ChangeLogEntry.Kind.PROMOTION, channel=marketplace,
                       title="Gratis ongkir min. belanja Rp 100.000", window_days=14),
        ChangeLogEntry(day=today - timedelta(days=10), kind=ChangeLogEntry.Kind.PRICE, product=product,
                       channel=marketplace, title="Harga turun 5% untuk bersaing", window_days=7),
    ]
    ChangeLogEntry.objects.bulk_create(entries)
    ctx.say(f"{len(visits)} days of channel visits, {len(spend)} months of marketing spend, {len(entries)} changes")
    fit = customer_model_fit()
    ctx.say(f"customer model: {fit.customers} customers in {fit.seconds:.1f} s {fit.error}".rstrip())
