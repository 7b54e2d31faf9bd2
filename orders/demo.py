"""Demo customers with Indonesian names, cities and mobile numbers, and 90 days of orders.

Orders go through the real services (order_create, order_upsert_external and the transitions), so
stock reservations, the ledger, events and the other apps' hooks are all consistent. Only the
dates are moved back afterwards, because a demo needs history.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import F, Sum

from core.phones import normalize_phone
from orders.models import Customer, Order, OrderEvent, OrderStatus

FIRST = ["Budi", "Siti", "Agus", "Dewi", "Rina", "Andi", "Putri", "Joko", "Ayu", "Fajar", "Indah", "Rudi",
         "Lestari", "Hendra", "Wulan", "Bayu", "Nurul", "Yusuf", "Maya", "Dimas", "Ratna", "Eko", "Sari", "Arif"]
LAST = ["Santoso", "Wijaya", "Pratama", "Saputra", "Hidayat", "Kusuma", "Lestari", "Nugroho", "Siregar",
        "Simanjuntak", "Wibowo", "Setiawan", "Halim", "Gunawan", "Permata", "Rahmawati", "Susanto", "Harahap"]
CITIES = [("Jakarta Selatan", "DKI Jakarta"), ("Bandung", "Jawa Barat"), ("Surabaya", "Jawa Timur"),
          ("Medan", "Sumatera Utara"), ("Semarang", "Jawa Tengah"), ("Makassar", "Sulawesi Selatan"),
          ("Yogyakarta", "DI Yogyakarta"), ("Denpasar", "Bali"), ("Bekasi", "Jawa Barat"),
          ("Tangerang", "Banten"), ("Palembang", "Sumatera Selatan"), ("Malang", "Jawa Timur"),
          ("Balikpapan", "Kalimantan Timur"), ("Depok", "Jawa Barat"), ("Bogor", "Jawa Barat")]
PREFIXES = ["0812", "0813", "0821", "0852", "0857", "0878", "0877", "0896", "0881", "0838"]
STREETS = ["Jl. Melati", "Jl. Kenanga", "Jl. Sudirman", "Jl. Diponegoro", "Jl. Gatot Subroto", "Jl. Merdeka",
           "Jl. Ahmad Yani", "Jl. Pahlawan", "Jl. Cendana", "Jl. Anggrek"]
COURIERS = ["JNE", "J&T", "SiCepat", "AnterAja", "SPX", "Ninja Xpress"]
CANCEL_REASONS = ["Pembeli membatalkan", "Stok habis di gudang", "Alamat tidak lengkap", "Tidak dibayar"]
S = OrderStatus
FLOW = [S.AWAITING_PAYMENT, S.PAID, S.PROCESSING, S.PACKED, S.SHIPPED, S.DELIVERED, S.COMPLETED]
# The provider word that brings a new marketplace order in already paid.
PAID_WORD = {"shopee": "READY_TO_SHIP", "tiktok_shop": "AWAITING_SHIPMENT", "lazada": "pending", "tokopedia": "220"}
UNPAID_WORD = {"shopee": "UNPAID", "tiktok_shop": "UNPAID", "lazada": "unpaid", "tokopedia": "100"}
ORDERS_PER_DAY = (4, 9)


def seed(ctx) -> None:
    _seed_customers(ctx)
    _seed_orders(ctx)


def _seed_customers(ctx) -> None:
    rng = ctx.rng
    customers = []
    seen = set()
    while len(customers) < 60:
        phone = normalize_phone(rng.choice(PREFIXES) + "".join(str(rng.randint(0, 9)) for _ in range(8)))
        if phone in seen:
            continue
        seen.add(phone)
        first, last = rng.choice(FIRST), rng.choice(LAST)
        city, province = rng.choice(CITIES)
        email = f"{first}.{last}{rng.randint(1, 99)}@example.id".lower() if rng.random() < 0.6 else ""
        customers.append(Customer(name=f"{first} {last}", phone=phone, email=email, city=city, province=province))
    Customer.objects.bulk_create(customers, ignore_conflicts=True)
    ctx.say(f"{len(customers)} customers")


def _target_status(rng, age_days: float) -> str:
    """Where an order of this age would be by now: old ones done, recent ones in the work queues."""
    roll = rng.random()
    if roll < 0.07 and age_days > 0.5:
        return S.CANCELLED
    if age_days > 12:
        return S.COMPLETED if roll < 0.93 else S.DELIVERED
    if age_days > 5:
        return rng.choice([S.DELIVERED, S.COMPLETED, S.COMPLETED, S.SHIPPED])
    if age_days > 2:
        return rng.choice([S.SHIPPED, S.SHIPPED, S.DELIVERED, S.PACKED])
    if age_days > 1:
        return rng.choice([S.PROCESSING, S.PACKED, S.SHIPPED])
    return rng.choice([S.AWAITING_PAYMENT, S.PAID, S.PAID, S.PROCESSING])


def _seed_orders(ctx) -> None:
    from catalog.models import ProductVariant
    from channels.models import Channel

    rng, now = ctx.rng, ctx.now
    channels = list(Channel.objects.filter(is_active=True).order_by("id"))
    variants = list(
        ProductVariant.objects.filter(is_active=True, product__is_active=True)
        .annotate(stock=Sum(F("stock_levels__on_hand") - F("stock_levels__reserved")))
        .filter(stock__gt=0)
        .order_by("id")
    )
    if not channels or not variants:
        ctx.say("no channels or no products in stock: no demo orders")
        return
    customers = list(Customer.objects.order_by("id"))
    staff = _demo_staff()
    created = 0
    for day in range(ctx.days, -1, -1):
        # A busier last two days, so the work queues have something in them.
        for _ in range(rng.randint(*ORDERS_PER_DAY) + (6 if day < 2 else 0)):
            placed_at = now - timedelta(days=day, hours=rng.randint(0, 23), minutes=rng.randint(0, 59))
            if placed_at > now:
                placed_at = now - timedelta(minutes=rng.randint(1, 120))
            channel = rng.choice(channels)
            target = _target_status(rng, (now - placed_at).total_seconds() / 86400)
            order = _place(ctx, channel, rng.choice(customers), variants, placed_at, target)
            if order is None:
                continue
            _advance(ctx, order, target, staff)
            _backdate(order, placed_at, now, rng)
            created += 1
    ctx.shared["orders"] = created
    ctx.say(f"{created} orders over {ctx.days} days "
            f"({Order.objects.filter(is_oversold=True).count()} oversold)")


def _demo_staff():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(is_active=True).order_by("id").first()


def _available() -> dict[int, int]:
    from catalog.models import StockLevel

    rows = StockLevel.objects.values("variant_id").annotate(n=Sum(F("on_hand") - F("reserved"))).order_by()
    return {row["variant_id"]: row["n"] for row in rows}


def _lines(rng, variants) -> list:
    """1-3 lines of products that are in stock."""
    available = _available()
    candidates = [v for v in variants if available.get(v.id, 0) >= 3]
    if not candidates:
        return []
    picked = rng.sample(candidates, min(len(candidates), rng.choice([1, 1, 1, 2, 2, 3])))
    return [(variant, rng.choice([1, 1, 1, 2, 3])) for variant in picked]


def _place(ctx, channel, customer, variants, placed_at, target):
    from catalog.errors import OutOfStock
    from orders.inputs import ExternalOrder, ExternalOrderLine
    from orders.services import AddressInput, CustomerInput, LineInput, order_create, order_upsert_external

    rng = ctx.rng
    lines = _lines(rng, variants)
    if not lines:
        return None
    # Now and then a recent marketplace order names a SKU the catalog no longer knows (renamed on the
    # marketplace): it is recorded anyway and lands in the oversold queue.
    unknown_sku = channel.is_marketplace and (ctx.now - placed_at).days < 3 and rng.random() < 0.15
    address = f"{rng.choice(STREETS)} No. {rng.randint(1, 200)}, {customer.city or 'Jakarta'}"
    postal = str(rng.randint(10110, 99999))
    cod = rng.random() < 0.2
    if channel.is_marketplace and channel.kind in PAID_WORD:
        word = UNPAID_WORD[channel.kind] if target == S.AWAITING_PAYMENT and not cod else PAID_WORD[channel.kind]
        shipping = rng.choice([9_000, 12_000, 15_000, 0])
        external = ExternalOrder(
            external_id=f"{channel.code}{placed_at:%y%m%d}{rng.randint(100000, 999999)}",
            status=word,
            placed_at=placed_at,
            updated_at=placed_at + timedelta(minutes=5),
            paid_at=None if word == UNPAID_WORD.get(channel.kind) else placed_at + timedelta(minutes=3),
            lines=[
                ExternalOrderLine(external_line_id=str(i), sku=f"{variant.sku}-OLD" if unknown_sku and i == 1
                                  else variant.sku, name=str(variant.product.name),
                                  quantity=qty, unit_price_amount=variant.price_amount)
                for i, (variant, qty) in enumerate(lines, start=1)
            ],
            total_amount=sum(v.price_amount * q for v, q in lines) + shipping,
            shipping_amount=shipping,
            is_cod=cod,
            buyer_name=customer.name,
            buyer_phone=customer.phone,
            buyer_email=customer.email,
            shipping_name=customer.name,
            shipping_phone=customer.phone,
            shipping_address=address,
            shipping_city=customer.city,
            shipping_province=customer.province,
            shipping_postal_code=postal,
            ship_by=placed_at + timedelta(days=2),
        )
        return order_upsert_external(channel_id=channel.id, external=external)
    try:
        return order_create(
            channel_id=channel.id,
            lines=[LineInput(variant_id=variant.id, quantity=qty) for variant, qty in lines],
            customer=CustomerInput(name=customer.name, phone=customer.phone, email=customer.email),
            shipping=AddressInput(name=customer.name, phone=customer.phone, address=address, city=customer.city,
                                  province=customer.province, postal_code=postal),
            shipping_amount=rng.choice([10_000, 15_000, 20_000]),
            payment_method="cod" if cod else rng.choice(["bank_transfer", "bank_transfer", "qris", "ewallet"]),
            notes=rng.choice(["", "", "", "Tolong dibungkus rapi", "Kirim sore ya kak"]),
            tags=rng.choice([[], [], ["reseller"], ["vip"]]),
            source="staff" if channel.kind in ("whatsapp", "instagram", "facebook", "offline") else "api",
            # Numbered with the day it was placed from the start, so the created event and the
            # messages sent on the way carry the same number as the back-dated order.
            placed_at=placed_at,
        )
    except OutOfStock:
        return None


def _advance(ctx, order, target: str, staff) -> None:
    from core.errors import InvalidTransition
    from orders import services

    rng = ctx.rng
    order.refresh_from_db(fields=["status", "payment_method", "is_oversold"])
    if target == S.CANCELLED:
        services.order_cancel(order_id=order.id, actor=staff, reason=rng.choice(CANCEL_REASONS))
        return
    steps = {
        S.PAID: lambda: services.order_mark_paid(order_id=order.id, source="gateway"),
        S.PROCESSING: lambda: services.order_confirm(order_id=order.id, actor=staff),
        S.PACKED: lambda: services.order_mark_packed(order_id=order.id, actor=staff),
        S.SHIPPED: lambda: services.order_mark_shipped(
            order_id=order.id, actor=staff, courier=rng.choice(COURIERS),
            tracking_number=f"{rng.choice(['JP', 'CM', 'SPXID', 'JNE'])}{rng.randint(10**9, 10**10 - 1)}"),
        S.DELIVERED: lambda: services.order_mark_delivered(order_id=order.id, source="courier"),
        S.COMPLETED: lambda: services.order_complete(order_id=order.id, source="system"),
    }
    current = order.status
    for status in FLOW[FLOW.index(current) + 1: FLOW.index(target) + 1]:
        if status == S.PAID and order.is_cod:
            continue  # cash on delivery is confirmed before it is paid
        try:
            steps[status]()
        except InvalidTransition:
            return


def _backdate(order, placed_at, now, rng) -> None:
    """Spread the order's history over the days after it was placed (demo data only)."""
    from orders.services.create import order_number

    events = list(OrderEvent.objects.filter(order=order).order_by("id").values_list("id", flat=True))
    span = max((now - placed_at).total_seconds() - 60, 60)
    moment = placed_at
    stamps = {}
    for index, event_id in enumerate(events):
        if index:
            moment = min(moment + timedelta(seconds=rng.uniform(0.05, 0.35) * span), now)
        stamps[event_id] = moment
    for event_id, moment in stamps.items():
        OrderEvent.objects.filter(pk=event_id).update(created_at=moment)
    final = order.__class__.objects.get(pk=order.pk)
    fields = {"placed_at": placed_at, "created_at": placed_at,
              "number": order_number(order.channel, order.id, placed_at)}
    if final.payment_due_at and final.status == S.AWAITING_PAYMENT:
        fields["payment_due_at"] = max(placed_at + timedelta(hours=24), now + timedelta(hours=2))
    last = max(stamps.values()) if stamps else placed_at
    for status, field in ((S.PAID, "paid_at"), (S.SHIPPED, "shipped_at"), (S.DELIVERED, "delivered_at"),
                          (S.COMPLETED, "completed_at"), (S.CANCELLED, "cancelled_at")):
        if getattr(final, field):
            moment = next((stamps[e.id] for e in final.events.filter(to_status=status)), last)
            fields[field] = moment
    order.__class__.objects.filter(pk=order.pk).update(**fields)
