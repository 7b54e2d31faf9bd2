"""Web-store orders through POST /api/v1/orders/ against gunicorn + PostgreSQL.

Creates its own database, migrates it, seeds a website channel, products with stock and a
Customer Service account with an API token, starts gunicorn on a free 127.0.0.1 port, then posts
`--orders` orders (1-3 lines each, stock reservation included, a fresh Idempotency-Key each) from
`--concurrency` client threads over keep-alive connections, and reports orders/s and latency
percentiles. Every answer must be 201; the order count and the stock reserved are checked after.

No Celery worker runs during the load: work the request queues after its commit (the order
confirmation, rendered by notifications' trigger task) is timed separately by `--profile`, which
also counts the SQL statements of one request.

    .venv/bin/python bench/order_api.py --orders 1000 --concurrency 8
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")

SEED = """
import sys
from catalog.models import Product, ProductVariant
from catalog.services import stock_receive
from channels.models import Channel
from core import roles
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from rest_framework.authtoken.models import Token

roles.sync_role_permissions()
Channel.objects.get_or_create(code="WEB", defaults={"kind": "website", "name": "Website"})
for p in range(50):
    product = Product.objects.create(name=f"Bench product {p}")
    for v in range(4):
        variant = ProductVariant.objects.create(product=product, sku=f"B-{p:03d}-{v}", price_amount=25_000 + 1000 * v)
        stock_receive(variant_id=variant.id, quantity=100_000, reason="bench")
user, _ = get_user_model().objects.get_or_create(username="bench-webstore")
user.groups.add(Group.objects.get(name=roles.CUSTOMER_SERVICE))
token, _ = Token.objects.get_or_create(user=user)
sys.stdout.write("TOKEN=" + token.key + "\\n")
"""

CHECK = """
import sys
from django.db.models import Sum
from catalog.models import StockLevel
from orders.models import Order, OrderLine
orders = Order.objects.count()
units = OrderLine.objects.aggregate(n=Sum("quantity"))["n"] or 0
reserved = StockLevel.objects.aggregate(n=Sum("reserved"))["n"] or 0
sys.stdout.write(f"CHECK orders={orders} units={units} reserved={reserved}\\n")
"""


PROFILE = """
import cProfile, pstats, random, sys, time, uuid
from django.test import Client
from rest_framework.authtoken.models import Token
sys.path.insert(0, "bench")
from order_api import order_body

N = int("%(n)s")
token = Token.objects.get(user__username="bench-webstore").key
client, rng = Client(), random.Random(99)
def post():
    response = client.post("/api/v1/orders/", data=order_body(rng), content_type="application/json",
                           HTTP_AUTHORIZATION="Token " + token, HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)
    assert response.status_code == 201, response.content
for _ in range(5):
    post()
started, cpu_started = time.perf_counter(), time.process_time()
for _ in range(N):
    post()
sys.stdout.write("PROFILE one client, no profiler: %%.1f ms/order, Django CPU %%.1f ms/order\\n"
                 %% ((time.perf_counter() - started) / N * 1000, (time.process_time() - cpu_started) / N * 1000))
profile = cProfile.Profile()
profile.enable()
for _ in range(N):
    post()
profile.disable()
stats = pstats.Stats(profile).stats
parts = [
    ("whole request (DRF dispatch)", "rest_framework/views.py", "dispatch"),
    ("  authentication + permissions", "rest_framework/views.py", "initial"),
    ("  input validation", "orders/api.py", "_validated_create_input"),
    ("  orders.services.order_create", "orders/services/create.py", "order_create_with_rows"),
    ("    catalog stock_reserve", "catalog/services/stock.py", "stock_reserve"),
    ("    order-created hooks (all apps)", "orders/hooks.py", "run_order_created"),
    ("      payments on_order_created", "payments/services/hooks.py", "on_order_created"),
    ("      notifications on_order_created", "notifications/hooks.py", "on_order_created"),
    ("  response (serializer, no read-back)", "orders/api.py", "_created_detail"),
]
for label, filename, function in parts:
    spent = sum(v[3] for k, v in stats.items() if k[0].endswith(filename) and k[2] == function)
    sys.stdout.write("PROFILE %%-38s %%6.1f ms/order (under cProfile)\\n" %% (label, spent / N * 1000))

from django.db import connection
from django.test.utils import CaptureQueriesContext
with CaptureQueriesContext(connection) as ctx:
    for _ in range(N):
        post()
sys.stdout.write("PROFILE SQL statements per order (request): %%.1f\\n" %% (len(ctx.captured_queries) / N))

# The work moved out of the request: each order's confirmation is rendered and written by
# notification_trigger_task after the commit (no Celery worker runs during the load).
from notifications.models import NotificationTrigger
from notifications.services import notification_trigger_process
from notifications.tasks import notification_send_task
notification_send_task.delay = lambda *args, **kwargs: None  # the send is the provider's time, not measured here
pending = list(NotificationTrigger.objects.order_by("-id").values_list("id", flat=True)[:N])
started = time.perf_counter()
with CaptureQueriesContext(connection) as ctx:
    for pk in pending:
        notification_trigger_process(trigger_id=pk)
