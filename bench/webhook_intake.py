"""Signed Shopee pushes against gunicorn + PostgreSQL + Redis: intake throughput, latency, end to end.

Creates its own database, migrates it, seeds a Shopee channel (pointing at a fake marketplace
started in a subprocess), 20 SKUs with stock and an API token; starts gunicorn on a free
127.0.0.1 port and measures, over keep-alive connections from an asyncio client:

1. ceiling  - closed loop at --concurrency against a bare Django view doing only the same
              InboundDelivery insert (same gunicorn, middleware and database);
2. intake   - closed loop at --concurrency against POST /webhooks/shopee/ (size check, channel
              lookup, signature over the raw body, insert, queue on Redis); no worker running;
3. sustained- open loop at --rate pushes/s for --duration s with a Celery worker processing.
              --new-share of the pushes announce a new order (the worker fetches it from the fake
              marketplace's get_order_detail and creates it: customer, lines, stock reservation,
              payment and notification rows); the rest announce a status change of an earlier
              order (the fake moves it along first). Latency is measured from each push's
              scheduled send time (no coordinated omission); "end to end" is the time from sending
              a push until the order shows that status in the database the API reads (polled
              every 50 ms; a sample is re-checked through GET /api/v1/orders/).

Every push is unique (its own msg_id and order), signed exactly as Shopee signs. Loopback only.

    .venv/bin/python bench/webhook_intake.py --rate 300 --duration 30
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import hashlib
import hmac
import http.client
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
CELERY = str(ROOT / ".venv" / "bin" / "celery")
PARTNER_KEY = "test-partner-key"
SHOP_ID = 727720655

SEED = """
import sys
from catalog.models import Product, ProductVariant
from catalog.services import stock_receive
from channels import services
from core import roles
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from rest_framework.authtoken.models import Token

roles.sync_role_permissions()
services.channel_create(
    kind="shopee", name="Shopee bench", code="SHPB", shop_id="727720655",
    credentials={"partner_id": "2001887", "partner_key": "test-partner-key", "access_token": "test-access-token"},
    api_base_url="%(fake)s/shopee", callback_url="%(callback)s",
)
product = Product.objects.create(name="Bench kaos")
for n in range(20):
    variant = ProductVariant.objects.create(product=product, sku=f"SIM-{n:02d}", price_amount=25_000)
    stock_receive(variant_id=variant.id, quantity=10_000_000, reason="bench")
user, _ = get_user_model().objects.get_or_create(username="bench-owner")
user.groups.add(Group.objects.get(name=roles.OWNER))
token, _ = Token.objects.get_or_create(user=user)
sys.stdout.write("TOKEN=" + token.key + "\\n")
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def create_database(url: str) -> None:
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


def wait_for(port: int, path: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"nothing answered on port {port}")


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))] if ordered else float("nan")


class Pushes:
    """Unique, signed Shopee order-status pushes (each about a new order)."""

    def __init__(self, callback_url: str, prefix: str) -> None:
        self.callback = callback_url.encode()
        self.prefix = prefix
        self.count = 0

    def next(self, order_sn: str = "", status: str = "READY_TO_SHIP") -> tuple[str, bytes, str]:
        self.count += 1
        order_sn = order_sn or f"{self.prefix}{self.count:07d}"
        now = int(time.time())
        body = json.dumps(
            {"msg_id": f"{order_sn}-{self.count}", "data": {"items": [], "ordersn": order_sn, "status": status,
                                                            "completed_scenario": "", "update_time": now},
             "shop_id": SHOP_ID, "code": 3, "timestamp": now},
            separators=(",", ":"),
        ).encode()
        signature = hmac.new(PARTNER_KEY.encode(), self.callback + b"|" + body, hashlib.sha256).hexdigest()
        return order_sn, body, signature


