"""Reports on 1,000,000 orders: data generation with COPY, rollup build, report p95, freshness, CLTV fit.

Steps (`--step`, repeatable; default all), each a separate hold of /work/bin/cpu-exclusive under
10 minutes at 1,000,000 orders; the database (name ending in _bench) is kept between steps and the
figures gathered so far are in var/bench/<database>.json:

generate   drops and recreates the database, migrates, and loads with COPY (numpy-drawn rows
           streamed in chunks, tables truncated in the same transaction so COPY can FREEZE, the
           bulk tables' secondary indexes and foreign keys dropped before and built after the
           load): 8 channels, 2 warehouses, 400 products / 2,000 variants with a cost change each,
           `--customers` customers over 100 Indonesian cities, `--orders` orders over 2 years
           (about three lines each, 7 % cancelled, 2 % with a refund), each line's stock
           reservation row, channel visits and marketing spend (target: <= 3 minutes); then
           VACUUM ANALYZE and the starting SOP handbook;
rollups    every fact and rollup from scratch (`rollup_rebuild`), then VACUUM ANALYZE;
fit        the nightly customer model (RFM, BG/NBD + Gamma-Gamma, cohorts) (target: <= 2 minutes);
reports    every report page (HTML, as the owner) and its /api/v1/reports/<name>/ JSON over ten
           filter sets, the SOP compliance page over four ranges and the dashboard home: p50/p95
           per page after one warm-up pass (target: p95 <= 200 ms); `--only` limits the pages;
freshness  new orders through `order_create` and cancellations through `order_cancel`, then one
           `rollup_refresh` as the 15-second beat job runs it (target: beat + refresh <= 60 s).

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/oms_ana_bench REDIS_URL=redis://127.0.0.1:6379/5
    /work/bin/cpu-exclusive .venv/bin/python bench/analytics.py --step generate --step rollups
    /work/bin/cpu-exclusive .venv/bin/python bench/analytics.py --step fit
    /work/bin/cpu-exclusive .venv/bin/python bench/analytics.py --step reports --repeats 1 --write-docs
    /work/bin/cpu-exclusive .venv/bin/python bench/analytics.py --step freshness
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
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


# --- generation: numpy arrays streamed into COPY ---------------------------------------------

# Tables the bulk load fills; their secondary (non-unique) indexes and foreign keys are dropped
# before the load and built after it, as a real bulk load does (the primary keys and unique
# constraints stay: their keys arrive in order, so maintaining them costs little).
BULK_TABLES = ("orders_customer", "orders_order", "orders_orderline", "catalog_stockmovement", "payments_payment",
               "payments_refund")
CHUNK = 100_000


def _fill_columns(cur, table: str, columns: list[str]) -> tuple[list[str], str]:
    """NOT NULL columns without a database default that the bench does not set (other apps add
    fields over time): their neutral value, so COPY keeps working as the schema grows."""
    cur.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s "
        "AND is_nullable = 'NO' AND column_default IS NULL AND is_identity = 'NO' ORDER BY ordinal_position",
        [table])
    extra, values = [], []
    for column, data_type in cur.fetchall():
        if column in columns:
            continue
        value = {"boolean": "f", "jsonb": "{}", "json": "{}", "date": "1970-01-01",
                 "timestamp with time zone": "1970-01-01T00:00:00+00"}.get(data_type)
        if value is None:
            value = "0" if data_type in ("integer", "bigint", "smallint", "numeric", "double precision", "real") else ""
        extra.append(column)
        values.append(value)
    return extra, "".join("\t" + v for v in values)


def _copy_rows(cur, table: str, columns: list[str], rows, *, freeze: bool = True) -> int:
    """Stream `rows` (an iterable of already tab-joined lines, in chunks) into one COPY."""
    extra, suffix = _fill_columns(cur, table, columns)
    n = 0
    options = " WITH (FREEZE)" if freeze else ""
    with cur.copy(f"COPY {table} ({', '.join([*columns, *extra])}) FROM STDIN{options}") as copy:
        for chunk in rows:
            if suffix:
                chunk = [line + suffix for line in chunk]
            copy.write("\n".join(chunk) + "\n")
            n += len(chunk)
    return n


def _ts(seconds, base: int):
    """Epoch-second offsets (numpy int64) -> ISO strings in UTC for COPY; NaT-free input."""
    import numpy as np

    return [s + "+00" for s in np.datetime_as_string((seconds + base).astype("datetime64[s]"), unit="s").tolist()]


def _ts_or_null(seconds, valid, base: int):
    strings = _ts(seconds, base)
    return [s if ok else "\\N" for s, ok in zip(strings, valid.tolist(), strict=True)]


def _chunks(n: int, make_rows):
    for lo in range(0, n, CHUNK):
        yield make_rows(lo, min(n, lo + CHUNK))


def _drop_secondary(cur) -> list[str]:
    """Drop the bulk tables' non-unique indexes and foreign keys; return the DDL that restores them."""
    restore = []
    cur.execute(
        "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
        "WHERE c.contype = 'f' AND c.conrelid::regclass::text = ANY(%s) ORDER BY 1, 2", [list(BULK_TABLES)])
    for table, name, definition in cur.fetchall():
        cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        restore.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    cur.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "WHERE i.indrelid::regclass::text = ANY(%s) AND NOT i.indisunique ORDER BY 1", [list(BULK_TABLES)])
    for name, definition in cur.fetchall():
        cur.execute(f"DROP INDEX {name}")
        restore.insert(0, definition)
    return restore


