"""Tracking poll of 10,000 active shipments against the fake aggregator, within its rate limit.

Creates its own database and migrates it, writes `--shipments` shipments on the road (picked up,
with a resi, belonging to a Biteship account that points at the fake aggregator of
tests/fakes/aggregator.py; the orders and shipments are bulk-inserted, as bench data), then runs
shipping.services.polling.tracking_poll_account once. The fake answers 429 whenever more than
`--provider-limit` requests arrive within a second; the account asks at `--rate` requests/s. It
reports the time, the 429s received (must be 0), tracking rows written, shipments moved, and the
SQL statements per batch of 200 (must not grow with the batch's content).

    nice .venv/bin/python bench/tracking_poll.py --shipments 10000 --rate 250 --provider-limit 300
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shipments", type=int, default=10_000)
    parser.add_argument("--rate", type=int, default=250, help="the account's requests per second")
    parser.add_argument("--provider-limit", type=int, default=300, help="the fake's 429 threshold per second")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/oms_bench_poll")
    args = parser.parse_args()

    from order_api import create_database

    os.environ.update({"DJANGO_SETTINGS_MODULE": "oms.settings", "DATABASE_URL": args.database_url,
                       "LOG_LEVEL": "warning", "DEBUG": "false"})
    print(f"database {args.database_url}: creating, migrating, writing {args.shipments} shipments...", flush=True)
    create_database(args.database_url)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", "--noinput", verbosity=0)
    from django.db import connection
    from django.utils import timezone

    from channels.models import Channel
    from orders.models import Order
    from shipping.models import Courier, Shipment, ShipmentStatus, TrackingEvent
    from shipping.services import polling, tracking
    from tests.fakes.aggregator import BITESHIP_KEY, FakeAggregator
    from tests.shipping.factories import account

    channel = Channel.objects.create(kind="website", name="Website", code="WEB")
    jne = Courier.objects.get(code="jne")
    now = timezone.now()
    orders = Order.objects.bulk_create([
        Order(channel=channel, number=f"WEB-POLL-{n:06d}", status="shipped", placed_at=now, shipped_at=now,
              courier="JNE", tracking_number=f"CM{n:010d}") for n in range(args.shipments)], batch_size=2000)
    with FakeAggregator(rate_limit=args.provider_limit) as fake:
        biteship = account("biteship", base_url=fake.url, api_key=BITESHIP_KEY, requests_per_second=args.rate)
        Shipment.objects.bulk_create([
            Shipment(order=order, number=f"{order.number}-1", status=ShipmentStatus.PICKED_UP, account=biteship,
                     courier=jne, courier_key="jne", courier_name="JNE", tracking_number=order.tracking_number,
                     dispatched_at=now) for order in orders], batch_size=2000)

        statements: list[int] = []
        original = tracking.tracking_record_many

        def counted(**kwargs):
            before = len(connection.queries)
            result = original(**kwargs)
            statements.append(len(connection.queries) - before)
            return result

        polling_record = tracking.tracking_record_many
        import shipping.services.tracking as tracking_module

        tracking_module.tracking_record_many = counted
        connection.force_debug_cursor = True
        started = time.perf_counter()
        result = polling.tracking_poll_account(account_id=biteship.pk, limit=args.shipments)
        elapsed = time.perf_counter() - started
        connection.force_debug_cursor = False
        tracking_module.tracking_record_many = polling_record
        limited, served = fake.limited, fake.served
    moved = Shipment.objects.filter(status=ShipmentStatus.IN_TRANSIT).count()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end")
    print(f"{result.asked} shipments polled in {elapsed:.1f} s ({result.asked / elapsed:.0f}/s, account limit "
          f"{args.rate}/s, provider limit {args.provider_limit}/s): HTTP 429 received {limited}, provider errors "
          f"{result.errors}, requests served {served}")
    print(f"{result.batches} batches; SQL statements per batch: min {min(statements)}, max {max(statements)}; "
          f"tracking rows {TrackingEvent.objects.count()}, shipments moved to in_transit {moved}")


if __name__ == "__main__":
    main()