async def _request(reader, writer, path: str, body: bytes, signature: str) -> int:
    writer.write(
        b"POST " + path.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Authorization: " + signature.encode() + b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n"
        + body
    )
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("closed")
    length, close = 0, False
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _sep, value = line.decode("latin-1").partition(":")
        if name.lower() == "content-length":
            length = int(value.strip())
        elif name.lower() == "connection" and value.strip().lower() == "close":
            close = True
    if length:
        await reader.readexactly(length)
    if close:
        raise ConnectionResetError("server closed the connection")
    return int(status_line.split()[1])


async def closed_loop(port: int, path: str, pushes: Pushes, concurrency: int, duration: float) -> dict:
    latencies: list[float] = []
    codes: dict[int, int] = {}
    deadline = time.perf_counter() + duration

    async def connection() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while time.perf_counter() < deadline:
            _sn, body, signature = pushes.next()
            started = time.perf_counter()
            try:
                code = await _request(reader, writer, path, body, signature)
            except (ConnectionError, asyncio.IncompleteReadError):
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                code = 0
            latencies.append(time.perf_counter() - started)
            codes[code] = codes.get(code, 0) + 1
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    return {"requests": len(latencies), "rps": len(latencies) / elapsed, "codes": codes, "latencies": latencies}


FLOW = ["READY_TO_SHIP", "PROCESSED", "SHIPPED", "TO_CONFIRM_RECEIVE", "COMPLETED"]


def plan_pushes(total: int, rate: float, new_share: float, prefix: str, seed: int = 4) -> list[tuple[str, str]]:
    """(order_sn, status) per push: a share announce new orders, the rest move earlier orders along.

    An order is moved along only 3 s (in schedule time) after its previous push, like a real shop
    where an order changes status minutes apart; with too few movable orders a new one is used.
    """
    import random

    rng = random.Random(seed)
    plan: list[tuple[str, str]] = []
    movable: list[tuple[float, str, int]] = []  # (ready at, order_sn, flow index)
    created = 0
    for i in range(total):
        at = i / rate
        ready = [m for m in movable if m[0] <= at]
        if ready and rng.random() >= new_share:
            entry = rng.choice(ready)
            movable.remove(entry)
            _at, order_sn, step = entry
            step += 1
            plan.append((order_sn, FLOW[step]))
            if step < len(FLOW) - 1:
                movable.append((at + 3, order_sn, step))
        else:
            created += 1
            order_sn = f"{prefix}{created:07d}"
            plan.append((order_sn, FLOW[0]))
            movable.append((at + 3, order_sn, 0))
    return plan


async def _admin(fake_port: int, rows: list[dict]) -> None:
    body = json.dumps(rows).encode()
    reader, writer = await asyncio.open_connection("127.0.0.1", fake_port)
    writer.write(b"POST /_admin/orders HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: "
                 + str(len(body)).encode() + b"\r\n\r\n" + body)
    await reader.read()
    writer.close()


async def open_loop(port: int, path: str, pushes: Pushes, rate: float, duration: float, pool: int,
                    plan: list[tuple[str, str]], fake_port: int, sent: dict) -> dict:
    """Send the planned pushes at a fixed rate; latency counts from the scheduled send time.

    Status changes are applied to the fake marketplace ~150 ms before their push is sent.
    """
    total = min(int(rate * duration), len(plan))
    queue: asyncio.Queue = asyncio.Queue()
    latencies: list[float] = []
    codes: dict[int, int] = {}
    start = time.perf_counter() + 0.5

    async def mover() -> None:
        window = 0.1
        index = 0
        while index < total:
            horizon = time.perf_counter() - start + 0.25
            rows = []
            while index < total and index / rate <= horizon:
                order_sn, status = plan[index]
                if status != FLOW[0]:
                    rows.append({"provider": "shopee", "order_id": order_sn, "status": status})
                index += 1
            if rows:
                await _admin(fake_port, rows)
            await asyncio.sleep(window)

    async def producer() -> None:
        for i in range(total):
            scheduled = start + i / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            queue.put_nowait((scheduled, plan[i]))
        for _ in range(pool):
            queue.put_nowait(None)

    async def connection() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while True:
            item = await queue.get()
            if item is None:
                break
            scheduled, (order_sn, status) = item
            _sn, body, signature = pushes.next(order_sn, status)
            sent[(order_sn, status)] = time.time()
            try:
                code = await _request(reader, writer, path, body, signature)
            except (ConnectionError, asyncio.IncompleteReadError):
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                code = 0
            latencies.append(time.perf_counter() - scheduled)
            codes[code] = codes.get(code, 0) + 1
        writer.close()

    began = time.perf_counter()
    await asyncio.gather(mover(), producer(), *(connection() for _ in range(pool)))
    elapsed = time.perf_counter() - began
    return {"requests": len(latencies), "rps": len(latencies) / elapsed, "codes": codes, "latencies": latencies,
            "sent": sent}


