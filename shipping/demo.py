"""Shipping demo (after the orders demo): the shop's sender details and packages, bin locations, a
rate table from Jakarta to Java, Bali, Sumatra, Kalimantan, Sulawesi and eastern Indonesia
(imported through the real CSV importer), free-shipping rules, channel dispatch policies, and the
orders' parcels with tracking histories, in every state, with a weight dispute, an RTS, an open pick
wave and a signed hand-over.

Parcels go through the real services; only their dates are moved back to the orders' own history,
because a demo needs history.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from orders.models import Order, OrderStatus
from shipping.couriers_data import load as load_couriers
from shipping.models import (
    ChannelShippingPolicy,
    Courier,
    CourierService,
    PackagePreset,
    Shipment,
    ShipmentStatus,
    ShippingRule,
    ShippingSettings,
    TrackingEvent,
)

S = ShipmentStatus
OS = OrderStatus

# province -> (region price multiplier, cities with their own row)
AREAS = {
    "DKI Jakarta": (1.0, ["Jakarta Selatan", "Jakarta Timur", "Jakarta Pusat"]),
    "Jawa Barat": (1.1, ["Bandung", "Bekasi", "Depok", "Bogor"]),
    "Banten": (1.1, ["Tangerang"]),
    "Jawa Tengah": (1.5, ["Semarang"]),
    "DI Yogyakarta": (1.6, ["Yogyakarta"]),
    "Jawa Timur": (1.8, ["Surabaya", "Malang"]),
    "Bali": (2.6, ["Denpasar"]),
    "Sumatera Utara": (3.0, ["Medan"]),
    "Sumatera Selatan": (2.4, ["Palembang"]),
    "Riau": (2.9, ["Pekanbaru"]),
    "Lampung": (2.0, []),
    "Kalimantan Timur": (3.6, ["Balikpapan", "Samarinda"]),
    "Kalimantan Barat": (3.3, ["Pontianak"]),
    "Kalimantan Selatan": (3.4, ["Banjarmasin"]),
    "Sulawesi Selatan": (3.7, ["Makassar"]),
    "Sulawesi Utara": (4.4, ["Manado"]),
    "Nusa Tenggara Barat": (3.2, ["Mataram"]),
    "Nusa Tenggara Timur": (4.6, ["Kupang"]),
    "Maluku": (5.8, ["Ambon"]),
    "Papua": (8.5, ["Jayapura"]),
}
# courier, service, base price per kg (Jakarta -> Jakarta), days min, days max
SERVICES = [("jne", "reg", 9_000, 1, 2), ("jne", "yes", 18_000, 1, 1), ("jnt", "ez", 8_500, 1, 3),
            ("sicepat", "reg", 8_000, 1, 3), ("sicepat", "best", 15_000, 1, 1), ("sicepat", "gokil", 4_500, 3, 6),
            ("anteraja", "reg", 8_500, 1, 3), ("pos", "kilat", 8_000, 2, 4)]


def seed(ctx) -> None:
    load_couriers(Courier, CourierService)  # the migration's couriers, should a database flush have removed them
    _settings()
    _bins(ctx)
    _rates(ctx)
    _rules()
    _parcels(ctx)


def _settings() -> None:
    ShippingSettings.objects.update_or_create(pk=1, defaults={
        "sender_name": "Toko Rumah Kita", "sender_phone": "081288889999",
        "origin_address": "Jl. Kebon Jeruk Raya No. 27, Kebon Jeruk", "origin_city": "Jakarta Barat",
        "origin_province": "DKI Jakarta", "origin_postal_code": "11530", "alert_recipients": "gudang@example.id",
    })
    for name, size, weight, cost in [("Polymailer M 25×35", (25, 35, 2), 20, 800),
                                     ("Kardus S 20×15×10", (20, 15, 10), 80, 2_500),
                                     ("Kardus M 30×20×15 + bubble wrap", (30, 20, 15), 150, 4_500),
                                     ("Kardus L 40×30×20 + bubble wrap", (40, 30, 20), 250, 6_500)]:
        PackagePreset.objects.get_or_create(name=name, defaults={
            "length_cm": size[0], "width_cm": size[1], "height_cm": size[2], "weight_grams": weight,
            "packing_cost_amount": cost})


def _bins(ctx) -> None:
    from catalog.models import StockLevel

    rows = list(StockLevel.objects.filter(bin_location="").order_by("variant__sku", "warehouse_id"))
    for index, row in enumerate(rows):
        row.bin_location = f"{'ABCDEF'[index // 40 % 6]}-{index // 8 % 5 + 1:02d}-{index % 8 + 1}"
    StockLevel.objects.bulk_update(rows, ["bin_location"])
    ctx.say(f"{len(rows)} bin locations")


def _rates(ctx) -> None:
    from shipping.services.rate_import import rate_table_import

    lines = ["courier,service,province,city,district,price_per_kg,etd_min,etd_max"]
    for province, (factor, cities) in AREAS.items():
        extra = 0 if factor < 1.9 else (1 if factor < 3.5 else 2)
        for courier, service, base, low, high in SERVICES:
            if service == "yes" and factor > 4:
                continue  # no next-day service that far
            price = int(round(base * factor / 500) * 500)
            lines.append(f"{courier},{service},{province},,,{price},{low + extra},{high + extra}")
            for city in cities:
                lines.append(f"{courier},{service},{province},{city},,{max(price - 1_000, 4_000)},{low + extra},"
                             f"{high + extra}")
    table = rate_table_import(name="Tarif 2026 dari Jakarta Barat", origin_city="Jakarta Barat",
                              filename="tarif-2026.csv", content="\n".join(lines).encode())
    ctx.say(f"rate table with {table.row_count} rates")


def _rules() -> None:
    from channels.models import Channel

    java = ["DKI Jakarta", "Jawa Barat", "Banten", "Jawa Tengah", "DI Yogyakarta", "Jawa Timur"]
    ShippingRule.objects.get_or_create(name="Gratis ongkir Jawa min. Rp 250.000", defaults={
        "kind": ShippingRule.Kind.FREE, "min_subtotal_amount": 250_000, "provinces": java, "max_amount": 30_000,
        "priority": 10})
    ShippingRule.objects.get_or_create(name="Subsidi ongkir Rp 10.000 min. Rp 150.000", defaults={
        "kind": ShippingRule.Kind.FIXED, "min_subtotal_amount": 150_000, "amount": 10_000, "priority": 20})
    thresholds = {Channel.Kind.TIKTOK_SHOP: Decimal("4"), Channel.Kind.TOKOPEDIA: Decimal("4"),
                  Channel.Kind.SHOPEE: Decimal("10"), Channel.Kind.LAZADA: Decimal("10")}
    for channel in Channel.objects.all():
        ChannelShippingPolicy.objects.get_or_create(channel=channel, defaults={
            "late_dispatch_threshold_percent": thresholds.get(channel.kind, Decimal("4")),
            "dispatch_working_days": 0})


def _history(shipment: Shipment) -> list[tuple[str, str, timedelta]]:
    """Biteship words with offsets from the dispatch, for a parcel that got as far as its status."""
    steps = [("picked", "Paket dijemput kurir", timedelta(0)),
             ("in_transit", "Tiba di hub sortir Jakarta", timedelta(hours=5)),
             ("in_transit", "Berangkat dari hub Jakarta", timedelta(hours=14)),
             ("dropping_off", "Kurir mengantar paket", timedelta(days=1, hours=8)),
             ("delivered", "Diterima oleh yang bersangkutan", timedelta(days=1, hours=11))]
    return steps


def _parcels(ctx) -> None:
    from shipping.providers.base import TrackingEntry
    from shipping.selectors import ship_by_for_order
    from shipping.services.mirror import shipments_mirror_orders
    from shipping.services.tracking import tracking_record

    rng, now = ctx.rng, ctx.now
    shipped = list(Order.objects.filter(status__in=[OS.SHIPPED, OS.DELIVERED, OS.COMPLETED])
                   .exclude(tracking_number="").values_list("pk", flat=True))
    shipments_mirror_orders(order_ids=shipped)
    recent = now - timedelta(days=21)
    parcels = list(Shipment.objects.select_related("order").filter(order__placed_at__gte=recent)
                   .exclude(status=S.CANCELLED).order_by("id"))
    # Dates follow the orders' own (backdated) history; tracking is told in Biteship's words.
    for shipment in parcels:
        order = shipment.order
        left = order.shipped_at or now
        ship_by = ship_by_for_order(order)
        late = rng.random() < 0.08
        if ship_by and not late and left > ship_by:
            left = ship_by - timedelta(minutes=rng.randint(10, 240))
        Shipment.objects.filter(pk=shipment.pk).update(
            ship_by=ship_by, dispatched_at=left, packed_at=left - timedelta(minutes=rng.randint(20, 180)),
            weight_grams=rng.choice([350, 600, 900, 1250, 1800]), etd_min_days=1, etd_max_days=3,
            cost_amount=rng.choice([9_000, 12_000, 18_000, 24_000]), packing_cost_amount=2_500)
        TrackingEvent.objects.filter(shipment=shipment).delete()
        Shipment.objects.filter(pk=shipment.pk).update(last_tracking_at=None)
        delivered = order.status in (OS.DELIVERED, OS.COMPLETED)
        entries = [TrackingEntry(word, left + offset, note) for word, note, offset in _history(shipment)
                   if delivered or (word in ("picked", "in_transit") and left + offset < now)]
        tracking_record(shipment_id=shipment.pk, source="biteship", entries=entries)
    ctx.say(f"{len(parcels)} parcels with tracking history")
    _exceptions(ctx, [s for s in parcels if s.order.status == OS.SHIPPED])
    _waiting(ctx)


def _exceptions(ctx, on_the_road: list[Shipment]) -> None:
    """One parcel in each exceptional state, a weight dispute and an RTS received back in stock."""
    from shipping.providers.base import TrackingEntry
    from shipping.services import shipments as svc
    from shipping.services.disputes import dispute_open_for_charge
    from shipping.services.tracking import tracking_record

    now = ctx.now
    plan = [("dropping_off", "Kurir mengantar paket"), ("on_hold", "Alamat tidak ditemukan, menunggu konfirmasi"),
            ("rejected", "Penerima menolak paket (COD)"), ("return_in_transit", "Paket dikembalikan ke pengirim"),
            ("returned", "Paket diterima kembali oleh pengirim"), ("disposed", "Paket hilang di hub")]
    for shipment, (word, note) in zip(on_the_road, plan, strict=False):
        entries = [TrackingEntry(word, now - timedelta(hours=2), note)]
        if word == "returned":
            entries.insert(0, TrackingEntry("return_in_transit", now - timedelta(hours=30), "Retur ke pengirim"))
        tracking_record(shipment_id=shipment.pk, source="biteship", entries=entries)
    returned = Shipment.objects.filter(status=S.RETURNED, return_received_at__isnull=True).first()
    if returned is not None:
        svc.shipment_receive_return(shipment_id=returned.pk, note="Paket retur diterima di gudang")
    stale = on_the_road[len(plan):len(plan) + 2]
    Shipment.objects.filter(pk__in=[s.pk for s in stale]).update(last_tracking_at=now - timedelta(days=5))
    delivered = Shipment.objects.filter(status=S.DELIVERED, weight_grams__gt=0).order_by("-id").first()
    if delivered is not None:
        Shipment.objects.filter(pk=delivered.pk).update(quoted_cost_amount=18_000, cost_amount=18_000,
                                                        chargeable_weight_grams=1_000)
        dispute_open_for_charge(shipment_id=delivered.pk, charged_amount=36_000, charged_weight_grams=2_000,
                                source="biteship", note="Biteship menagih 2 kg, paket ditimbang 900 g")
    ctx.say("exceptions: out for delivery, on hold, failed delivery, returning, RTS received, lost, a dispute")


def _waiting(ctx) -> None:
    """Today's work: an open pick wave, a packed parcel with its resi waiting for the courier."""
    from shipping.services import handover, packing
    from shipping.services import shipments as svc

    processing = list(Order.objects.filter(status=OS.PROCESSING, is_oversold=False)
                      .exclude(shipping_address="").order_by("-placed_at").values_list("pk", flat=True)[:8])
    if len(processing) >= 4:
        packing.wave_create(order_ids=processing[:4])
    packed = Order.objects.filter(status=OS.PACKED).filter(~Q(shipping_address="")).order_by("-placed_at")[:3]
    jne = Courier.objects.get(code="jne")
    manifest = None
    for n, order in enumerate(packed):
        shipment = Shipment.objects.filter(order=order).exclude(status=S.CANCELLED).first() or svc.shipment_create(
            order_id=order.pk, courier_id=jne.pk)
        if not shipment.tracking_number:
            svc.shipment_set_resi(shipment_id=shipment.pk, tracking_number=f"CM90{order.pk:08d}", courier_id=jne.pk)
        Shipment.objects.filter(pk=shipment.pk).update(packed_at=timezone.now(), weight_grams=700)
        if n == 0:
            manifest = handover.manifest_open(courier_id=jne.pk)
            handover.manifest_scan(manifest_id=manifest.pk, code=f"CM90{order.pk:08d}")
        elif n == 1:
            svc.shipment_mark_booked(shipment_id=shipment.pk, note="Pickup dipesan lewat Biteship")
    if manifest is not None:
        handover.manifest_close(manifest_id=manifest.pk, driver_name="Pak Darto (JNE)")
    # A parcel cancelled before it left (the buyer changed the courier): its order waits for a new one.
    # (An order of the wave when there is no other: the pack station makes it a new parcel.)
    spare = Order.objects.filter(status=OS.PROCESSING, is_oversold=False).exclude(shipping_address="").exclude(
        pk__in=processing[:4]).order_by("-placed_at").first()
    spare_id = spare.pk if spare is not None else (processing[0] if processing else None)
    if spare_id is not None:
        cancelled = svc.shipment_create(order_id=spare_id, courier_id=jne.pk)
        svc.shipment_cancel(shipment_id=cancelled.pk, reason="Pembeli minta ganti kurir")
    ctx.say("an open pick wave, packed parcels waiting for pickup (one booked), a signed hand-over and a "
            "cancelled parcel")