def generate(*, orders: int, customers: int, seed: int) -> dict:
    """Everything with COPY in one transaction (tables truncated first so COPY can FREEZE); returns
    counts and per-phase seconds. Rows are drawn with numpy and streamed to COPY in chunks of
    100,000 lines while PostgreSQL parses the previous chunk on the other core."""
    import numpy as np
    from django.db import connection, transaction

    timings: dict[str, float] = {}
    t_phase = time.perf_counter()

    def phase(name: str) -> None:
        nonlocal t_phase
        now_ = time.perf_counter()
        timings[name] = round(now_ - t_phase, 1)
        t_phase = now_
        print(f"  {name}: {timings[name]:.1f} s", flush=True)

    rng = random.Random(seed)
    g = np.random.default_rng(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(days=730)
    base = int(start.timestamp())
    span = int((now - start).total_seconds())
    start_iso = start.isoformat()
    counts: dict = {}
    with transaction.atomic(), connection.cursor() as django_cursor:
        cur = django_cursor.cursor
        cur.execute("SET LOCAL synchronous_commit = off")
        cur.execute("SET LOCAL maintenance_work_mem = '512MB'")
        cur.execute("TRUNCATE " + ", ".join(BULK_TABLES) + " CASCADE")
        restore = _drop_secondary(cur)
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
        # products and variants with a cost change each, somewhere in the two years
        products, variants = 400, 2000
        _copy_rows(cur, "catalog_product", ["id", "name", "description", "category", "brand", "video_url",
                                            "weight_grams", "length_cm", "width_cm", "height_cm", "is_active",
                                            "created_at", "updated_at"],
                   [[f"{p}\tProduk {p:03d}\t\t{CATEGORIES[p % len(CATEGORIES)]}\tRumah Kita\t\t300\t20\t15\t5\tt\t"
                     f"{start_iso}\t{start_iso}" for p in range(1, products + 1)]], freeze=False)
        price_choices = [29_000, 39_000, 49_000, 59_000, 79_000, 89_000, 129_000, 159_000, 199_000]
        prices = np.array([0] + [rng.choice(price_choices) for _ in range(variants)], dtype=np.int64)
        costs = np.array([0] + [int(int(prices[v]) * rng.uniform(0.35, 0.6)) for v in range(1, variants + 1)],
                         dtype=np.int64)
        _copy_rows(cur, "catalog_productvariant", ["id", "product_id", "sku", "name", "attributes", "barcode",
                                                   "cost_amount", "price_amount", "low_stock_threshold", "is_active"],
                   [[f"{v}\t{(v - 1) // 5 + 1}\tSKU-{v:05d}\tVarian {v % 5}\t{{}}\t\t{costs[v]}\t{prices[v]}\t5\tt"
                     for v in range(1, variants + 1)]], freeze=False)
        history = []
        for v in range(1, variants + 1):
            changed = (start + timedelta(days=rng.randint(200, 500))).isoformat()
            history.append(f"{v}\t{int(costs[v] * 0.92)}\t0\tInitial cost\t{start_iso}")
            history.append(f"{v}\t{costs[v]}\t{int(costs[v] * 0.92)}\tharga beli naik\t{changed}")
        _copy_rows(cur, "catalog_variantcosthistory", ["variant_id", "cost_amount", "previous_amount", "note",
                                                       "effective_at"], [history], freeze=False)
        levels = [f"{v}\t{w}\t{rng.choice([0, 0, 3, 20, 60, 150, 400])}\t0"
                  for v in range(1, variants + 1) for w in (1, 2)]
        _copy_rows(cur, "catalog_stocklevel", ["variant_id", "warehouse_id", "on_hand", "reserved"], [levels],
                   freeze=False)
        phase("catalog")
        # customers over the cities
        city_weights = np.array([c[2] for c in CITIES], dtype=float)
        customer_city = g.choice(len(CITIES), size=customers + 1, p=city_weights / city_weights.sum())
        cities = [f"{c[0]}\t{c[1]}" for c in CITIES]

        def customer_rows(lo: int, hi: int) -> list[str]:
            cc = customer_city[lo + 1:hi + 1].tolist()
            return [f"{c}\tPelanggan {c}\t+62812{c:08d}\t\t{cities[k]}\t\t{start_iso}"
                    for c, k in zip(range(lo + 1, hi + 1), cc, strict=True)]

        _copy_rows(cur, "orders_customer", ["id", "name", "phone", "email", "city", "province", "notes", "created_at"],
                   _chunks(customers, customer_rows))
        counts.update(channels=len(CHANNELS), variants=variants, customers=customers)
        phase("customers")
        # orders: every column drawn at once as numpy arrays
        n = orders
        chan_w = np.array([c[3] for c in CHANNELS], dtype=float)
        channel = g.choice(len(CHANNELS), size=n, p=chan_w / chan_w.sum()) + 1
        # customers buy repeatedly with a skewed frequency; orders spread over two years with growth
        activity = g.pareto(1.3, size=customers) + 1
        customer = g.choice(customers, size=n, p=activity / activity.sum()) + 1
        placed = np.sort((span * g.random(n) ** 0.8).astype(np.int64))
        status_names = [s for s, _w in STATUSES]
        status_w = np.array([w for _s, w in STATUSES], dtype=float)
        status = g.choice(len(STATUSES), size=n, p=status_w / status_w.sum())
        recent = (span - placed) < 3 * 86400
        s_completed, s_delivered, s_shipped, s_processing = (status_names.index(s) for s in (
            "completed", "delivered", "shipped", "processing"))
        status[recent & ((status == s_completed) | (status == s_delivered))] = s_processing
        # lines: 1-5 per order (about three), distinct variants per order, a warehouse per order
        n_lines = np.array([1, 1, 2, 3, 3, 4, 5, 5])[g.integers(0, 8, size=n)]
        total_lines = int(n_lines.sum())
        line_order = np.repeat(np.arange(1, n + 1), n_lines)
        first_line = np.cumsum(n_lines) - n_lines
        pos = np.arange(total_lines) - np.repeat(first_line, n_lines)
        first_variant = np.repeat(g.integers(0, variants, size=n), n_lines)
        stride = np.repeat(g.integers(1, variants // 5, size=n), n_lines)
        variant = (first_variant + pos * stride) % variants + 1
        qty = np.array([1, 1, 1, 2, 3])[g.integers(0, 5, size=total_lines)]
        unit_price = prices[variant]
        line_disc = np.array([0, 0, 0, 0, 1000, 5000])[g.integers(0, 6, size=total_lines)]
        line_disc[qty * unit_price <= 5000] = 0
        subtotal = np.bincount(line_order - 1, weights=qty * unit_price - line_disc, minlength=n).astype(np.int64)
        warehouse = np.where(g.random(n) < 0.7, 1, 2)
        shipping = np.array([0, 9000, 12000, 15000, 20000])[g.integers(0, 5, size=n)]
        discount = np.array([0, 0, 0, 5000, 10000])[g.integers(0, 5, size=n)]
        discount[subtotal <= 100_000] = 0
        commission = np.array([0.0] + [c[4] for c in CHANNELS])[channel]
        fixed = np.array([0] + [c[5] for c in CHANNELS])[channel]
        fee = np.where((commission > 0) | (fixed > 0), np.rint(subtotal * commission / 100).astype(np.int64) + fixed, 0)
        total = subtotal + shipping - discount
        is_paid = status != status_names.index("awaiting_payment")
        paid = placed + g.integers(1, 241, size=n) * 60
        is_shipped = is_paid & np.isin(status, [s_shipped, s_delivered, s_completed])
        shipped = paid + (g.uniform(2, 60, size=n) * 3600).astype(np.int64)
        is_delivered = is_shipped & np.isin(status, [s_delivered, s_completed])
        delivered = shipped + (g.uniform(1, 6, size=n) * 86400).astype(np.int64)
        is_completed = is_delivered & (status == s_completed)
        completed = delivered + 3 * 86400
        is_cancelled = status == status_names.index("cancelled")
        cancelled = placed + 5 * 3600
        ship_by = placed + 2 * 86400
        refunded = ~is_cancelled & (g.random(n) < 0.02)
        phase("orders drawn")

        def order_rows(lo: int, hi: int) -> list[str]:
            sl = slice(lo, hi)
            placed_s = _ts(placed[sl], base)
            cols = zip(range(lo + 1, hi + 1), channel[sl].tolist(), customer[sl].tolist(),
                       [status_names[s] for s in status[sl].tolist()], placed_s, subtotal[sl].tolist(),
                       shipping[sl].tolist(), discount[sl].tolist(), fee[sl].tolist(), total[sl].tolist(),
                       customer_city[customer[sl]].tolist(),
                       _ts_or_null(paid[sl], is_paid[sl], base), _ts_or_null(shipped[sl], is_shipped[sl], base),
                       _ts_or_null(delivered[sl], is_delivered[sl], base),
                       _ts_or_null(completed[sl], is_completed[sl], base),
                       _ts_or_null(cancelled[sl], is_cancelled[sl], base), _ts(ship_by[sl], base), strict=True)
            return [f"{o}\t{ch}\t\tB-{o:07d}\t{cu}\t{st}\t{pl}\t{su}\t{sh}\t{di}\t{fe}\t{to}\tbank_transfer\t"
                    f"Pelanggan {cu}\t\tJl. Contoh 1\t{cities[ci]}\t\t\t\tapi\t{pa}\t{sp}\t{de}\t{co}\t{ca}\t\t\t[]\t"
                    f"f\tk{o}\t\t{pl}\t{pl}\t{sb}"
                    for o, ch, cu, st, pl, su, sh, di, fe, to, ci, pa, sp, de, co, ca, sb in cols]

        _copy_rows(cur, "orders_order", [
            "id", "channel_id", "external_id", "number", "customer_id", "status", "placed_at", "subtotal_amount",
            "shipping_amount", "discount_amount", "marketplace_fee_amount", "total_amount", "payment_method",
            "shipping_name", "shipping_phone", "shipping_address", "shipping_city", "shipping_province",
            "shipping_postal_code", "courier", "tracking_number", "source", "paid_at", "shipped_at", "delivered_at",
            "completed_at", "cancelled_at", "cancel_reason", "notes", "tags", "is_oversold", "access_key",
            "marketplace_status", "created_at", "updated_at", "ship_by"], _chunks(n, order_rows))
        phase("orders")
        line_placed = placed[line_order - 1]
        line_warehouse = warehouse[line_order - 1]

        def line_rows(lo: int, hi: int) -> list[str]:
            sl = slice(lo, hi)
            return [f"{i}\t{o}\t{v}\tSKU-{v:05d}\tProduk {(v - 1) // 5 + 1:03d}\t{q}\t{p}\t{d}\t\tf"
                    for i, o, v, q, p, d in zip(range(lo + 1, hi + 1), line_order[sl].tolist(), variant[sl].tolist(),
                                                qty[sl].tolist(), unit_price[sl].tolist(), line_disc[sl].tolist(),
                                                strict=True)]

        _copy_rows(cur, "orders_orderline", ["id", "order_id", "variant_id", "sku", "name", "quantity",
                                             "unit_price_amount", "discount_amount", "external_line_id",
                                             "stock_reserved"], _chunks(total_lines, line_rows))
        phase("lines")

        def movement_rows(lo: int, hi: int) -> list[str]:
            sl = slice(lo, hi)
            return [f"{i}\t{v}\t{w}\treserve\t0\t{q}\torder:{o}\t\t{t}"
                    for i, v, w, q, o, t in zip(range(lo + 1, hi + 1), variant[sl].tolist(),
                                                line_warehouse[sl].tolist(), qty[sl].tolist(),
                                                line_order[sl].tolist(), _ts(line_placed[sl], base), strict=True)]

        _copy_rows(cur, "catalog_stockmovement", ["id", "variant_id", "warehouse_id", "kind", "on_hand_change",
                                                  "reserved_change", "reference", "reason", "created_at"],
                   _chunks(total_lines, movement_rows))
        phase("stock movements")
        # 2 % of the kept orders have a partial refund (a return) on their payment
        r_ids = np.flatnonzero(refunded) + 1
        r_total = total[r_ids - 1].tolist()
        r_placed = _ts(placed[r_ids - 1], base)
        r_paid = [p if ok else q for p, q, ok in zip(_ts(paid[r_ids - 1], base), r_placed,
                                                     is_paid[r_ids - 1].tolist(), strict=True)]
        _copy_rows(cur, "payments_payment", [
            "id", "order_id", "method", "provider", "status", "reference", "base_amount", "unique_code", "amount",
            "received_amount", "fee_amount", "refunded_amount", "provider_reference", "provider_status",
            "checkout_url", "checkout_reference", "created_at", "updated_at", "paid_at"],
            [[f"{o}\t{o}\tbank_transfer\t\tpaid\tPAY-{o}\t{t}\t0\t{t}\t{t}\t0\t{min(t, 20_000)}\t\t\t\t\t{p}\t{p}\t{q}"
              for o, t, p, q in zip(r_ids.tolist(), r_total, r_placed, r_paid, strict=True)]])
        _copy_rows(cur, "payments_refund", ["id", "payment_id", "order_id", "amount", "kind", "reason", "reference",
                                            "created_at"],
                   [[f"{o}\t{o}\t{o}\t{min(t, 20_000)}\treturn\tretur sebagian\t\t{p}"
                     for o, t, p in zip(r_ids.tolist(), r_total, r_placed, strict=True)]])
        for table in ("orders_order", "orders_orderline", "orders_customer", "catalog_product",
                      "catalog_productvariant", "channels_channel", "catalog_warehouse", "payments_payment",
                      "payments_refund", "catalog_stockmovement"):
            sql = f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"  # noqa: S608
            cur.execute(sql)  # table names are the constants above
        # visits and spend for the conversion and acquisition reports
        visits = []
        day = start.date()
        while day <= now.date():
            for ch in range(1, len(CHANNELS) + 1):
                visits.append(f"{ch}\t{day.isoformat()}\t\\N\t{rng.randint(500, 6000)}\tbench\t{now.isoformat()}")
            day += timedelta(days=1)
        _copy_rows(cur, "analytics_channelvisits", ["channel_id", "day", "product_id", "visits", "source",
                                                    "updated_at"], [visits], freeze=False)
        month = start.date().replace(day=1)
        while month <= now.date():
            for ch in range(1, len(CHANNELS) + 1):
                cur.execute("INSERT INTO analytics_marketingspend (channel_id, month, amount, note, updated_at) "
                            "VALUES (%s, %s, %s, '', now())", [ch, month, rng.choice([0, 2_000_000, 8_000_000])])
            month = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
        phase("refunds, visits, spend")
        # the indexes and foreign keys, built once over the loaded rows
        for ddl in restore:
            cur.execute(ddl)
        phase(f"indexes and foreign keys ({len(restore)})")
        counts.update(orders=n, lines=total_lines, refunds=len(r_ids), movements=total_lines)
    phase("commit")
    counts["phases"] = timings
    return counts


def _timed(client, url: str, timings: list, per_query: dict, key: str) -> None:
    t0 = time.perf_counter()
    response = client.get(url)
    ms = (time.perf_counter() - t0) * 1000
    assert response.status_code == 200, (url, response.status_code)
    timings.append(ms)
    per_query[key] = max(per_query.get(key, 0), ms)


def _summary(timings: list, per_query: dict) -> dict:
    timings = sorted(timings)
    slowest = max(per_query, key=per_query.get) if per_query else ""
    return {"n": len(timings), "p50": statistics.median(timings),
            "p95": timings[max(0, round(len(timings) * 0.95) - 1)], "max": timings[-1],
            "slowest": f"{slowest or '(none)'} {per_query.get(slowest, 0):.0f} ms", "per_query": per_query}


def time_reports(*, repeats: int, only: list[str] | None = None) -> dict[str, dict]:
    """p50/p95 per page over the filter mix: every report page (HTML) and its JSON API, the compliance
    page over four ranges, and the dashboard home; one warm-up pass first."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client

    from analytics.reports import REPORTS
    from core import roles

    roles.sync_role_permissions()
    user, _ = get_user_model().objects.get_or_create(username="bench-owner", defaults={"is_staff": True})
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
    pages = {}
    for name in REPORTS:
        pages[name] = [(q or "(default)", f"/dashboard/reports/{name}/{q}") for q in queries]
        pages[f"api:{name}"] = [(q or "(default)", f"/api/v1/reports/{name}/{q}") for q in queries]
    ranges = ["", f"?start={last_month_end.replace(day=1)}&end={last_month_end}",
              f"?start={today - timedelta(days=89)}&end={today}", f"?start={today - timedelta(days=6)}&end={today}"]
    pages["compliance"] = [(q or "(default)", f"/dashboard/sop/compliance/{q}") for q in ranges]
    pages["home"] = [("(home)", "/dashboard/")] * 3
    results = {}
    for page, urls in pages.items():
        if only and page not in only and page.removeprefix("api:") not in only:
            continue
        timings: list[float] = []
        per_query: dict[str, float] = {}
        try:
            for _key, url in urls:  # warm-up: one pass over the filters
                assert client.get(url).status_code == 200, url
            for _ in range(repeats):
                for key, url in urls:
                    _timed(client, url, timings, per_query, key)
        except AssertionError as exc:  # a failing page is reported, the others still measured
            print(f"  {page}: FAILED {exc}", flush=True)
            continue
        results[page] = _summary(timings, per_query)
        r = results[page]
        print(f"  {page:16s} p50={r['p50']:6.1f} p95={r['p95']:6.1f} slowest={r['slowest']}", flush=True)
    return results


def freshness(*, new_orders: int, cancels: int) -> dict:
    from django.core.cache import cache
    from django.db import transaction

    from analytics.models import OrderFact
    from analytics.services.rollups import SCAN_CACHE_KEY, rollup_mark_packing_changes, rollup_refresh
    from orders.models import Order
    from orders.services import CustomerInput, LineInput, order_cancel, order_create

    # The beat job's memory (last scan, packing costs seen) may come from another data set sharing
    # the Redis database (the test suite): start it from this one, then drain whatever is pending,
    # so the refresh timed below is the steady-state one of the beat job.
    cache.delete("analytics:packing-costs")
    rollup_mark_packing_changes()
    cache.set(SCAN_CACHE_KEY, datetime.now(UTC), timeout=3600)
    drained = 0
    while True:
        pending = rollup_refresh()
        drained += pending.keys
        if pending.remaining <= 0:
            break
    print(f"  drained {drained} keys left dirty before the measurement", flush=True)
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


STEPS = ("generate", "rollups", "fit", "reports", "freshness")


def _figures_path(db_name: str) -> Path:
    return ROOT / "var" / "bench" / f"{db_name}.json"


def _load_figures(db_name: str) -> dict:
    import json

    path = _figures_path(db_name)
    return json.loads(path.read_text()) if path.exists() else {}


def _save_figures(db_name: str, figures: dict) -> None:
    import json

    path = _figures_path(db_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(figures, indent=1, default=str))


def _load() -> str:
    """The 1/5/15-minute load averages, as `uptime` shows them."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=3, help="passes over the filter mix per report")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--step", choices=STEPS, action="append",
                        help="run only these steps (repeatable); the data set stays in the database between "
                             "steps and the figures in var/bench/<database>.json. Default: all steps.")
    parser.add_argument("--only", help="reports step: only these reports (comma-separated)")
    parser.add_argument("--write-docs", action="store_true", help="print the figures as a docs/BENCHMARKS.md section")
    args = parser.parse_args()
    db_url = os.environ.get("DATABASE_URL", "")
    if not db_url.endswith("_bench"):
        sys.exit("Set DATABASE_URL to a database whose name ends in _bench: it is dropped and created.")
    name = urlparse(db_url).path.strip("/")
    steps = args.step or list(STEPS)
    figures = _load_figures(name) if "generate" not in steps else {}
    if "generate" in steps:
        _admin_sql(db_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _admin_sql(db_url, f'CREATE DATABASE "{name}"')
    _django(db_url)
    from django.core.management import call_command
    from django.db import connection

    if "generate" in steps:
        t0 = time.perf_counter()
        call_command("migrate", verbosity=0)
        figures["migrate_s"] = time.perf_counter() - t0
        print(f"migrated in {figures['migrate_s']:.1f} s (not counted)", flush=True)
        figures["load_before"] = _load()
        t0 = time.perf_counter()
        try:
            figures["counts"] = generate(orders=args.orders, customers=args.customers, seed=args.seed)
        except BaseException:  # a COPY left open would make the rollback wait forever: say why and stop
            import traceback

            traceback.print_exc()
            os._exit(1)
        figures["generate_s"] = time.perf_counter() - t0
        print(f"generated {figures['counts']} in {figures['generate_s']:.1f} s", flush=True)
        t0 = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")
        figures["analyze_s"] = time.perf_counter() - t0
        figures["load_after_generate"] = _load()
        from sop.handbook_id import handbook_load

        handbook_load()  # the starting SOP, so the compliance page measures its targets
        print(f"vacuum analyze {figures['analyze_s']:.1f} s; load {figures['load_after_generate']}", flush=True)
        _save_figures(name, figures)
    if "rollups" in steps:
        from analytics.services.rollups import rollup_rebuild

        t0 = time.perf_counter()
        rollup_rebuild()
        figures["rebuild_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE) analytics_orderfact, analytics_linefact, analytics_salesdaily, "
                           "analytics_geodaily, analytics_productdaily, analytics_customerfact, "
                           "analytics_productmonthly, analytics_variantmonthly, analytics_geomonthly, "
                           "analytics_activitymonthly, analytics_categorydaily, analytics_categorymonthly")
        figures["rebuild_analyze_s"] = time.perf_counter() - t0
        figures["load_after_rollups"] = _load()
        print(f"facts and rollups built in {figures['rebuild_s']:.1f} s "
              f"(+ analyze {figures['rebuild_analyze_s']:.1f} s); load {figures['load_after_rollups']}", flush=True)
        _save_figures(name, figures)
    if "fit" in steps:
        from analytics.services.customer_model import customer_model_fit

        fit = customer_model_fit()
        figures["fit"] = {"customers": fit.customers, "seconds": fit.seconds, "error": fit.error, "load": _load()}
        print(f"customer model: {fit.customers} customers in {fit.seconds:.1f} s {fit.error}; load {_load()}",
              flush=True)
        _save_figures(name, figures)
    if "reports" in steps:
        only = args.only.split(",") if args.only else None
        reports = time_reports(repeats=args.repeats, only=only)
        figures.setdefault("reports", {}).update(reports)
        figures["load_after_reports"] = _load()
        for report, r in reports.items():
            print(f"{report:12s} n={r['n']:3d} p50={r['p50']:6.1f} ms p95={r['p95']:6.1f} ms max={r['max']:6.1f} ms "
                  f"slowest={r['slowest']}", flush=True)
        print(f"load {_load()}", flush=True)
        _save_figures(name, figures)
    if "freshness" in steps:
        figures["freshness"] = freshness(new_orders=50, cancels=50)
        figures["freshness"]["load"] = _load()
        print(f"freshness: {figures['freshness']}", flush=True)
        _save_figures(name, figures)
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname, n_live_tup FROM pg_stat_user_tables WHERE relname LIKE 'analytics_%%' "
                       "ORDER BY relname")
        figures["tables"] = dict(cursor.fetchall())
    _save_figures(name, figures)
    if args.write_docs:
        print(_docs(figures, args))
    connection.close()


def _docs(figures: dict, args) -> str:
    """The per-page table for docs/BENCHMARKS.md from the figures gathered so far."""
    lines = ["| Page | Requests | p50 ms | p95 ms | Slowest filter |", "|---|---:|---:|---:|---|"]
    for name, r in figures.get("reports", {}).items():
        lines.append(f"| {name} | {r['n']} | {r['p50']:.0f} | **{r['p95']:.0f}** | {r['slowest']} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
