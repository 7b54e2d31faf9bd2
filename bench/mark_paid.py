"""Benchmark: N orders marked paid by orders_mark_paid_many vs a loop of order_mark_paid.

Both paths apply the same planner and writer (orders.services.transitions); the loop runs one
transaction per order, the batch one transaction for all. Each run gets its own fresh orders
awaiting payment (web channel, bank transfer, a buyer without contact details so no message is
rendered), with the apps' status-changed hooks registered as in production unless --no-hooks.

Usage (against a scratch database; the script migrates it and replaces its BENCHPAID-* data):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/oms_bench \\
        .venv/bin/python bench/mark_paid.py --orders 2000
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PREFIX = "BENCHPAID-"


def _django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings")
    os.environ.setdefault("DATABASE_POOL", "0")
    os.environ.setdefault("LOG_LEVEL", "warning")
    import django

    django.setup()


def _orders(count: int, tag: str) -> list[int]:
    from django.utils import timezone

    from channels.models import Channel
    from orders.models import Order, OrderStatus

    channel, _created = Channel.objects.get_or_create(
        code="BENCHWEB", defaults={"kind": Channel.Kind.WEBSITE, "name": "Bench web"})
    now = timezone.now()
    rows = Order.objects.bulk_create([
        Order(channel=channel, number=f"{PREFIX}{tag}-{n:06d}", status=OrderStatus.AWAITING_PAYMENT, placed_at=now,
              subtotal_amount=50_000, total_amount=50_000, payment_method="bank_transfer")
        for n in range(count)
    ])
    return [row.pk for row in rows]


def _clean() -> None:
    from orders.models import Order, OrderEvent

    OrderEvent.objects.filter(order__number__startswith=PREFIX).delete()
    Order.objects.filter(number__startswith=PREFIX).delete()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--no-hooks", action="store_true", help="time the orders' own writes only")
    args = parser.parse_args()
    _django()
    from django.core.management import call_command

    from orders import hooks
    from orders.models import Order, OrderStatus
    from orders.services import order_mark_paid, orders_mark_paid_many

    call_command("migrate", verbosity=0, interactive=False)
    if args.no_hooks:
        hooks._status_changed.clear()
    _clean()
    looped = _orders(args.orders, "loop")
    started = time.perf_counter()
    for order_id in looped:
        order_mark_paid(order_id=order_id, source="bench")
    loop_seconds = time.perf_counter() - started

    batched = _orders(args.orders, "batch")
    started = time.perf_counter()
    moved = orders_mark_paid_many(order_ids=batched, source="bench")
    batch_seconds = time.perf_counter() - started

    paid = Order.objects.filter(pk__in=looped + batched, status=OrderStatus.PAID).count()
    assert paid == 2 * args.orders and len(moved) == args.orders, (paid, len(moved))
    _clean()
    hooks_note = "no hooks" if args.no_hooks else "with the apps' hooks"
    print(f"{args.orders:,} orders ({hooks_note}): loop of order_mark_paid {loop_seconds:.2f} s "
          f"({args.orders / loop_seconds:,.0f}/s), orders_mark_paid_many {batch_seconds:.2f} s "
          f"({args.orders / batch_seconds:,.0f}/s), {loop_seconds / batch_seconds:.1f}x")


if __name__ == "__main__":
    main()