if pending:
    per_order_ms = (time.perf_counter() - started) / len(pending) * 1000
    sys.stdout.write("PROFILE after commit, per order: confirmation task %%.1f ms, %%.0f SQL statements (worker)\\n"
                     %% (per_order_ms, len(ctx.captured_queries) / len(pending)))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def create_database(url: str) -> None:
    from urllib.parse import urlparse

    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def manage(env: dict, *args: str, stdin: str | None = None) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, input=stdin, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def wait_until_up(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
    sys.exit("gunicorn did not start")


def order_body(rng: random.Random, payment_method: str = "bank_transfer") -> bytes:
    skus = rng.sample([f"B-{p:03d}-{v}" for p in range(50) for v in range(4)], rng.randint(1, 3))
    phone = "0812" + "".join(str(rng.randint(0, 9)) for _ in range(8))
    return json.dumps(
        {
            "channel": "WEB",
            "customer": {"name": "Pembeli Bench", "phone": phone},
            "shipping": {"name": "Pembeli Bench", "phone": phone, "address": "Jl. Benchmark 1", "city": "Jakarta",
                         "postal_code": "12345"},
            "lines": [{"sku": sku, "quantity": rng.randint(1, 2)} for sku in skus],
            "shipping_amount": 12_000,
            "payment_method": payment_method,
        }
    ).encode()


def run_load(
    port: int, token: str, total: int, concurrency: int, seed: int, payment_method: str = "bank_transfer"
) -> tuple[list[float], list[int], float]:
    rng = random.Random(seed)
    bodies = [order_body(rng, payment_method) for _ in range(total)]
    latencies: list[float] = []
    failures: list[int] = []
    lock = threading.Lock()
    next_index = iter(range(total))
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                index = next(next_index, None)
            if index is None:
                break
            started = time.perf_counter()
            try:
                conn.request("POST", "/api/v1/orders/", body=bodies[index],
                             headers={**headers, "Idempotency-Key": uuid.uuid4().hex})
                response = conn.getresponse()
                response.read()
                code = response.status
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                code = 0
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                if code != 201:
                    failures.append(code)
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, failures, time.perf_counter() - started


def _cpu_seconds(pid: int, children: bool = False) -> float:
    """CPU seconds of a process (with its reaped children's when asked), from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = int(fields[11]) + int(fields[12]) + ((int(fields[13]) + int(fields[14])) if children else 0)
    return ticks / os.sysconf("SC_CLK_TCK")


def _pids(match) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if match(entry):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def cpu_snapshot(server_pid: int) -> dict[str, float]:
    """CPU seconds so far of gunicorn (master and workers), PostgreSQL (every backend and the
    postmaster's finished children) and this load generator, to split a run's CPU between them."""
    gunicorn = [server_pid, *_pids(lambda e: (e / "stat").read_text().rsplit(")", 1)[1].split()[1] == str(server_pid))]
    postgres = _pids(lambda e: (e / "comm").read_text().strip() == "postgres")
    return {
        "gunicorn": sum(_cpu_seconds(pid) for pid in gunicorn),
        "postgres": sum(_cpu_seconds(pid, children=True) for pid in postgres),
        "load generator": time.process_time(),
    }


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=50, help="orders posted first and not measured")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker (gthread)")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/oms_bench_order_api")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/4"))
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--payment-method", default="bank_transfer",
                        help="bank_transfer (payments assigns a kode unik under a per-amount lock), qris, cod...")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="afterwards, post N orders in-process under cProfile and show where the time goes")
    args = parser.parse_args()

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "oms.settings",
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "DEBUG": "false",
        "LOG_LEVEL": "warning",
        "DATABASE_POOL_MAX": str(max(args.threads, 2) + 2),
    }
    print(f"database {args.database_url}: creating, migrating, seeding...", flush=True)
    create_database(args.database_url)
    manage(env, "migrate", "--noinput", "-v0")
    token = next(line[6:] for line in manage(env, "shell", stdin=SEED).splitlines() if line.startswith("TOKEN="))

    port = free_port()
    server = subprocess.Popen(
        [GUNICORN, "oms.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers),
         "--worker-class", "gthread", "--threads", str(args.threads), "--keep-alive", "30",
         "--log-level", "warning"],
        cwd=ROOT, env=env,
    )
    try:
        wait_until_up(port)
        if args.warmup:
            run_load(port, token, args.warmup, args.concurrency, args.seed + 1, args.payment_method)
        cpu_before = cpu_snapshot(server.pid)
        latencies, failures, elapsed = run_load(
            port, token, args.orders, args.concurrency, args.seed, args.payment_method
        )
        cpu_after = cpu_snapshot(server.pid)
    finally:
        server.terminate()
        server.wait(15)
    check = next(line for line in manage(env, "shell", stdin=CHECK).splitlines() if line.startswith("CHECK"))

    ms = [value * 1000 for value in latencies]
    result = {
        "orders": args.orders,
        "concurrency": args.concurrency,
        "payment_method": args.payment_method,
        "gunicorn": f"{args.workers} workers x {args.threads} threads (gthread)",
        "failures": len(failures),
        "failure_codes": sorted(set(failures)),
        "seconds": round(elapsed, 2),
        "orders_per_second": round(args.orders / elapsed, 1),
        "p50_ms": round(statistics.median(ms), 1),
        "p95_ms": round(percentile(ms, 95), 1),
        "p99_ms": round(percentile(ms, 99), 1),
        "max_ms": round(max(ms), 1),
        "cpu_ms_per_order": {
            name: round((cpu_after[name] - cpu_before[name]) / args.orders * 1000, 2) for name in cpu_before
        },
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
    }
    print(check)
    print(json.dumps(result, indent=2))
    if args.profile:
        for line in manage(env, "shell", stdin=PROFILE % {"n": args.profile}).splitlines():
            if line.startswith("PROFILE"):
                print(line[8:])
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