class OrderWatcher(threading.Thread):
    """Poll the orders table every 50 ms while pushes are sent: time from each push until the
    order shows its status (or a later one) in the database the API reads. Polling adds a small
    load of its own; it is counted in the figures."""

    def __init__(self, database_url: str, sent: dict[tuple[str, str], float]) -> None:
        super().__init__(daemon=True)
        self.database_url = database_url
        self.sent = sent  # filled by the sender while this thread runs
        self.seen: dict[tuple[str, str], float] = {}
        self.sending_done = threading.Event()
        self.timeout = 180.0

    def run(self) -> None:
        import psycopg

        rank = {status: i for i, status in enumerate(FLOW)}
        deadline = None
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            while True:
                if self.sending_done.is_set() and deadline is None:
                    deadline = time.time() + self.timeout
                # the oldest 1,000 waiting pushes: the workers drain oldest first, so a newer push is
                # (almost) never visible before these, and the query stays light for the database
                pending = [key for key in list(self.sent) if key not in self.seen][:1000]
                if not pending and self.sending_done.is_set():
                    return
                if deadline is not None and time.time() > deadline:
                    return
                if pending:
                    now = time.time()
                    ids = list({order_sn for order_sn, _status in pending})
                    current = dict(conn.execute(
                        "SELECT external_id, marketplace_status FROM orders_order WHERE external_id = ANY(%s)",
                        (ids,),
                    ).fetchall())
                    for key in pending:
                        order_sn, status = key
                        if order_sn in current and rank.get(current[order_sn], -1) >= rank[status]:
                            self.seen[key] = now - self.sent[key]
                time.sleep(0.05)


def processed_count(database_url: str) -> int:
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        return conn.execute("SELECT count(*) FROM core_inbounddelivery WHERE status = 'processed'").fetchone()[0]


def worker_rate(database_url: str, since=None) -> dict:
    """Pushes the worker finished per second, from the first to the last it marked processed
    (received after `since`, when given: the measured phase without the warm-up).

    While it keeps up this is the send rate; when a backlog builds, it is the worker's capacity.
    """
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        count, first, last = conn.execute(
            "SELECT count(*), min(processed_at), max(processed_at) FROM core_inbounddelivery "
            "WHERE status = 'processed' AND received_at >= %s",
            [since or datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)],
        ).fetchone()
    span = (last - first).total_seconds() if count else 0
    return {"worker_processed": count, "worker_per_second": round(count / span, 1) if span else None}


def api_check(port: int, token: str, external_ids) -> int:
    visible = 0
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    for external_id in external_ids:
        conn.request("GET", f"/api/v1/orders/?external_id={external_id}", headers={"Authorization": f"Token {token}"})
        response = conn.getresponse()
        data = json.loads(response.read() or b"{}")
        visible += int(response.status == 200 and data.get("count", 0) == 1)
    conn.close()
    return visible


def summary(name: str, result: dict) -> dict:
    lat = result["latencies"]
    row = {
        "phase": name, "requests": result["requests"], "per_second": round(result["rps"], 1),
        "p50_ms": round(percentile(lat, 50) * 1000, 1), "p95_ms": round(percentile(lat, 95) * 1000, 1),
        "p99_ms": round(percentile(lat, 99) * 1000, 1), "max_ms": round(max(lat) * 1000, 1) if lat else None,
        "codes": result["codes"],
    }
    print(json.dumps(row), flush=True)
    return row


def stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=300, help="pushes per second in the sustained phase")
    parser.add_argument("--duration", type=float, default=30, help="seconds of the sustained phase")
    parser.add_argument("--closed-duration", type=float, default=15, help="seconds of each closed-loop phase")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds of the closed-loop phases")
    parser.add_argument("--concurrency", type=int, default=16, help="connections in the closed-loop phases")
    parser.add_argument("--pool", type=int, default=64, help="connections available in the sustained phase")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker (gthread)")
    # docker-compose.yml runs the production worker with --concurrency=4: the same here, so the
    # channel's drains (up to marketplaces.tasks.DRAIN_SLOTS) and other tasks each get a process.
    parser.add_argument("--celery-concurrency", type=int, default=4)
    parser.add_argument("--worker-nice", type=int, default=0,
                        help="run the Celery worker with this niceness (web first on a shared box)")
    parser.add_argument("--warmup", type=float, default=3,
                        help="seconds at the sustained rate before the measured phase, reported apart (0: none)")
    parser.add_argument("--skip-closed", action="store_true", help="run only the sustained phase")
    parser.add_argument("--skip-sustained", action="store_true", help="run only the closed-loop phases")
    parser.add_argument("--new-share", type=float, default=1.0,
                        help="share of sustained pushes that announce a new order (the rest are status changes)")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/oms_channels_bench")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/6")
    args = parser.parse_args()

    port, fake_port = free_port(), free_port()
    callback = f"http://127.0.0.1:{port}/webhooks/shopee/"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.webhook_settings",
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "DEBUG": "false",
        "LOG_LEVEL": "warning",
        "DATABASE_POOL_MAX": str(max(args.threads, 2) + 2),
        "PYTHONPATH": str(ROOT),
    }
    print(f"database {args.database_url}: creating, migrating, seeding...", flush=True)
    create_database(args.database_url)
    import redis

    redis.Redis.from_url(args.redis_url).flushdb()
    manage(env, "migrate", "--noinput", "-v0")
    fake = gunicorn = worker = None
    try:
        fake = subprocess.Popen(
            [PYTHON, "-m", "tests.fakes.marketplace", "--port", str(fake_port), "--auto-orders", "B"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
        )
        token = next(
            line[6:] for line in manage(env, "shell", stdin=SEED % {"fake": f"http://127.0.0.1:{fake_port}",
                                                                    "callback": callback}).splitlines()
            if line.startswith("TOKEN=")
        )
        gunicorn = subprocess.Popen(
            [GUNICORN, "oms.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers),
             "--worker-class", "gthread", "--threads", str(args.threads), "--keep-alive", "30",
             "--log-level", "warning", "--backlog", "2048"],
            cwd=ROOT, env=env,
        )
        wait_for(port, "/healthz")
        results = []

        async def closed_phases() -> None:
            # warm every worker and connection pool, not measured
            await closed_loop(port, "/bench/ceiling/", Pushes(callback, "W"), args.concurrency, 2)
            await closed_loop(port, "/webhooks/shopee/", Pushes(callback, "V"), args.concurrency, 2)
            # alternate the two endpoints so a change in background load hits both alike
            runs: dict[str, list[dict]] = {"ceiling": [], "intake": []}
            for round_ in range(args.rounds):
                for name, path in (("ceiling", "/bench/ceiling/"), ("intake", "/webhooks/shopee/")):
                    runs[name].append(await closed_loop(
                        port, path, Pushes(callback, f"{name[0].upper()}{round_}"), args.concurrency,
                        args.closed_duration / args.rounds))
            labels = {"ceiling": "ceiling (bare insert view)", "intake": "intake (POST /webhooks/shopee/)"}
            for name, label in labels.items():
                merged = {"requests": sum(r["requests"] for r in runs[name]),
                          "rps": sorted(r["rps"] for r in runs[name])[len(runs[name]) // 2],
                          "codes": {}, "latencies": [x for r in runs[name] for x in r["latencies"]]}
                for r in runs[name]:
                    for code, count in r["codes"].items():
                        merged["codes"][code] = merged["codes"].get(code, 0) + count
                results.append(summary(label, merged))
                print(json.dumps({"rounds_per_second": [round(r["rps"], 1) for r in runs[name]]}), flush=True)

        if not args.skip_closed:
            asyncio.run(closed_phases())
            ratio = results[1]["per_second"] / results[0]["per_second"]
            print(json.dumps({"intake_to_ceiling": round(ratio, 2)}), flush=True)

        if args.skip_sustained:
            return
        # the intake phases queued tasks for orders the fake does not serve; start clean for the worker
        redis.Redis.from_url(args.redis_url).flushdb()
        nice = ["nice", "-n", str(args.worker_nice)] if args.worker_nice else []
        worker = subprocess.Popen(
            [*nice, CELERY, "-A", "oms", "worker", "--concurrency", str(args.celery_concurrency),
             "--loglevel", "warning", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=env,
        )
        time.sleep(4)
        if args.warmup:
            # Fresh gunicorn and worker processes open their database connections, import lazily
            # and fill their caches on the first requests: a short phase at the same rate, reported
            # on its own line, then the measured phase starts once the worker has caught up.
            warm_total = int(args.rate * args.warmup)
            warm = asyncio.run(open_loop(port, "/webhooks/shopee/", Pushes(callback, "BW"), args.rate, args.warmup,
                                         args.pool, plan_pushes(warm_total, args.rate, args.new_share, "BW"),
                                         fake_port, {}))
            results.append(summary(f"warm-up {args.warmup:g} s at {args.rate:g}/s (not counted below)", warm))
            deadline = time.monotonic() + 60
            while processed_count(args.database_url) < warm["requests"] and time.monotonic() < deadline:
                time.sleep(0.2)
        measured_since = datetime.datetime.now(datetime.UTC)
        total = int(args.rate * args.duration)
        plan = plan_pushes(total, args.rate, args.new_share, "B")
        sent: dict[tuple[str, str], float] = {}
        watcher = OrderWatcher(args.database_url, sent)
        watcher.start()
        sustained = asyncio.run(open_loop(port, "/webhooks/shopee/", Pushes(callback, "B"), args.rate,
                                          args.duration, args.pool, plan, fake_port, sent))
        watcher.sending_done.set()
        results.append(summary(f"sustained {args.rate:g}/s with worker, new-order share {args.new_share:g}",
                               sustained))
        watcher.join()
        seen = watcher.seen
        e2e = list(seen.values())
        new_orders = sum(1 for _sn, status in sustained["sent"] if status == FLOW[0])
        row = {
            "phase": "end to end (push -> order shows the pushed status)", "pushes": len(sustained["sent"]),
            "new_orders": new_orders, "seen": len(seen),
            "p50_ms": round(percentile(e2e, 50) * 1000), "p95_ms": round(percentile(e2e, 95) * 1000),
            "p99_ms": round(percentile(e2e, 99) * 1000), "max_ms": round(max(e2e) * 1000) if e2e else None,
        }
        print(json.dumps(row), flush=True)
        print(json.dumps(worker_rate(args.database_url, measured_since)), flush=True)
        sample = sorted({order_sn for order_sn, _status in seen})[:: max(1, len(seen) // 25)]
        print(json.dumps({"api_visible_sample": f"{api_check(port, token, sample)}/{len(sample)}"}), flush=True)
        print(json.dumps({
            "machine": f"{os.cpu_count()} CPU, {platform.python_implementation()} {platform.python_version()}",
            "gunicorn": f"{args.workers} workers x {args.threads} threads (gthread)",
            "celery": f"prefork x {args.celery_concurrency}, nice {args.worker_nice}",
        }), flush=True)
    finally:
        stop(worker)
        stop(gunicorn)
        stop(fake)


if __name__ == "__main__":
    main()
