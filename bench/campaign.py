"""A win-back campaign to 100,000 customers, on PostgreSQL and Redis.

Creates its own database (default `oms_bench_campaign`), migrates it and bulk-creates `--customers`
customers, `--consent-share` of them with a marketing opt-in (the others must not be reached).
Then measures:

1. Queueing: `campaign_queue` for every consenting customer (a personal voucher, a recipient row
   and a rendered WhatsApp message each), with the statements counted per batch; the queueing is
   run again on a second campaign with another batch size to show the count per batch is constant.
2. Rate: the campaign sender sends `--send` messages through the real HTTP provider to a local
   fake WhatsApp gateway at `--rate` per second; the gateway records each arrival, and the busiest
   sliding one-second window is reported.
3. Crash: a sender runs in a child process and is killed with SIGKILL in the middle of a send (the
   gateway answers slowly so a request is in flight); the sweep then runs, a fresh sender resumes,
   and the gateway's log must show every recipient at most once.

    nice .venv/bin/python bench/campaign.py --customers 100000
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def create_database(url: str) -> None:
    from urllib.parse import urlparse

    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


class Gateway:
    """A fake WhatsApp HTTP gateway: records (time, recipient, reference) of every message."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.log: list[tuple[float, str, str]] = []
        self.lock = threading.Lock()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                if gateway.delay:
                    time.sleep(gateway.delay)
                with gateway.lock:
                    gateway.log.append((time.monotonic(), body["to"], body["reference"]))
                payload = json.dumps({"id": f"wamid.{len(gateway.log)}"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/messages"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def busiest_second(times: list[float]) -> int:
    times = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--consent-share", type=float, default=1.0, help="share of customers who opted in")
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--send", type=int, default=100, help="messages sent in the rate measurement")
    parser.add_argument("--rate", type=float, default=10.0, help="provider rate limit, messages per second")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/oms_bench_campaign")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/6"))
    parser.add_argument("--child-sender", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    var_dir = os.environ.get("OMS_VAR_DIR") or tempfile.mkdtemp(prefix="oms-bench-campaign-")
    os.environ.update({"DATABASE_URL": args.database_url, "REDIS_URL": args.redis_url,
                       "DJANGO_SETTINGS_MODULE": "oms.settings", "OMS_VAR_DIR": var_dir, "LOG_LEVEL": "warning",
                       "NOTIFY_WHATSAPP_PROVIDER": "http", "NOTIFY_CHANNELS": "whatsapp"})
    if args.child_sender:
        import django

        django.setup()
        from customers.services.campaigns import campaign_send

        campaign_send(channel="whatsapp", rate=args.rate, budget_seconds=600)
        return
    create_database(args.database_url)
    gateway = Gateway()
    os.environ["NOTIFY_WHATSAPP_URL"] = gateway.url
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    run(args, gateway)


def seed(n: int, consent_share: float) -> int:
    from django.db import connection
    from django.utils import timezone

    from notifications.models import ConsentRecord
    from orders.models import Customer

    started = time.perf_counter()
    now = timezone.now()
    chunk = 10_000
    consenting = 0
    for start in range(0, n, chunk):
        people = Customer.objects.bulk_create([
            Customer(name=f"Pelanggan {i}", phone=f"+62812{i:08d}", city="Bandung", created_at=now)
            for i in range(start, min(start + chunk, n))
        ])
        records = [ConsentRecord(customer_id=c.pk, purpose="marketing", granted=True, source="web_store",
                                 proof="checkbox v2", recorded_at=now)
                   for i, c in enumerate(people, start=start) if (i % 100) < consent_share * 100]
        consenting += len(records)
        ConsentRecord.objects.bulk_create(records)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"seeded {n:,} customers ({consenting:,} opted in) in {time.perf_counter() - started:.1f} s")
    return consenting


