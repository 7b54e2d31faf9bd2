"""Hand-over scans: 8 scanners at once against gunicorn + PostgreSQL (target: p95 <= 50 ms per scan).

Creates its own database, migrates it, seeds `--parcels` packed parcels (each its own paid order,
with a resi) spread over 8 couriers, one open pickup manifest per courier and a warehouse login
(a session cookie and a CSRF token, as the browser has); starts gunicorn on a free 127.0.0.1 port;
then `--scanners` threads each scan their courier's resi into its manifest through the same JSON
endpoint the hand-over page uses (POST /dashboard/shipping/handover/<id>/scan/). Every scan marks
the parcel picked up, ships its (packed) order (stock committed) and writes the manifest line. Reports
scans/s and latency percentiles; every answer must be 200 and every order shipped afterwards.

Two ways to load it:

- Paced (`--interval 0.5`, the mode the target is judged on): each scanner is a person at a
  hand-over desk scanning one parcel every 0.5 s, open loop: scan k is due at start + k x 0.5 s
  whether or not the server kept up, and its latency is counted from when it was due, so time
  spent queueing behind a slow answer counts. Why 0.5 s: a person takes a parcel from the pile,
  aims the scanner at the resi, hears the beep and drops the parcel into the courier's sack; 1-3 s
  per parcel is a steady pace and 2 scans/s a fast burst, so 0.5 s is the top of human speed
  (8 desks: 16 scans/s, 57,600 parcels an hour). `--interval 0.25` (4 scans/s per desk, faster
  than a person) is reported beside it as a stress figure. The desks start spread over one interval.
- Closed loop (`--interval 0`, the default): each scanner fires its next scan the instant the
  previous answer arrives. No person scans like that; it measures the ceiling (scans/s) and what
  latency looks like when the machine is saturated.

Besides latency it reports the CPU per scan of its own processes (gunicorn, the PostgreSQL
backends of its database, the client) and of the whole machine.

gunicorn runs with production's settings (oms/gunicorn.conf.py: 2 x cores + 1 workers, 2 threads
each, access log on; `--workers` / `--threads` override them as GUNICORN_WORKERS / GUNICORN_THREADS do).

    /work/bin/cpu-exclusive nice .venv/bin/python bench/scan.py --parcels 800 --scanners 8 --interval 0.5
    /work/bin/cpu-exclusive nice .venv/bin/python bench/scan.py --parcels 800 --scanners 8   # closed loop
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
from order_api import GUNICORN, ROOT, create_database, free_port, manage, wait_until_up

SEED = """
import json, sys
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone
from catalog.models import Product, ProductVariant
from catalog.services import stock_receive
from channels.models import Channel
from core import roles
from orders.services import (AddressInput, CustomerInput, LineInput, order_confirm, order_create, order_mark_packed,
                             order_mark_paid)
from shipping.models import Courier, Shipment
from shipping.services import handover
from shipping.services.shipments import shipment_create

N, SCANNERS = int("%(parcels)s"), int("%(scanners)s")
roles.sync_role_permissions()
channel, _ = Channel.objects.get_or_create(code="WEB", defaults={"kind": "website", "name": "Website"})
product = Product.objects.create(name="Kaos", weight_grams=250)
variant = ProductVariant.objects.create(product=product, sku="KAOS-BENCH", price_amount=85_000)
stock_receive(variant_id=variant.id, quantity=N * 2, reason="bench")
couriers = list(Courier.objects.order_by("code"))[:SCANNERS]
plan = {}
for n in range(N):
    courier = couriers[n %% len(couriers)]
    order = order_create(channel_id=channel.id, customer=CustomerInput(name=f"Pembeli {n}", phone=f"+62812{n:08d}"),
                         lines=[LineInput(sku="KAOS-BENCH", quantity=1)], payment_method="bank_transfer",
                         shipping=AddressInput(name=f"Pembeli {n}", phone=f"+62812{n:08d}", address="Jl. Melati 5",
                                               city="Bandung", province="Jawa Barat", postal_code="40115"))
    order_mark_paid(order_id=order.id)
    order_confirm(order_id=order.id)
    resi = f"{courier.code.upper()}{n:010d}"
    shipment = shipment_create(order_id=order.id, courier_id=courier.id, tracking_number=resi)
    Shipment.objects.filter(pk=shipment.pk).update(packed_at=timezone.now(), weight_grams=300)
    order_mark_packed(order_id=order.id)  # packed at the pack station, as before a real pickup
    plan.setdefault(courier.id, []).append(resi)
