"""Reports on 1,000,000 orders: data generation with COPY, rollup build, report p95, freshness, CLTV fit.

Creates (and at the end drops, unless --keep) its own database, migrates it, then:

1. generates with COPY 8 channels, 2 warehouses, 400 products / 2,000 variants with a cost change
   each, 200,000 customers over 100 Indonesian cities, `--orders` orders over 2 years (about three
   lines each, 7 % cancelled, 2 % with a refund), each order's stock reservation rows, channel
   visits and marketing spend (target: <= 3 minutes);
2. builds every fact and rollup from scratch (`rollup_rebuild`) and ANALYZEs;
3. times every report page (full HTML through Django's test client, as the owner) over a mix of
   filters (the last 30 days, last month, a channel, a province, a category, a warehouse, 90 days,
   weekly over a year) and reports p50/p95 per report (target: p95 <= 200 ms);
4. freshness: new orders through `order_create` and cancellations of old orders through
   `order_cancel` (hooks mark their keys after commit), then one `rollup_refresh` as the 15-second
   beat job runs it; freshness = beat interval + refresh time (target: <= 60 s);
5. the nightly customer model (RFM, BG/NBD + Gamma-Gamma, cohorts) over every customer (target: <= 2 min).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/oms_ana_bench REDIS_URL=redis://127.0.0.1:6379/8 \\
        nice .venv/bin/python bench/analytics.py --orders 1000000 --write-docs
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CITIES = [
    ("Jakarta Selatan", "DKI Jakarta", 40), ("Jakarta Barat", "DKI Jakarta", 35), ("Jakarta Timur", "DKI Jakarta", 35),
    ("Jakarta Utara", "DKI Jakarta", 20), ("Jakarta Pusat", "DKI Jakarta", 15), ("Bandung", "Jawa Barat", 30),
    ("Bekasi", "Jawa Barat", 30), ("Bogor", "Jawa Barat", 22), ("Depok", "Jawa Barat", 22), ("Cimahi", "Jawa Barat", 6),
    ("Tasikmalaya", "Jawa Barat", 6), ("Cirebon", "Jawa Barat", 6), ("Sukabumi", "Jawa Barat", 5),
    ("Karawang", "Jawa Barat", 8), ("Tangerang", "Banten", 25), ("Tangerang Selatan", "Banten", 18),
    ("Serang", "Banten", 6), ("Cilegon", "Banten", 3), ("Surabaya", "Jawa Timur", 30), ("Malang", "Jawa Timur", 14),
    ("Sidoarjo", "Jawa Timur", 12), ("Gresik", "Jawa Timur", 6), ("Kediri", "Jawa Timur", 5),
    ("Jember", "Jawa Timur", 6), ("Banyuwangi", "Jawa Timur", 4), ("Madiun", "Jawa Timur", 3),
    ("Semarang", "Jawa Tengah", 16), ("Solo", "Jawa Tengah", 10), ("Magelang", "Jawa Tengah", 4),
    ("Purwokerto", "Jawa Tengah", 5), ("Tegal", "Jawa Tengah", 4), ("Pekalongan", "Jawa Tengah", 3),
    ("Kudus", "Jawa Tengah", 3), ("Yogyakarta", "DI Yogyakarta", 10), ("Sleman", "DI Yogyakarta", 8),
    ("Bantul", "DI Yogyakarta", 5), ("Denpasar", "Bali", 8), ("Badung", "Bali", 5), ("Gianyar", "Bali", 2),
    ("Medan", "Sumatera Utara", 14), ("Binjai", "Sumatera Utara", 2), ("Pematangsiantar", "Sumatera Utara", 2),
    ("Palembang", "Sumatera Selatan", 8), ("Padang", "Sumatera Barat", 6), ("Bukittinggi", "Sumatera Barat", 2),
    ("Pekanbaru", "Riau", 7), ("Dumai", "Riau", 1), ("Batam", "Kepulauan Riau", 6),
    ("Tanjung Pinang", "Kepulauan Riau", 1),
    ("Jambi", "Jambi", 3), ("Bengkulu", "Bengkulu", 2), ("Bandar Lampung", "Lampung", 6), ("Metro", "Lampung", 1),
    ("Pangkal Pinang", "Kepulauan Bangka Belitung", 2), ("Banda Aceh", "Aceh", 3), ("Lhokseumawe", "Aceh", 1),
    ("Pontianak", "Kalimantan Barat", 4), ("Singkawang", "Kalimantan Barat", 1),
    ("Banjarmasin", "Kalimantan Selatan", 4), ("Banjarbaru", "Kalimantan Selatan", 2),
    ("Balikpapan", "Kalimantan Timur", 4), ("Samarinda", "Kalimantan Timur", 4), ("Bontang", "Kalimantan Timur", 1),
    ("Palangka Raya", "Kalimantan Tengah", 2), ("Tarakan", "Kalimantan Utara", 1),
    ("Makassar", "Sulawesi Selatan", 9), ("Parepare", "Sulawesi Selatan", 1), ("Manado", "Sulawesi Utara", 3),
    ("Bitung", "Sulawesi Utara", 1), ("Palu", "Sulawesi Tengah", 2), ("Kendari", "Sulawesi Tenggara", 2),
    ("Gorontalo", "Gorontalo", 1), ("Mamuju", "Sulawesi Barat", 1), ("Mataram", "Nusa Tenggara Barat", 3),
    ("Bima", "Nusa Tenggara Barat", 1), ("Kupang", "Nusa Tenggara Timur", 2), ("Ambon", "Maluku", 1),
    ("Ternate", "Maluku Utara", 1), ("Jayapura", "Papua", 1), ("Sorong", "Papua Barat Daya", 1),
    ("Manokwari", "Papua Barat", 1), ("Merauke", "Papua Selatan", 1), ("Nabire", "Papua Tengah", 1),
    ("Wamena", "Papua Pegunungan", 1),
]
CHANNELS = [("shopee", "Shopee", "SHP", 30, 5.0, 1000), ("tiktok_shop", "TikTok Shop", "TTS", 22, 4.5, 1000),
            ("tokopedia", "Tokopedia", "TKP", 14, 4.0, 1000), ("lazada", "Lazada", "LZD", 8, 4.5, 1500),
            ("bukalapak", "Bukalapak", "BL", 3, 3.0, 0), ("website", "Website", "WEB", 10, 0, 0),
            ("instagram", "Instagram", "IG", 6, 0, 0), ("whatsapp", "WhatsApp", "WA", 7, 0, 0)]
CATEGORIES = ["Pakaian Wanita", "Pakaian Pria", "Hijab", "Tas", "Sepatu", "Aksesoris", "Perlengkapan Rumah",
              "Dapur", "Kecantikan", "Mainan Anak"]
STATUSES = [("completed", 80), ("delivered", 5), ("shipped", 4), ("processing", 2), ("paid", 1),
            ("awaiting_payment", 1), ("cancelled", 7)]


def _django(db_url: str) -> None:
    os.environ["DATABASE_URL"] = db_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings")
    os.environ.setdefault("DATABASE_POOL", "false")
    import django

    django.setup()


def _admin_sql(db_url: str, sql: str) -> None:
    admin = urlparse(db_url)._replace(path="/postgres").geturl()
    import psycopg

    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql)


def _weighted(rng: random.Random, items: list, weights: list, n: int) -> list:
    return rng.choices(items, weights=weights, k=n)


class Copier:
    """Rows for one COPY ... FROM STDIN (tab-separated text). A connection runs one COPY at a time, so
    the rows are kept in memory and sent by `close()`; several tables can be filled side by side."""

    def __init__(self, cursor, table: str, columns: list[str]):
        self.cursor, self.table, self.columns = cursor, table, columns
        self.lines: list[str] = []

    def row(self, *values) -> None:
        self.lines.append("\t".join("\\N" if v is None else str(v) for v in values))

    def close(self) -> None:
        with self.cursor.copy(f"COPY {self.table} ({', '.join(self.columns)}) FROM STDIN") as copy:
            for i in range(0, len(self.lines), 50_000):
                copy.write("\n".join(self.lines[i:i + 50_000]) + "\n")
        self.lines = []


def generate(*, orders: int, customers: int, seed: int) -> dict:
    """Everything with COPY, in one transaction; returns counts."""
    from django.db import connection, transaction

    rng = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(days=730)
    counts = {}
    with transaction.atomic(), connection.cursor() as django_cursor:
        cur = django_cursor.cursor
        cur.execute("SET LOCAL synchronous_commit = off")
        # channels and warehouses
        for i, (kind, name, code, _w, commission, fixed) in enumerate(CHANNELS, start=1):
            cur.execute(
                "INSERT INTO channels_channel (id, kind, name, code, shop_id, is_active, commission_percent, "
                "fixed_fee_amount, created_at, credentials_token, api_base_url, callback_url, last_sync_error, "
                "sync_failures, updated_at) VALUES (%s,%s,%s,%s,%s,true,%s,%s,now(),'','','','',0,now())",
                [i, kind, name, code, f"bench-{code}", commission, fixed])
            cur.execute("INSERT INTO catalog_channelcatalogsettings (channel_id, packaging_cost_amount, "
                        "target_margin_percent, stock_share_percent, safety_buffer, push_stock) "
                        "VALUES (%s, %s, 20, 100, 0, false)", [i, 1500 if kind in ("website", "whatsapp") else 1000])
        cur.execute("INSERT INTO catalog_warehouse (id, code, name, address, city, postal_code, is_default, is_active) "
                    "VALUES (1, 'utama', 'Gudang Utama', '', 'Bekasi', '', true, true), "
                    "(2, 'sby', 'Gudang Surabaya', '', 'Surabaya', '', false, true)")
        # products and variants with a cost change each, halfway
        products, variants = 400, 2000
        cp = Copier(cur, "catalog_product", ["id", "name", "description", "category", "brand", "video_url",
                                             "weight_grams", "length_cm", "width_cm", "height_cm", "is_active",
                                             "created_at", "updated_at"])
        for p in range(1, products + 1):
            cp.row(p, f"Produk {p:03d}", "", CATEGORIES[p % len(CATEGORIES)], "Rumah Kita", "", 300, 20, 15, 5,
                   "t", start.isoformat(), start.isoformat())
        cp.close()
        prices, costs = {}, {}
        cv = Copier(cur, "catalog_productvariant", ["id", "product_id", "sku", "name", "attributes", "barcode",
                                                    "cost_amount", "price_amount", "low_stock_threshold", "is_active"])
        for v in range(1, variants + 1):
            price = rng.choice([29_000, 39_000, 49_000, 59_000, 79_000, 89_000, 129_000, 159_000, 199_000])
            prices[v], costs[v] = price, int(price * rng.uniform(0.35, 0.6))
            cv.row(v, (v - 1) // 5 + 1, f"SKU-{v:05d}", f"Varian {v % 5}", "{}", "", costs[v], price, 5, "t")
        cv.close()
        ch = Copier(cur, "catalog_variantcosthistory", ["variant_id", "cost_amount", "previous_amount", "note",
                                                         "effective_at"])
        for v in range(1, variants + 1):
            ch.row(v, int(costs[v] * 0.92), 0, "Initial cost", start.isoformat())
            ch.row(v, costs[v], int(costs[v] * 0.92), "harga beli naik",
                   (start + timedelta(days=rng.randint(200, 500))).isoformat())
        ch.close()
        bin_col = _has_column(cur, "catalog_stocklevel", "bin_location")  # the shipping work adds bins
        cs = Copier(cur, "catalog_stocklevel", ["variant_id", "warehouse_id", "on_hand", "reserved",
                                                *(["bin_location"] if bin_col else [])])
        for v in range(1, variants + 1):
            for w in (1, 2):
                values = [v, w, rng.choice([0, 0, 3, 20, 60, 150, 400]), 0]
                cs.row(*([*values, ""] if bin_col else values))
        cs.close()
        # customers
        city_names = list(CITIES)
        city_weights = [c[2] for c in CITIES]
        customer_city = {}
        cc = Copier(cur, "orders_customer", ["id", "name", "phone", "email", "city", "province", "notes", "created_at"])
        for c in range(1, customers + 1):
            city, province, _w = rng.choices(city_names, weights=city_weights)[0]
            customer_city[c] = (city, province)
            cc.row(c, f"Pelanggan {c}", f"+62812{c:08d}", "", city, province, "", start.isoformat())
        cc.close()
        counts.update(channels=len(CHANNELS), variants=variants, customers=customers)
        # orders, lines, reservations, refunds
        channel_ids = list(range(1, len(CHANNELS) + 1))
        channel_weights = [c[3] for c in CHANNELS]
        fees = {i: (c[4], c[5]) for i, c in enumerate(CHANNELS, start=1)}
        statuses = [s for s, _w in STATUSES]
        status_weights = [w for _s, w in STATUSES]
        # Customers buy repeatedly with a skewed frequency; spread over two years with growth.
        activity = [rng.paretovariate(1.3) for _ in range(customers)]
        order_customers = rng.choices(range(1, customers + 1), weights=activity, k=orders)
        seconds = int((now - start).total_seconds())
        stamps = sorted(int(seconds * (rng.random() ** 0.8)) for _ in range(orders))
        oc = Copier(cur, "orders_order", [
            "id", "channel_id", "external_id", "number", "customer_id", "status", "placed_at", "subtotal_amount",
            "shipping_amount", "discount_amount", "marketplace_fee_amount", "total_amount", "payment_method",
            "shipping_name", "shipping_phone", "shipping_address", "shipping_city", "shipping_province",
            "shipping_postal_code", "courier", "tracking_number", "source", "paid_at", "shipped_at", "delivered_at",
            "completed_at", "cancelled_at", "cancel_reason", "notes", "tags", "is_oversold", "access_key",
            "marketplace_status", "created_at", "updated_at", "ship_by"])
        lc = Copier(cur, "orders_orderline", ["id", "order_id", "variant_id", "sku", "name", "quantity",
                                              "unit_price_amount", "discount_amount", "external_line_id",
                                              "stock_reserved"])
        mc = Copier(cur, "catalog_stockmovement", ["variant_id", "warehouse_id", "kind", "on_hand_change",
                                                   "reserved_change", "reference", "reason", "created_at"])
        pc = Copier(cur, "payments_payment", [
            "id", "order_id", "method", "provider", "status", "reference", "base_amount", "unique_code", "amount",
            "received_amount", "fee_amount", "refunded_amount", "provider_reference", "provider_status",
            "checkout_url", "checkout_reference", "created_at", "updated_at", "paid_at"])
        rc = Copier(cur, "payments_refund", ["payment_id", "order_id", "amount", "kind", "reason", "reference",
                                             "created_at"])
        line_id = 0
        refunds = 0
        for order_id in range(1, orders + 1):
            placed = start + timedelta(seconds=stamps[order_id - 1])
            channel = rng.choices(channel_ids, weights=channel_weights)[0]
            customer = order_customers[order_id - 1]
            city, province = customer_city[customer]
            status = rng.choices(statuses, weights=status_weights)[0]
            age = (now - placed).total_seconds()
            if age < 3 * 86400 and status in ("completed", "delivered"):
                status = "processing"
            n_lines = rng.choice([1, 1, 2, 3, 3, 4, 5, 5])
            chosen = rng.sample(range(1, variants + 1), n_lines)
            subtotal = 0
            warehouse = 1 if rng.random() < 0.7 else 2
            for v in chosen:
                line_id += 1
                qty = rng.choice([1, 1, 1, 2, 3])
                disc = rng.choice([0, 0, 0, 0, 1000, 5000]) if qty * prices[v] > 5000 else 0
                subtotal += qty * prices[v] - disc
                lc.row(line_id, order_id, v, f"SKU-{v:05d}", f"Produk {(v - 1) // 5 + 1:03d}", qty, prices[v], disc,
                       "", "f")
                mc.row(v, warehouse, "reserve", 0, qty, f"order:{order_id}", "", placed.isoformat())
            shipping = rng.choice([0, 9000, 12000, 15000, 20000])
            discount = rng.choice([0, 0, 0, 5000, 10000]) if subtotal > 100_000 else 0
            commission, fixed = fees[channel]
            fee = round(subtotal * commission / 100) + fixed if commission or fixed else 0
            total = subtotal + shipping - discount
            paid = placed + timedelta(minutes=rng.randint(1, 240)) if status != "awaiting_payment" else None
            ship_by = placed + timedelta(days=2)
            shipped = (paid + timedelta(hours=rng.uniform(2, 60))) if status in (
                "shipped", "delivered", "completed") and paid else None
            delivered = shipped + timedelta(days=rng.uniform(1, 6)) if shipped and status in (
                "delivered", "completed") else None
            completed = delivered + timedelta(days=3) if delivered and status == "completed" else None
            cancelled = placed + timedelta(hours=5) if status == "cancelled" else None
            iso = placed.isoformat()
            oc.row(order_id, channel, "", f"B-{order_id:07d}", customer, status, iso, subtotal, shipping, discount,
                   fee, total, "bank_transfer", f"Pelanggan {customer}", "", "Jl. Contoh 1", city, province, "", "",
                   "", "api", paid.isoformat() if paid else None, shipped.isoformat() if shipped else None,
                   delivered.isoformat() if delivered else None, completed.isoformat() if completed else None,
                   cancelled.isoformat() if cancelled else None, "", "", "[]", "f", f"k{order_id}", "", iso, iso,
                   ship_by.isoformat())
            if status != "cancelled" and rng.random() < 0.02:
                refunds += 1
                pc.row(order_id, order_id, "bank_transfer", "", "paid", f"PAY-{order_id}", total, 0, total, total, 0,
                       min(total, 20_000), "", "", "", "", iso, iso, paid.isoformat() if paid else iso)
                rc.row(order_id, order_id, min(total, 20_000), "return", "retur sebagian", "", iso)
        for copier in (oc, lc, mc, pc, rc):
            copier.close()
        for table, column in (("orders_order", "id"), ("orders_orderline", "id"), ("orders_customer", "id"),
                              ("catalog_product", "id"), ("catalog_productvariant", "id"),
                              ("channels_channel", "id"), ("catalog_warehouse", "id"), ("payments_payment", "id")):
            sql = f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), (SELECT MAX({column}) FROM {table}))"  # noqa: S608
            cur.execute(sql)  # table and column names are the constants above
        # visits and spend for the conversion and acquisition reports
        vc = Copier(cur, "analytics_channelvisits", ["channel_id", "day", "product_id", "visits", "source",
                                                     "updated_at"])
        day = start.date()
        while day <= now.date():
            for channel in channel_ids:
                vc.row(channel, day.isoformat(), None, rng.randint(500, 6000), "bench", now.isoformat())
            day += timedelta(days=1)
        vc.close()
        month = start.date().replace(day=1)
        while month <= now.date():
            for channel in channel_ids:
                cur.execute("INSERT INTO analytics_marketingspend (channel_id, month, amount, note, updated_at) "
                            "VALUES (%s, %s, %s, '', now())", [channel, month, rng.choice([0, 2_000_000, 8_000_000])])
            month = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
        counts.update(orders=orders, lines=line_id, refunds=refunds)
    return counts


def _has_column(cur, table: str, column: str) -> bool:
    cur.execute("SELECT 1 FROM information_schema.columns WHERE table_name = %s AND column_name = %s",
                [table, column])
    return cur.fetchone() is not None


def time_reports(*, repeats: int) -> dict[str, dict]:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client

    from analytics.reports import REPORTS
    from core import roles

    roles.sync_role_permissions()
    user, _ = get_user_model().objects.get_or_create(username="bench-owner")
    user.groups.add(Group.objects.get(name=roles.OWNER))
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    today = date.today()
    last_month_end = today.replace(day=1) - timedelta(days=1)
    queries = [
        "",
        f"?start={last_month_end.replace(day=1)}&end={last_month_end}",
        "?channel=1",
        "?province=Jawa%20Barat",
        "?category=Hijab",
        "?warehouse=2",
        f"?start={today - timedelta(days=89)}&end={today}",
        f"?start={today - timedelta(days=364)}&end={today}&granularity=week",
        "?city=Bandung&channel=2",
        "?product=17",
    ]
    results = {}
    for name in REPORTS:
        timings = []
        for q in queries:  # warm-up: one pass over the filters
            assert client.get(f"/dashboard/reports/{name}/{q}").status_code == 200
        for _ in range(repeats):
            for q in queries:
                t0 = time.perf_counter()
                response = client.get(f"/dashboard/reports/{name}/{q}")
                timings.append((time.perf_counter() - t0) * 1000)
                assert response.status_code == 200, (name, q, response.status_code)
        timings.sort()
        per_query = {}
        results[name] = {"n": len(timings), "p50": statistics.median(timings),
                         "p95": timings[int(len(timings) * 0.95) - 1], "max": timings[-1], "per_query": per_query}
    t0 = time.perf_counter()
    assert client.get("/dashboard/").status_code == 200
    results["home"] = {"n": 1, "p50": (time.perf_counter() - t0) * 1000, "p95": (time.perf_counter() - t0) * 1000,
                       "max": 0, "per_query": {}}
    return results


def freshness(*, new_orders: int, cancels: int) -> dict:
    from django.db import transaction

    from analytics.models import OrderFact
    from analytics.services.rollups import rollup_refresh
    from orders.models import Order
    from orders.services import CustomerInput, LineInput, order_cancel, order_create

    rollup_refresh()  # nothing pending
    from django.db.models import F

    from catalog.models import StockLevel

    in_stock = list(StockLevel.objects.filter(on_hand__gt=F("reserved") + 5).order_by("variant_id")
                    .values_list("variant_id", flat=True).distinct()[:new_orders])
    created = []
    for i, variant_id in enumerate(in_stock):
        with transaction.atomic():
            order = order_create(channel_id=1 + i % 8, lines=[LineInput(variant_id=variant_id, quantity=1)],
                                 customer=CustomerInput(name="Baru", phone=f"+62813{i:08d}"),
                                 payment_method="bank_transfer")
        created.append(order.pk)
    old = list(Order.objects.filter(status="paid").order_by("?").values_list("pk", flat=True)[:cancels])
    for order_id in old:
        order_cancel(order_id=order_id, reason="bench")
    t0 = time.perf_counter()
    result = rollup_refresh()
    refresh_s = time.perf_counter() - t0
    seen = OrderFact.objects.filter(order_id__in=created).count()
    cancelled = OrderFact.objects.filter(order_id__in=old, cancelled_orders=1).count()
    return {"keys": result.keys, "orders": result.orders, "refresh_s": refresh_s, "new_seen": seen,
            "new": len(created), "cancelled_seen": cancelled, "cancelled": len(old)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=3, help="passes over the filter mix per report")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="use the existing database (skip generation)")
    parser.add_argument("--write-docs", action="store_true", help="append the figures to docs/BENCHMARKS.md")
    args = parser.parse_args()
    db_url = os.environ.get("DATABASE_URL", "")
    if not db_url.endswith("_bench"):
        sys.exit("Set DATABASE_URL to a database whose name ends in _bench: it is dropped and created.")
    name = urlparse(db_url).path.strip("/")
    figures: dict = {}
    if not args.reuse:
        _admin_sql(db_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _admin_sql(db_url, f'CREATE DATABASE "{name}"')
    _django(db_url)
    from django.core.management import call_command
    from django.db import connection

    if not args.reuse:
        call_command("migrate", verbosity=0)
        t0 = time.perf_counter()
        try:
            figures["counts"] = generate(orders=args.orders, customers=args.customers, seed=args.seed)
        except BaseException:  # a COPY left open would make the rollback wait forever: say why and stop
            import traceback

            traceback.print_exc()
            os._exit(1)
        figures["generate_s"] = time.perf_counter() - t0
        print(f"generated {figures['counts']} in {figures['generate_s']:.1f} s", flush=True)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        from analytics.services.rollups import rollup_rebuild

        t0 = time.perf_counter()
        rollup_rebuild()
        figures["rebuild_s"] = time.perf_counter() - t0
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(f"facts and rollups built in {figures['rebuild_s']:.1f} s", flush=True)
    from analytics.services.customer_model import customer_model_fit

    fit = customer_model_fit()
    figures["fit"] = {"customers": fit.customers, "seconds": fit.seconds, "error": fit.error}
    print(f"customer model: {fit.customers} customers in {fit.seconds:.1f} s {fit.error}", flush=True)
    figures["reports"] = time_reports(repeats=args.repeats)
    for report, r in figures["reports"].items():
        print(f"{report:12s} n={r['n']:3d} p50={r['p50']:6.1f} ms p95={r['p95']:6.1f} ms max={r['max']:6.1f} ms",
              flush=True)
    figures["freshness"] = freshness(new_orders=50, cancels=50)
    print(f"freshness: {figures['freshness']}", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname, n_live_tup FROM pg_stat_user_tables WHERE relname LIKE 'analytics_%%' "
                       "ORDER BY relname")
        figures["tables"] = dict(cursor.fetchall())
    if args.write_docs:
        _write_docs(figures, args)
    connection.close()
    if not args.keep:
        _admin_sql(db_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _write_docs(figures: dict, args) -> None:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=ROOT).stdout.strip()
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    lines = [
        "", f"## Reports on {args.orders:,} orders (bench/analytics.py)", "",
        f"`{commit}`, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores ({cpu}), "
        f"PostgreSQL on the same machine, other engineers' jobs sharing it. Command:", "",
        "    DATABASE_URL=postgres://postgres@127.0.0.1:5432/oms_ana_bench REDIS_URL=redis://127.0.0.1:6379/8 \\",
        f"        nice .venv/bin/python bench/analytics.py --orders {args.orders} --customers {args.customers} "
        f"--repeats {args.repeats} --write-docs", "",
    ]
    if "counts" in figures:
        c = figures["counts"]
        lines += [
            f"- Data: {c['orders']:,} orders, {c['lines']:,} lines, {c['customers']:,} customers, {c['variants']:,} "
            f"variants, {c['channels']} channels, 2 years, {c['refunds']:,} refunds; generated with COPY in "
            f"**{figures['generate_s']:.0f} s** (target <= 180 s).",
            f"- Facts and rollups built from scratch (`rollup_rebuild`): {figures['rebuild_s']:.0f} s.",
        ]
    lines.append("- Derived tables: " + ", ".join(f"{k.removeprefix('analytics_')} {v:,}"
                                                    for k, v in figures["tables"].items() if v))
    f = figures["fit"]
    lines.append(f"- Nightly customer model (RFM, BG/NBD + Gamma-Gamma, cohorts) over {f['customers']:,} customers: "
                 f"**{f['seconds']:.0f} s** (target <= 120 s){' ' + f['error'] if f['error'] else ''}.")
    fr = figures["freshness"]
    lines.append(
        f"- Freshness: {fr['new']} new orders and {fr['cancelled']} cancellations of old orders (marked by the hooks "
        f"after commit) -> one refresh recomputed {fr['keys']} keys ({fr['orders']:,} orders) in "
        f"**{fr['refresh_s']:.1f} s**; {fr['new_seen']}/{fr['new']} new and {fr['cancelled_seen']}/{fr['cancelled']} "
        f"cancelled visible after it. With the beat job every 15 s a change shows within "
        f"**{15 + fr['refresh_s']:.0f} s** (target <= 60 s).")
    lines += ["", "Report pages (full HTML as the owner, over the filter mix: last 30 days, last month, a channel, a "
              "province, a category, a warehouse, 90 days, a year by week, a city and channel, a product):", "",
              "| Page | Requests | p50 ms | p95 ms | max ms |", "|---|---:|---:|---:|---:|"]
    for name, r in figures["reports"].items():
        lines.append(f"| {name} | {r['n']} | {r['p50']:.0f} | **{r['p95']:.0f}** | {r['max']:.0f} |")
    with (ROOT / "docs" / "BENCHMARKS.md").open("a") as out:
        out.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