def queue(name: str, batch: int):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from customers.services import campaigns
    from customers.services.campaigns import campaign_create, campaign_queue

    copies = Counter()
    original = campaigns._insert_columns

    def counted(model, columns):  # COPY runs on the raw connection, outside Django's query log
        copies[f"COPY {model._meta.db_table}"] += 1
        return original(model, columns)

    campaigns._insert_columns = counted

    campaign = campaign_create(
        name=name, channel="whatsapp", segment_filters={}, voucher_kind="percent", voucher_percent=15,
        voucher_min_spend_amount=100_000, voucher_valid_days=14,
        body="Halo {{ name }}, kami kangen! Pakai voucher {{ voucher_code }} ({{ voucher_value }}) sampai "
             "{{ valid_until }}. Berhenti: {{ unsubscribe_link }}",
    )
    with CaptureQueriesContext(connection) as ctx:
        started = time.perf_counter()
        queued = campaign_queue(campaign_id=campaign.pk, batch=batch)
        seconds = time.perf_counter() - started
    campaigns._insert_columns = original
    inserts = Counter(copies)
    for q in ctx.captured_queries:
        if "generate_series" in q["sql"]:
            inserts["SELECT ids"] += 1
    batches = -(-queued // batch)
    return campaign, queued, seconds, len(ctx.captured_queries) + sum(copies.values()), batches, inserts


def run(args, gateway: Gateway) -> None:
    from datetime import timedelta

    from django.db import connection
    from django.utils import timezone

    from customers.models import CampaignRecipient
    from customers.services.campaigns import campaign_cancel, campaign_send
    from notifications.models import Notification
    from notifications.services import notification_sweep

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}, PostgreSQL {connection.cursor().connection.info.server_version}")
    consenting = seed(args.customers, args.consent_share)

    campaign, queued, seconds, statements, batches, kinds = queue("Bench A", args.batch)
    print(f"queue: {queued:,} recipients in {seconds:.1f} s ({queued / seconds:,.0f}/s), {statements} statements, "
          f"{batches} batches of {args.batch}; statements by kind: {dict(kinds)}")
    assert queued == consenting, (queued, consenting)
    campaign_b, queued_b, seconds_b, statements_b, batches_b, _kinds = queue("Bench B", args.batch // 2)
    print(f"queue again, batches of {args.batch // 2}: {queued_b:,} in {seconds_b:.1f} s, {statements_b} statements, "
          f"{batches_b} batches -> {(statements_b - statements) / max(batches_b - batches, 1):.1f} statements per "
          f"extra batch")
    campaign_cancel(campaign_id=campaign_b.pk)

    # --- rate ---------------------------------------------------------------------------------
    started = time.perf_counter()
    sent = campaign_send(channel="whatsapp", rate=args.rate, budget_seconds=args.send / args.rate)
    elapsed = time.perf_counter() - started
    times = [t for t, _to, _ref in gateway.log]
    print(f"rate: limit {args.rate:g}/s, {sent} sent in {elapsed:.1f} s ({sent / elapsed:.1f}/s), busiest 1-s window "
          f"{busiest_second(times)} messages")

    # --- crash -------------------------------------------------------------------------------
    gateway.delay = 0.2  # a request is in flight most of the time
    child = subprocess.Popen([sys.executable, __file__, "--child-sender", "--rate", str(args.rate),
                              "--database-url", args.database_url, "--redis-url", args.redis_url],
                             env={**os.environ, "NOTIFY_WHATSAPP_URL": gateway.url})
    arrived = len(gateway.log)
    deadline = time.monotonic() + 60
    while len(gateway.log) < arrived + 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.1)  # mid-request: the gateway takes 0.2 s to answer
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    in_flight = Notification.objects.filter(status="sending", purpose="marketing").count()
    from django.core.cache import cache

    cache.delete("customers:campaign-sender:whatsapp")  # the dead sender's lock (it would expire by itself)
    Notification.objects.filter(status="sending").update(last_attempt_at=timezone.now() - timedelta(hours=1))
    notification_sweep()
    gateway.delay = 0.0
    before = len(gateway.log)
    resumed = campaign_send(channel="whatsapp", rate=args.rate, budget_seconds=5)
    per_recipient = Counter(to for _t, to, _ref in gateway.log)
    twice = sum(1 for n in per_recipient.values() if n > 1)
    print(f"crash: killed the sender with {in_flight} message(s) in flight; after the sweep and a resumed sender "
          f"({resumed} sent, {len(gateway.log) - before} arrived), recipients reached twice: {twice}; "
          f"failed as 'not sent again': {Notification.objects.filter(status='failed').count()}")
    assert twice == 0
    print(f"recipients queued: {CampaignRecipient.objects.filter(campaign=campaign).count():,}, messages at the "
          f"gateway: {len(gateway.log)}")


if __name__ == "__main__":
    main()