manifests = {handover.manifest_open(courier_id=courier_id).pk: codes for courier_id, codes in plan.items()}
user, _ = get_user_model().objects.get_or_create(username="bench-gudang")
user.groups.add(Group.objects.get(name=roles.WAREHOUSE))
session = SessionStore()
session["_auth_user_id"] = str(user.pk)
session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
session["_auth_user_hash"] = user.get_session_auth_hash()
session.create()
sys.stdout.write("PLAN=" + json.dumps({"session": session.session_key, "manifests": manifests}) + "\\n")
"""

CHECK = """
import sys
from orders.models import Order
from shipping.models import ManifestItem, Shipment
sys.stdout.write(f"CHECK shipped_orders={Order.objects.filter(status='shipped').count()} "
                 f"picked_up={Shipment.objects.filter(status='picked_up').count()} "
                 f"manifest_lines={ManifestItem.objects.count()}\\n")
"""

SLOW = 0.1  # seconds: a scan this late is listed with when in the run it was due
CSRF = "b" * 32  # an unmasked CSRF secret, sent as the cookie and the header, as the page's script does


def _headers(port: int, session: str) -> dict:
    return {"Content-Type": "application/x-www-form-urlencoded", "X-CSRFToken": CSRF,
            "Cookie": f"sessionid={session}; csrftoken={CSRF}", "Referer": f"http://127.0.0.1:{port}/"}


def scanner(port: int, session: str, manifest_id: str, codes: list[str], latencies: list, failures: list,
            *, interval: float = 0.0, start_at: float = 0.0, service: list | None = None,
            slow: list | None = None) -> None:
    """One hand-over desk. interval 0: closed loop (the next scan the instant the answer arrives).
    interval > 0: open loop, scan k is due at start_at + k * interval; a scan whose answer is late
    delays the next one's send, and its latency is counted from when it was due (queueing counts)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = _headers(port, session)
    path = f"/dashboard/shipping/handover/{manifest_id}/scan/"
    for k, code in enumerate(codes):
        due = start_at + k * interval if interval else None
        if due is not None:
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
        sent = time.perf_counter()
        conn.request("POST", path, body=urlencode({"code": code}), headers=headers)
        response = conn.getresponse()
        body = response.read()
        done = time.perf_counter()
        latencies.append(done - (due if due is not None else sent))
        if slow is not None and latencies[-1] > SLOW:  # when in the run, to tell start-up from steady state
            slow.append(((due if due is not None else sent) - start_at, latencies[-1]))
        if service is not None:
            service.append(done - sent)
        if response.status != 200 or not json.loads(body).get("ok"):
            failures.append((code, response.status, body[:200]))


def _proc_cpu(pid: str) -> tuple[int, float]:
    """(parent pid, user + system CPU seconds) of a process, from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _own_cpu(server_pid: int, database: str) -> dict[str, float]:
    """CPU seconds so far of what serves the scans and nothing else on the machine: gunicorn (master
    and workers), the PostgreSQL backends connected to the benchmark's database (their process
    title names it), and this client process. PostgreSQL's shared background writers are left out."""
    gunicorn = postgres = 0.0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            parent, cpu = _proc_cpu(pid)
            if int(pid) == server_pid or parent == server_pid:
                gunicorn += cpu
                continue
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                title = f.read().decode(errors="replace")
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile
        if title.startswith("postgres:") and f" {database} " in title:
            postgres += cpu
    own = os.times()
    return {"gunicorn": gunicorn, "postgres": postgres, "client": own.user + own.system}


