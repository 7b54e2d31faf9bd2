"""Benchmark: core.db's INSERT built once per model against the ORM's own inserts.

Measures, on the rows the hot paths write, the time per call of:

  one row     core.db.insert_instance(OrderEvent)      vs  OrderEvent.save(force_insert=True)
  N rows      core.db.insert_instances(StockMovement)  vs  StockMovement.objects.bulk_create

each inside a transaction that is rolled back (nothing stays), alternating the two in rounds so
the machine's other load hits both alike. Prints the median microseconds per call and the gain.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/oms_x .venv/bin/python bench/db_insert.py --rounds 5
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings")
    os.environ.setdefault("DATABASE_POOL", "0")
    os.environ.setdefault("LOG_LEVEL", "warning")
    import django

    django.setup()


class _Rollback(Exception):
    pass


def _timed(call, calls: int) -> float:
    """Microseconds per call of `call()`, `calls` times in one rolled-back transaction."""
    from django.db import transaction

    started = time.perf_counter()
    try:
        with transaction.atomic():
            for _ in range(calls):
                call()
            raise _Rollback
    except _Rollback:
        pass
    return (time.perf_counter() - started) / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    _django()
    from django.core.management import call_command

    from catalog.models import StockMovement
    from core.db import insert_instance, insert_instances
    from orders.models import OrderEvent

    call_command("migrate", verbosity=0, interactive=False)
    # Foreign keys are checked at commit (deferred) and every transaction rolls back: any ids do.
    def event() -> OrderEvent:
        return OrderEvent(order_id=1, kind="status", from_status="pending", to_status="paid", note="bench")

    def movements(n: int) -> list[StockMovement]:
        return [StockMovement(variant_id=1, warehouse_id=1, kind="reserve", reserved_change=1, reference=f"B-{i}")
                for i in range(n)]

    cases = {
        "1 row: insert_instance": lambda: insert_instance(event()),
        "1 row: save(force_insert=True)": lambda: event().save(force_insert=True),
        "3 rows: insert_instances": lambda: insert_instances(movements(3)),
        "3 rows: bulk_create": lambda: StockMovement.objects.bulk_create(movements(3)),
        "10 rows: insert_instances": lambda: insert_instances(movements(10)),
        "10 rows: bulk_create": lambda: StockMovement.objects.bulk_create(movements(10)),
        "50 rows: insert_instances": lambda: insert_instances(movements(50)),
        "50 rows: bulk_create": lambda: StockMovement.objects.bulk_create(movements(50)),
    }
    for call in cases.values():  # warm up (plans, connection)
        _timed(call, 50)
    figures: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.rounds):
        for name, call in cases.items():
            rows = int(name.split()[0])
            calls = max(args.calls // rows, 20)
            figures[name].append(_timed(call, calls))
    print(f"| case | µs per call (median of {args.rounds}) |")
    print("|---|---|")
    medians = {name: statistics.median(values) for name, values in figures.items()}
    for name, value in medians.items():
        print(f"| {name} | {value:.0f} |")
    names = list(medians)
    for built, orm in zip(names[::2], names[1::2], strict=True):
        print(f"{built.split(':')[0]}: core.db saves {(1 - medians[built] / medians[orm]) * 100:.1f} % against the ORM")


if __name__ == "__main__":
    main()
