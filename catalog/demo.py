"""Demo catalog: an Indonesian home-and-fashion shop with prices, costs, stock in two warehouses,
channel listings, competitor prices and a few weeks of ledger history."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from catalog import services
from catalog.errors import InvalidStockChange, OutOfStock
from catalog.models import ChannelListing, Product, ProductVariant, StockMovement, Warehouse
from catalog.services import StockRequest
from channels.models import Channel

# name, category, brand, weight g, cost (HPP), variant names
PRODUCTS = [
    ("Kaos Polos Katun Combed 30s", "Pakaian", "Rumah Kita", 180, 32_000,
     ["Hitam / M", "Hitam / L", "Hitam / XL", "Putih / M", "Putih / L", "Navy / L"]),
    ("Kemeja Batik Pria Lengan Pendek", "Pakaian", "Batik Sekar", 250, 68_000,
     ["Parang / M", "Parang / L", "Kawung / L"]),
    ("Hijab Segi Empat Voal", "Pakaian", "Nadira", 90, 21_000, ["Dusty Pink", "Mocca", "Hitam", "Sage"]),
    ("Gamis Rayon Motif Bunga", "Pakaian", "Nadira", 350, 85_000, ["M", "L", "XL"]),
    ("Celana Chino Slim Fit", "Pakaian", "Rumah Kita", 400, 72_000, ["Khaki / 30", "Khaki / 32", "Hitam / 32"]),
    ("Sandal Jepit Karet Swallow", "Alas Kaki", "Swallow", 200, 9_500, ["40", "41", "42"]),
    ("Sepatu Kanvas Lokal", "Alas Kaki", "Langkah", 700, 115_000, ["39", "40", "41", "42"]),
    ("Tas Rajut Tangan", "Tas", "Rajut Bunda", 300, 55_000, ["Krem", "Coklat"]),
    ("Dompet Kulit Sapi Asli", "Tas", "Garut Leather", 150, 60_000, ["Coklat Tua"]),
    ("Kopi Arabika Gayo 250 g", "Makanan & Minuman", "Kopi Nusantara", 260, 48_000, ["Biji", "Bubuk"]),
    ("Kopi Robusta Lampung 500 g", "Makanan & Minuman", "Kopi Nusantara", 510, 42_000, ["Bubuk"]),
    ("Teh Melati Tubruk 100 g", "Makanan & Minuman", "Teh Kebun", 110, 9_000, ["Kemasan Plastik"]),
    ("Sambal Bawang Botol 150 ml", "Makanan & Minuman", "Dapur Mama", 250, 14_000, ["Original", "Extra Pedas"]),
    ("Keripik Singkong Balado 200 g", "Makanan & Minuman", "Dapur Mama", 210, 11_000, ["Balado", "Original"]),
    ("Madu Hutan Sumbawa 500 ml", "Makanan & Minuman", "Alam Lestari", 700, 78_000, ["500 ml"]),
    ("Rendang Kemasan Vakum 250 g", "Makanan & Minuman", "Dapur Minang", 300, 52_000, ["Sapi"]),
    ("Minyak Kayu Putih 60 ml", "Kesehatan", "Cap Lang", 90, 17_500, ["60 ml"]),
    ("Masker Kain 3 Lapis isi 5", "Kesehatan", "Rumah Kita", 60, 12_000, ["Hitam", "Abu-abu"]),
    ("Sabun Cuci Piring Refill 750 ml", "Rumah Tangga", "Bersih Jaya", 780, 9_800, ["Jeruk Nipis"]),
    ("Sapu Ijuk Gagang Kayu", "Rumah Tangga", "Bersih Jaya", 900, 18_000, ["Standar"]),
    ("Rak Piring Stainless 2 Susun", "Rumah Tangga", "Dapurku", 2500, 95_000, ["2 Susun"]),
    ("Panci Presto 8 Liter", "Rumah Tangga", "Dapurku", 3800, 210_000, ["8 L"]),
    ("Sprei Katun Motif 160x200", "Rumah Tangga", "Tidur Nyenyak", 1100, 88_000, ["Bunga Biru", "Garis Abu"]),
    ("Lampu LED 12 Watt", "Elektronik", "Terang", 120, 14_500, ["Putih", "Kuning"]),
    ("Kabel Data USB-C 1 m", "Elektronik", "Terang", 60, 11_000, ["Hitam", "Putih"]),
    ("Powerbank 10000 mAh", "Elektronik", "Terang", 250, 98_000, ["Hitam"]),
    ("Mainan Edukasi Puzzle Kayu", "Mainan", "Pintar", 400, 28_000, ["Huruf", "Angka", "Hewan"]),
    ("Buku Tulis Sidu 38 lembar isi 10", "Alat Tulis", "Sidu", 900, 27_000, ["Isi 10"]),
]
SKU_PREFIX = {
    "Pakaian": "PKN", "Alas Kaki": "ALK", "Tas": "TAS", "Makanan & Minuman": "MKN", "Kesehatan": "KSH",
    "Rumah Tangga": "RMT", "Elektronik": "ELK", "Mainan": "MNN", "Alat Tulis": "ATK",
}
COMPETITORS = ["Toko Sinar Jaya", "Grosir Murah Official", "Berkah Store", "Maju Bersama Shop", "Toko Amanah"]
COLOURS = [(226, 94, 62), (46, 134, 171), (68, 160, 100), (162, 103, 172), (232, 170, 66), (90, 90, 110)]


def _round(amount: float, step: int = 500) -> int:
    return int(round(amount / step) * step)


def _photo(name: str, colour: tuple[int, int, int]) -> SimpleUploadedFile:
    img = Image.new("RGB", (600, 600), colour)
    draw = ImageDraw.Draw(img)
    draw.rectangle((40, 40, 560, 560), outline=(255, 255, 255), width=6)
    initials = "".join(word[0] for word in name.split()[:3]).upper()
    draw.text((300, 300), initials, fill=(255, 255, 255), anchor="mm", font_size=160)
    buffer = io.BytesIO()
    img.save(buffer, format="JPEG", quality=85)
    return SimpleUploadedFile(f"{initials.lower()}.jpg", buffer.getvalue(), content_type="image/jpeg")


def _backdate(movement_ids: list[int], when) -> None:
    StockMovement.objects.filter(pk__in=movement_ids).update(created_at=when)


def seed(ctx) -> None:
    rng, now = ctx.rng, ctx.now
    main, _ = Warehouse.objects.update_or_create(
        code="utama", defaults={"name": "Gudang Utama Jakarta", "city": "Jakarta Barat", "postal_code": "11530",
                                "address": "Jl. Daan Mogot No. 88", "is_default": True})
    second, _ = Warehouse.objects.update_or_create(
        code="sby", defaults={"name": "Gudang Surabaya", "city": "Surabaya", "postal_code": "60293",
                              "address": "Jl. Rungkut Industri III No. 12", "is_default": False})

    channels = {c.code: c for c in Channel.objects.all()}
    for code, packaging, target, share, buffer in [("SHP", 2000, 25, 100, 2), ("TKP", 2000, 25, 100, 2),
                                                    ("TTS", 1500, 20, 80, 3), ("LZD", 2000, 25, 60, 2),
                                                    ("WEB", 3000, 35, 100, 0)]:
        if code in channels:
            services.channel_settings_save(channel_id=channels[code].pk, packaging_cost_amount=packaging,
                                           target_margin_percent=Decimal(target), stock_share_percent=Decimal(share),
                                           safety_buffer=buffer)
    markups = {"SHP": 1.08, "TKP": 1.06, "TTS": 1.05, "LZD": 1.07, "WEB": 1.0}

    variants = []
    for index, (name, category, brand, weight, cost, variant_names) in enumerate(PRODUCTS):
        if Product.objects.filter(name=name).exists():
            continue
        product = services.product_create(
            name=name, category=category, brand=brand, weight_grams=weight,
            description=f"{name} dari {brand}. Produk lokal berkualitas, dikirim dari Jakarta dan Surabaya.",
            length_cm=rng.choice([10, 15, 20, 30]), width_cm=rng.choice([10, 15, 20]), height_cm=rng.choice([3, 5, 10]),
        )
        services.product_photo_add(product_id=product.pk, upload=_photo(name, COLOURS[index % len(COLOURS)]),
                                   alt_text=name)
        margin = rng.uniform(1.45, 2.1)
        for n, variant_name in enumerate(variant_names, start=1):
            sku = f"{SKU_PREFIX[category]}-{index + 1:03d}-{n:02d}"
            variant_cost = cost + rng.choice([0, 0, 500, 1000])
            variant = services.variant_create(
                product_id=product.pk, sku=sku, name=variant_name, price_amount=_round(variant_cost * margin),
                cost_amount=variant_cost, barcode=f"899{rng.randrange(10**9, 10**10)}",
                low_stock_threshold=rng.choice([5, 10, 10, 15, 20]),
            )
            variants.append(variant)
            # Opening stock 60 days ago, a second delivery later, both warehouses.
            opening = rng.choice([40, 60, 80, 120, 150]) if rng.random() > 0.12 else rng.choice([3, 6])
            m = services.stock_receive(variant_id=variant.pk, warehouse_id=main.pk, quantity=opening,
                                       reference=f"po:2026-{index + 1:03d}", reason="Stok awal")
            _backdate([m.pk], now - timedelta(days=60))
            if rng.random() < 0.6:
                m = services.stock_receive(variant_id=variant.pk, warehouse_id=second.pk,
                                           quantity=rng.choice([10, 20, 30]), reference=f"po:sby-{index + 1:03d}",
                                           reason="Kiriman ke gudang Surabaya")
                _backdate([m.pk], now - timedelta(days=rng.randint(30, 55)))
            for code, channel in channels.items():
                if code not in markups or rng.random() < 0.15:
                    continue
                price = _round(variant.price_amount * markups[code]) if code != "WEB" else None
                services.listing_save(
                    variant_id=variant.pk, channel_id=channel.pk, price_amount=price,
                    item_id=str(rng.randrange(10**9, 10**10)) if channel.is_marketplace else "",
                    model_id=str(rng.randrange(10**8, 10**9)) if channel.is_marketplace else "",
                )
        # Market research for most products.
        if rng.random() < 0.7:
            base = min(v.price_amount for v in product.variants.all())
            for competitor in rng.sample(COMPETITORS, rng.randint(1, 3)):
                services.competitor_price_add(
                    product_id=product.pk, competitor=competitor,
                    platform=rng.choice(["shopee", "tokopedia", "tiktok_shop", "lazada"]),
                    url=f"https://example.id/{competitor.lower().replace(' ', '-')}/{product.pk}",
                    price_amount=_round(base * rng.uniform(0.85, 1.15)),
                    observed_on=(now - timedelta(days=rng.randint(0, 20))).date(),
                )

    if not variants:  # the catalog was seeded before: leave it as it is
        ctx.shared["catalog"] = {"variant_ids": list(ProductVariant.objects.values_list("pk", flat=True)),
                                 "warehouse_ids": [main.pk, second.pk]}
        ctx.say("catalog already seeded")
        return
    # A few weeks of day-to-day stock life: offline store sales, damage, a stock count.
    for day in range(28, 0, -1):
        when = now - timedelta(days=day, hours=rng.randint(0, 8))
        for _ in range(rng.randint(1, 4)):
            variant = rng.choice(variants)
            reference = f"offline:struk-{day:02d}{rng.randrange(1000, 9999)}"
            try:
                services.stock_reserve(reference=reference, lines=[StockRequest(variant.pk, rng.randint(1, 3))])
                services.stock_commit(reference=reference)
            except OutOfStock:
                continue
            _backdate(list(StockMovement.objects.filter(reference=reference).values_list("pk", flat=True)), when)
    for variant in rng.sample(variants, 6):
        try:
            m = services.stock_adjust(variant_id=variant.pk, warehouse_id=main.pk, quantity_change=-1,
                                      reason=rng.choice(["Rusak saat pengemasan", "Kemasan penyok", "Hilang"]))
            _backdate([m.pk], now - timedelta(days=rng.randint(2, 20)))
        except InvalidStockChange:
            continue
    for variant in rng.sample(variants, 5):
        level = variant.stock_levels.filter(warehouse=main).first()
        if level is None:
            continue
        m = services.stock_count(variant_id=variant.pk, warehouse_id=main.pk,
                                 counted_quantity=max(level.on_hand - rng.randint(0, 2), level.reserved),
                                 reason="Stock opname bulanan")
        _backdate([m.pk], now - timedelta(days=7))
    for variant in rng.sample(variants, 4):
        services.variant_cost_set(variant_id=variant.pk, cost_amount=_round(variant.cost_amount * 1.06, 100),
                                  note="Harga supplier naik")

    ctx.shared["catalog"] = {
        "variant_ids": [v.pk for v in variants],
        "warehouse_ids": [main.pk, second.pk],
    }
    listings = ChannelListing.objects.count()
    ctx.say(f"{len(PRODUCTS)} products, {len(variants)} variants, {listings} channel listings, 2 warehouses")