def _cpu_busy() -> float:
    """Busy CPU seconds of the whole machine so far (every process: client, gunicorn, PostgreSQL)."""
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def pct(values: list[float], p: float) -> float:
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parcels", type=int, default=800)
    parser.add_argument("--scanners", type=int, default=8)
    parser.add_argument("--workers", type=int, default=None,
                        help="gunicorn workers (default: production's oms/gunicorn.conf.py, 2 x cores + 1)")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads per worker (default: production's oms/gunicorn.conf.py, 2)")
    parser.add_argument("--interval", type=float, default=0.0,
                        help="paced (open-loop) mode: each scanner scans once per INTERVAL seconds and latency "
                             "counts from when the scan was due; 0 (default): closed loop, the saturation figure")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/oms_bench_scan")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/4"))
    args = parser.parse_args()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "oms.settings", "DATABASE_URL": args.database_url,
           "REDIS_URL": args.redis_url, "DEBUG": "false", "LOG_LEVEL": "warning", "NOTIFY_CHANNELS": "email"}
    # gunicorn as production runs it: oms/gunicorn.conf.py, its sizes overridable as there (environment).
    if args.workers is not None:
        env["GUNICORN_WORKERS"] = str(args.workers)
    if args.threads is not None:
        env["GUNICORN_THREADS"] = str(args.threads)
    workers = int(env.get("GUNICORN_WORKERS") or (os.cpu_count() or 1) * 2 + 1)
    worker_threads = int(env.get("GUNICORN_THREADS") or 2)
    env["DATABASE_POOL_MAX"] = str(worker_threads + 2)
    print(f"database {args.database_url}: creating, migrating, seeding {args.parcels} parcels...", flush=True)
    create_database(args.database_url)
    manage(env, "migrate", "--noinput", "-v0")
    out = manage(env, "shell", stdin=SEED % {"parcels": args.parcels, "scanners": args.scanners})
    plan = json.loads(next(line[5:] for line in out.splitlines() if line.startswith("PLAN=")))
    port = free_port()
    server = subprocess.Popen(
        [GUNICORN, "-c", "oms/gunicorn.conf.py", "oms.wsgi:application", "--log-level", "warning"],
        cwd=ROOT, env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}"}, stdout=subprocess.DEVNULL)
    latencies: list[float] = []
    service: list[float] = []
    slow: list[tuple[float, float]] = []
    failures: list = []
    try:
        wait_until_up(port)
        # Warm every worker (imports, connection pool, first query plans) before the clock starts,
        # as a server that has been up all morning is: GETs of a manifest's page (nothing written).
        warm = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for _ in range(workers * worker_threads * 2):
            warm.request("GET", f"/dashboard/shipping/handover/{next(iter(plan['manifests']))}/",
                         headers=_headers(port, plan["session"]))
            warm.getresponse().read()
        warm.close()
        manifests = list(plan["manifests"].items())
        begin = time.perf_counter() + 0.2
        # Paced desks start spread over one interval (people do not scan in lockstep).
        threads = [threading.Thread(target=scanner, args=(port, plan["session"], manifest_id, codes, latencies,
                                                          failures),
                                    kwargs={"interval": args.interval, "service": service, "slow": slow,
                                            "start_at": begin + n * args.interval / len(manifests)})
                   for n, (manifest_id, codes) in enumerate(manifests)]
        database = args.database_url.rsplit("/", 1)[1]
        cpu_started, own_started = _cpu_busy(), _own_cpu(server.pid, database)
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        cpu_spent = _cpu_busy() - cpu_started
        own_end = _own_cpu(server.pid, database)
        own_spent = {name: own_end[name] - own_started[name] for name in own_end}
    finally:
        server.terminate()
        server.wait(15)
    check = next(line for line in manage(env, "shell", stdin=CHECK).splitlines() if line.startswith("CHECK"))
    ms = sorted(value * 1000 for value in latencies)

    mode = (f"paced: each scanner once per {args.interval:g} s, open loop, offered {len(threads) / args.interval:.0f}"
            f" scans/s; latency from the scan's due time" if args.interval else
            "closed loop: each scanner's next scan the instant the answer arrives (saturation)")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end; "
          f"gunicorn oms/gunicorn.conf.py: {workers} workers x {worker_threads} threads (gthread)")
    print(mode)
    print(f"{len(ms)} scans by {len(threads)} scanners in {elapsed:.1f} s ({len(ms) / elapsed:.1f} scans/s); "
          f"latency ms p50 {statistics.median(ms):.1f}, p95 {pct(ms, 95):.1f}, p99 {pct(ms, 99):.1f}, "
          f"max {ms[-1]:.1f}; failures {len(failures)}{' e.g. ' + str(failures[0]) if failures else ''}")
    if args.interval:
        own = sorted(value * 1000 for value in service)
        print(f"  request alone (from its actual send): p50 {statistics.median(own):.1f}, p95 {pct(own, 95):.1f}, "
              f"max {own[-1]:.1f} ms")
    if slow:
        slow.sort()
        print(f"scans over {SLOW * 1000:.0f} ms: {len(slow)}, due (s after its desk started; latency ms): "
              + ", ".join(f"{at:.1f} ({latency * 1000:.0f})" for at, latency in slow[:12])
              + (" ..." if len(slow) > 12 else ""))
    print("CPU of the benchmark's own processes per scan: " + ", ".join(
        f"{name} {value / len(ms) * 1000:.1f} ms" for name, value in own_spent.items())
        + f"; total {sum(own_spent.values()) / len(ms) * 1000:.1f} ms")
    share = cpu_spent / elapsed / (os.cpu_count() or 1)
    print(f"whole machine CPU (every process, other people's too): {cpu_spent:.1f} s, "
          f"{cpu_spent / len(ms) * 1000:.1f} ms per scan, {share:.0%} of the cores")
    print(check)


if __name__ == "__main__":
    main()
