"""Benchmark: stock reservations per second on PostgreSQL with concurrent workers.

Two scenarios, each with N worker processes reserving 1 unit per call through
catalog.services.stock_reserve (one transaction, row lock, ledger row, all checks):

  spread  every call picks one of 1,000 different SKUs at random (little lock contention)
  hot     every call reserves the same SKU (all workers queue on one row lock)

Usage (against a scratch database; the script migrates it and replaces its BENCH-* data):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/oms_catalog \\
        .venv/bin/python bench/stock_reserve.py --workers 8 --seconds 15

Prints reservations/s and latency percentiles per scenario, checks that the ledger still sums to
the stock figures and that nothing went negative, and prints a Markdown table for docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKU_COUNT = 1000
PREFIX = "BENCH-"


def _django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings")
    os.environ.setdefault("DATABASE_POOL", "0")
    os.environ.setdefault("LOG_LEVEL", "warning")
    import django

    django.setup()


def _prepare(units_per_sku: int, hot_units: int) -> tuple[list[int], int]:
    from django.core.management import call_command
    from django.db import transaction

    from catalog.models import Product, ProductVariant, StockLevel, StockMovement, StockPushRequest, Warehouse

    call_command("migrate", verbosity=0, interactive=False)
    with transaction.atomic():
        StockPushRequest.objects.filter(variant__sku__startswith=PREFIX).delete()
        StockMovement.objects.filter(variant__sku__startswith=PREFIX).delete()
        StockLevel.objects.filter(variant__sku__startswith=PREFIX).delete()
        Product.objects.filter(variants__sku__startswith=PREFIX).delete()
        warehouse = Warehouse.objects.filter(is_default=True).first() or Warehouse.objects.create(
            code="utama", name="Gudang Utama", is_default=True
        )
        product = Product.objects.create(name="Bench product")
        variants = ProductVariant.objects.bulk_create(
            [ProductVariant(product=product, sku=f"{PREFIX}{i:04d}") for i in range(SKU_COUNT)]
            + [ProductVariant(product=product, sku=f"{PREFIX}HOT")]
        )
        # Opening stock through the ledger, as stock_receive would write it, in bulk.
        StockLevel.objects.bulk_create(
            [StockLevel(variant=v, warehouse=warehouse, on_hand=units_per_sku) for v in variants[:-1]]
            + [StockLevel(variant=variants[-1], warehouse=warehouse, on_hand=hot_units)]
        )
        StockMovement.objects.bulk_create(
            [StockMovement(variant=v, warehouse=warehouse, kind="receipt", on_hand_change=units_per_sku,
                           reference="bench:opening") for v in variants[:-1]]
            + [StockMovement(variant=variants[-1], warehouse=warehouse, kind="receipt", on_hand_change=hot_units,
                             reference="bench:opening")]
        )
    return [v.pk for v in variants[:-1]], variants[-1].pk


def _worker(args: tuple) -> tuple[int, int, list[float]]:
    scenario, worker, variant_ids, barrier, seconds = args
    _django()
    from django.db import connection

    from catalog.errors import OutOfStock
    from catalog.services import StockRequest, stock_reserve

    rng = random.Random(worker)
    done = short = 0
    latencies: list[float] = []
    connection.ensure_connection()
    barrier.wait()  # every process is set up and connected: start together
    deadline = time.time() + seconds
    n = 0
    while time.time() < deadline:
        variant_id = rng.choice(variant_ids)
        t0 = time.perf_counter()
        try:
            stock_reserve(reference=f"bench:{scenario}:{worker}:{n}", lines=[StockRequest(variant_id, 1)])
            done += 1
        except OutOfStock:
            short += 1
        latencies.append(time.perf_counter() - t0)
        n += 1
    connection.close()
    return done, short, latencies


def _run(scenario: str, variant_ids: list[int], workers: int, seconds: float) -> dict:
    context = get_context("spawn")
    with context.Manager() as manager, ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        barrier = manager.Barrier(workers)
        results = list(pool.map(_worker, [(scenario, w, variant_ids, barrier, seconds) for w in range(workers)]))
    done = sum(r[0] for r in results)
    short = sum(r[1] for r in results)
    latencies = sorted(x for r in results for x in r[2])

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(len(latencies) * p))] * 1000 if latencies else 0.0

    return {
        "scenario": scenario, "workers": workers, "seconds": seconds, "reserved": done, "out_of_stock": short,
        "per_second": done / seconds, "p50_ms": pct(0.50), "p95_ms": pct(0.95), "p99_ms": pct(0.99),
        "mean_ms": statistics.fmean(latencies) * 1000 if latencies else 0.0,
    }


def _check() -> str:
    from django.db.models import Sum

    from catalog.models import StockLevel, StockMovement

    bad = 0
    levels = StockLevel.objects.filter(variant__sku__startswith=PREFIX)
    sums = {
        (r["variant_id"], r["warehouse_id"]): (r["o"], r["r"])
        for r in StockMovement.objects.filter(variant__sku__startswith=PREFIX)
        .values("variant_id", "warehouse_id").annotate(o=Sum("on_hand_change"), r=Sum("reserved_change")).order_by()
    }
    for level in levels:
        if sums.get((level.variant_id, level.warehouse_id)) != (level.on_hand, level.reserved) or not (
            0 <= level.reserved <= level.on_hand
        ):
            bad += 1
    return "ledger matches stock for every row" if bad == 0 else f"{bad} rows do NOT match the ledger"


def _machine() -> str:
    from django.db import connection

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    with connection.cursor() as cursor:
        cursor.execute("show server_version")
        pg = cursor.fetchone()[0]
    return (f"{os.cpu_count()} CPU ({cpu}), Python {platform.python_version()}, PostgreSQL {pg} on the same "
            f"host, {platform.system()} {platform.release()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=15.0)
    args = parser.parse_args()
    _django()
    from django.db import connection

    spread_ids, hot_id = _prepare(units_per_sku=1_000_000, hot_units=10_000_000)
    connection.close()
    load_before = os.getloadavg()[0]
    rows = [_run("spread", spread_ids, args.workers, args.seconds), _run("hot", [hot_id], args.workers, args.seconds)]
    load_after = os.getloadavg()[0]
    check = _check()
    machine = _machine()
    print(f"Machine: {machine}")
    print(f"Check: {check}")
    print(f"Load average (1 min) before/after: {load_before:.1f} / {load_after:.1f}")
    print()
    print("| Scenario | Workers | Reservations/s | p50 ms | p95 ms | p99 ms | Reserved in run |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    labels = {"spread": "(a) 1,000 different SKUs", "hot": "(b) one hot SKU"}
    for r in rows:
        print(f"| {labels[r['scenario']]} | {r['workers']} | {r['per_second']:.0f} | {r['p50_ms']:.1f} | "
              f"{r['p95_ms']:.1f} | {r['p99_ms']:.1f} | {r['reserved']} |")


if __name__ == "__main__":
    main()
