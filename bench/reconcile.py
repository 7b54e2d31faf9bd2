"""Bank statement import + automatic matching at scale, on PostgreSQL.

Creates its own database (default `oms_bench_reconcile`), migrates it, bulk-creates `--payments`
orders each with an open bank-transfer payment (unique amounts, as the kode unik guarantees),
writes a BCA business CSV with `--lines` credits (90 % of them paying one of those orders, the
rest amounts no order expects) and times `statement_import_run`: parse, insert with
ON CONFLICT on the line fingerprint, hash-join matching, set-based writes of payment status,
allocations, events and journal entries. Moving the matched orders forward is queued in batched
tasks (filesystem broker here, nothing consumes it); a sample of those batches is then run
in-process and timed separately. Finally the same file is imported again (must add nothing).

    .venv/bin/python bench/reconcile.py --payments 100000 --lines 100000

With `--end-to-end` the figure is the whole way from a statement to paid orders, with the worker
production runs: Redis (`--redis-url`) as the broker, `celery -A oms worker --concurrency=N` started
as a separate process the way docker-compose.yml starts it (N from `--worker-concurrency`, 4 as
there), the statement queued as an upload queues it (statement_import_create -> statement_import_task
on the worker), and the clock stopped when the LAST matched order is `paid` (status, paid event,
hooks run, the order-paid notification queued as its outbox row or written; the orders have
customers reachable on WhatsApp here, so the drain really writes it). The worker is stopped at the end.

    .venv/bin/python bench/reconcile.py --payments 100000 --lines 100000 --end-to-end
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import random
import sys
import tempfile
import time
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--payments", type=int, default=100_000)
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--match-share", type=float, default=0.9, help="share of lines that pay an open order")
    parser.add_argument("--sync-sample", type=int, default=2_000, help="orders moved forward in-process, timed")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/oms_bench_reconcile")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--end-to-end", action="store_true",
                        help="import on a real Celery worker and time until the last matched order is paid")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/1"),
                        help="broker of --end-to-end (its queue is purged)")
    parser.add_argument("--worker-concurrency", type=int, default=4, help="as docker-compose.yml's worker")
    parser.add_argument("--timeout", type=float, default=540.0, help="--end-to-end gives up after this many s")
    parser.add_argument("--worker-log", default="", help="--end-to-end: the worker logs at INFO into this file "
                        "(each task's run time), to see where the time goes")
    args = parser.parse_args()

    create_database(args.database_url)
    var_dir = tempfile.mkdtemp(prefix="oms-bench-reconcile-")
    os.environ.update(
        {
            "DATABASE_URL": args.database_url,
            "DJANGO_SETTINGS_MODULE": "oms.settings",
            "OMS_VAR_DIR": var_dir,
            "LOG_LEVEL": "warning",
        }
    )
    if args.end_to_end:
        os.environ["REDIS_URL"] = args.redis_url
        os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
    else:
        os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    run(args)


def start_worker(args):
    """`celery -A oms worker` as docker-compose.yml starts it, in its own process group; returns
    the process once the worker answers a ping."""
    import subprocess

    from oms.celery import app

    app.control.purge()
    celery = Path(sys.executable).with_name("celery")
    worker = subprocess.Popen(
        [str(celery), "-A", "oms", "worker", f"--loglevel={'INFO' if args.worker_log else 'WARNING'}",
         *([f"--logfile={args.worker_log}"] if args.worker_log else []), f"--concurrency={args.worker_concurrency}",
         "--hostname", f"bench-reconcile-{os.getpid()}@%h"],
        cwd=ROOT, env=os.environ.copy(), start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise SystemExit(f"the worker exited with {worker.returncode}")
        if app.control.ping(timeout=0.5):
            return worker
    stop_worker(worker)
    raise SystemExit("the worker did not answer within 60 s")


def stop_worker(worker) -> None:
    import signal
    import subprocess

    os.kill(worker.pid, signal.SIGQUIT)  # cold shutdown: the pool and a running drain stop now
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()


def end_to_end(args, data: bytes, matching: int, order_ids: list[int]) -> bool:
    """Queue the statement as an upload does and wait, polling, until every matched order is paid."""
    from django.db import transaction

    from notifications.models import Notification, NotificationTrigger
    from orders.models import Order, OrderEvent
    from payments.models import StatementImport
    from payments.services.statements import statement_import_create

    worker = start_worker(args)
    try:
        t0 = time.perf_counter()
        with transaction.atomic():
            job = statement_import_create(data=data, filename="bench.csv", fmt="bca_business", run=True)
        imported_s = None
        paid = 0
        while time.perf_counter() - t0 < args.timeout:
            time.sleep(0.25)
            if imported_s is None:
                status = StatementImport.objects.filter(pk=job.pk).values_list("status", flat=True).first()
                if status == StatementImport.Status.DONE:
                    imported_s = time.perf_counter() - t0
                elif status == StatementImport.Status.FAILED:
                    print("import FAILED")
                    return False
            paid = Order.objects.filter(status="paid").count()
            if paid >= matching:
                break
        total_s = time.perf_counter() - t0
    finally:
        stop_worker(worker)
    events = OrderEvent.objects.filter(kind="status_changed", to_status="paid").count()
    queued = len(set(NotificationTrigger.objects.filter(event="order_paid").values_list("order_id", flat=True))
                 | set(Notification.objects.filter(event="order_paid").values_list("order_id", flat=True)))
    print(f"end to end (worker --concurrency={args.worker_concurrency}): statement queued -> last matched order "
          f"paid: {total_s:.1f} s for {matching:,} orders = {matching / total_s:,.0f} orders/s")
    print(f"  import + match done on the worker at {imported_s or float('nan'):.1f} s; orders paid {paid:,}, "
          f"paid events {events:,}, orders with the paid notification queued {queued:,}")
    return paid == matching and events == matching and queued == matching


def run(args) -> None:
    from datetime import timedelta

    from django.db import connection
    from django.utils import timezone

    from channels.models import Channel
    from orders.models import Order
    from payments.models import JournalEntry, LineMatch, Payment, PaymentStatus, StatementImport, StatementLine
    from payments.selectors import journal_daily_totals
    from payments.services.statements import statement_import_create, statement_import_run
    from payments.tasks import order_payment_sync_batch_task

    logging.basicConfig(level=logging.WARNING, format="  %(message)s", force=True)
    logging.getLogger("payments.services.statements").setLevel(logging.INFO)
    rng = random.Random(args.seed)
    now = timezone.now()
    t0 = time.perf_counter()
    channel = Channel.objects.create(kind="website", name="Bench web", code="BENCH")
    orders = [
        Order(
            channel=channel, number=f"BENCH-{i:07d}", placed_at=now - timedelta(hours=2), total_amount=0,
            payment_method="bank_transfer", payment_due_at=now + timedelta(hours=22),
        )
        for i in range(args.payments)
    ]
    if args.end_to_end:  # customers reachable on WhatsApp, so the paid notification is really written
        from orders.models import Customer

        customers = Customer.objects.bulk_create(
            [Customer(name=f"Pembeli {i}", phone=f"+62812{i:08d}") for i in range(args.payments)], batch_size=5_000)
        for order, customer in zip(orders, customers, strict=True):
            order.customer = customer
    Order.objects.bulk_create(orders, batch_size=5_000)
    order_ids = list(Order.objects.filter(channel=channel).order_by("id").values_list("id", flat=True))
    payments = []
    for i, order_id in enumerate(order_ids):
        base = 50_000 + (i // 999) * 1_000
        code = i % 999 + 1
        payments.append(
            Payment(order_id=order_id, method="bank_transfer", reference=f"BENCH-{i:07d}-P1", base_amount=base,
                    unique_code=code, amount=base + code, expires_at=now + timedelta(hours=22))
        )
    Payment.objects.bulk_create(payments, batch_size=5_000)
    Order.objects.filter(channel=channel).update(total_amount=0)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    setup_s = time.perf_counter() - t0

    amounts = [p.amount for p in payments]
    rng.shuffle(amounts)
    matching = min(int(args.lines * args.match_share), len(amounts))
    line_amounts = amounts[:matching] + [rng.randint(10, 5_000) * 1_000 for _ in range(args.lines - matching)]
    rng.shuffle(line_amounts)
    today = timezone.localdate(now)
    rows = ["Tanggal Transaksi,Keterangan,Cabang,Jumlah"]
    for i, amount in enumerate(line_amounts):
        rows.append(f'{today:%d/%m/%Y},"TRSF E-BANKING CR {i:07d}/FTSCY/WS95031 PEMBELI {i}",0000,"{amount:,}.00 CR"')
    rows += ["", 'Saldo Awal,:,"0.00"', f'Mutasi Kredit,:,"{sum(line_amounts):,}.00",{len(line_amounts)}']
    data = ("\r\n".join(rows) + "\r\n").encode()

    if args.end_to_end:
        ok = end_to_end(args, data, matching, order_ids)
        print("CHECK", "ok" if ok else "FAILED")
        if not ok:
            sys.exit(1)
        return

    t1 = time.perf_counter()
    job = statement_import_create(data=data, filename="bench.csv", fmt="bca_business", run=False)
    job = statement_import_run(import_id=job.pk)
    import_s = time.perf_counter() - t1
    assert job.status == StatementImport.Status.DONE, job.error

    paid = Payment.objects.filter(status=PaymentStatus.PAID).count()
    receipts = JournalEntry.objects.filter(kind="receipt").count()
    unmatched = StatementLine.objects.filter(match_status=LineMatch.UNMATCHED).count()
    balanced = all(day["debit"] == day["credit"] for day in journal_daily_totals())

    t2 = time.perf_counter()
    job2 = statement_import_create(data=data, filename="bench-again.csv", fmt="bca_business", run=False)
    job2 = statement_import_run(import_id=job2.pk)
    reimport_s = time.perf_counter() - t2

    sample_ids = list(
        Payment.objects.filter(status=PaymentStatus.PAID).order_by("id").values_list("order_id", flat=True)[
            : args.sync_sample
        ]
    )
    t3 = time.perf_counter()
    for start in range(0, len(sample_ids), 500):
        order_payment_sync_batch_task.apply(args=[sample_ids[start : start + 500]])
    sync_s = time.perf_counter() - t3
    synced = Order.objects.filter(pk__in=sample_ids, status="paid").count()

    print(f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} CPU, Python {platform.python_version()}")
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        print(f"PostgreSQL {cursor.fetchone()[0]}")
    print(f"setup (orders + open payments, not timed): {setup_s:.1f} s")
    print(f"statement: {len(line_amounts):,} credit lines, {len(data) / 1e6:.1f} MB; open payments: {len(payments):,}")
    print(f"import + match: {import_s:.2f} s = {len(line_amounts) / import_s:,.0f} lines/s")
    print(f"  new lines {job.rows_new:,}, matched {job.rows_matched:,}, ambiguous {job.rows_ambiguous:,}, "
          f"left {job.rows_left:,}")
    print(f"  payments paid {paid:,}, receipt entries {receipts:,}, unmatched lines {unmatched:,}, "
          f"journal balanced per day: {balanced}")
    print(f"re-import of the same file: {reimport_s:.2f} s, new lines {job2.rows_new:,}, "
          f"duplicates {job2.rows_duplicate:,}")
    print(f"orders moved forward (queued batches, sample run in-process): {synced:,} of {len(sample_ids):,} in "
          f"{sync_s:.2f} s = {len(sample_ids) / sync_s:,.0f} orders/s")
    ok = (
        job.rows_matched == matching and paid == matching and receipts == matching and balanced
        and job2.rows_new == 0 and synced == len(sample_ids)
    )
    print("CHECK", "ok" if ok else "FAILED")
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
