"""Drive the four money flows of the demo shop against a running app, as its users would.

    python scripts/check_flows.py http://127.0.0.1:8000 [--password PW] [--timeout 60]

Run it after `make run` (demo data and the demo staff accounts, password from var/demo-password.txt
unless given). Every step goes through the app's own HTTP entry points, and the Celery worker that
`make run` starts does the work behind them:

1. **API order**: the owner posts a bank-transfer order for the shop's website channel to
   `/api/v1/orders/`; it must come back awaiting payment with a payment carrying a kode unik.
2. **Marketplace push**: `manage.py simulate_marketplace` sends signed Shopee pushes to
   `/webhooks/shopee/` and serves the order details; the orders must appear in the API.
3. **Bank statement**: Finance uploads a BCA business statement through the API with a credit of
   exactly the order's amount; the worker imports and matches it, and the order must turn paid.
4. **Proof of transfer**: for a second order the customer finds it on the order-status page (order
   number and phone), uploads a photo of the transfer, and Finance approves it on the proofs page;
   the order must turn paid.

Exit status 0 when every flow worked, 1 otherwise (the failing step is named).
"""

from __future__ import annotations

import argparse
import io
import os
import re
import subprocess
import sys
import time
import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import requests

ROOT = Path(__file__).resolve().parent.parent
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class FlowFailed(Exception):
    pass


def csrf_of(html: str) -> str:
    match = CSRF_INPUT.search(html)
    if not match:
        raise FlowFailed("a form without a CSRF token")
    return match.group(1)


def log_in(base: str, username: str, password: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/accounts/login/", timeout=30)
    answer = session.post(f"{base}/accounts/login/", timeout=30, headers={"Referer": f"{base}/accounts/login/"},
                          data={"username": username, "password": password, "csrfmiddlewaretoken": csrf_of(page.text)})
    if answer.status_code >= 400 or "/accounts/login/" in answer.url:
        raise FlowFailed(f"{username} could not log in ({answer.status_code})")
    session.headers.update({"X-CSRFToken": session.cookies["csrftoken"], "Referer": f"{base}/"})
    return session


def api(session: requests.Session, method: str, url: str, expect: int = 200, **kwargs):
    answer = session.request(method, url, timeout=60, **kwargs)
    if answer.status_code != expect:
        raise FlowFailed(f"{method} {url}: {answer.status_code} {answer.text[:300]}")
    return answer.json()


def results(body):
    return body["results"] if isinstance(body, dict) and "results" in body else body


def wait_for(what: str, check, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(1)
    raise FlowFailed(f"waited {timeout:.0f} s for {what}")


def place_order(base: str, owner: requests.Session, phone: str) -> tuple[dict, dict]:
    channels = results(api(owner, "GET", f"{base}/api/v1/channels/", params={"kind": "website"}))
    if not channels:
        raise FlowFailed("the demo has no website channel")
    variants = [v for v in results(api(owner, "GET", f"{base}/api/v1/variants/")) if v["available"] > 0]
    if not variants:
        raise FlowFailed("no variant with stock available")
    body = {"channel": channels[0]["code"], "customer": {"name": "Flow Check", "phone": phone},
            "shipping": {"name": "Flow Check", "phone": phone, "address": "Jl. Merdeka 1", "city": "Bandung",
                         "postal_code": "40111"},
            "lines": [{"sku": variants[0]["sku"], "quantity": 1}], "payment_method": "bank_transfer"}
    order = api(owner, "POST", f"{base}/api/v1/orders/", expect=201, json=body,
                headers={"Idempotency-Key": uuid.uuid4().hex})
    if order["status"] != "awaiting_payment":
        raise FlowFailed(f"the API order is {order['status']}, not awaiting payment")
    payments = results(api(owner, "GET", f"{base}/api/v1/payments/", params={"order": order["number"]}))
    if not payments or payments[0]["method"] != "bank_transfer":
        raise FlowFailed(f"order {order['number']} has no bank-transfer payment: {payments}")
    return order, payments[0]


def order_status(base: str, session: requests.Session, order_id: int) -> str:
    return api(session, "GET", f"{base}/api/v1/orders/{order_id}/")["status"]


def flow_api_order(base: str, owner: requests.Session) -> tuple[dict, dict]:
    order, payment = place_order(base, owner, "081234500001")
    print(f"1. API order {order['number']}: awaiting payment, transfer of Rp {payment['amount']:,} "
          f"(kode unik {payment['unique_code']})")
    return order, payment


def flow_marketplace(base: str, owner: requests.Session, timeout: float) -> None:
    def shopee_orders() -> int:
        return api(owner, "GET", f"{base}/api/v1/orders/", params={"channel": shopee})["count"]

    channels = results(api(owner, "GET", f"{base}/api/v1/channels/", params={"kind": "shopee"}))
    if not channels:
        raise FlowFailed("the demo has no Shopee channel")
    shopee = channels[0]["code"]
    before = shopee_orders()
    command = [sys.executable, "manage.py", "simulate_marketplace", "--url", base, "--count", "3", "--rate", "2",
               "--linger", "10", "--seed", str(int(time.time()))]
    done = subprocess.run(command, cwd=ROOT, env=os.environ.copy(), capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise FlowFailed(f"simulate_marketplace failed: {done.stderr[-500:]}")
    after = wait_for("the pushed orders", lambda: shopee_orders() > before and shopee_orders(), timeout)
    print(f"2. marketplace pushes: Shopee orders {before} -> {after}")


def flow_statement(base: str, finance: requests.Session, order: dict, payment: dict, timeout: float) -> None:
    # The bank books in Indonesian time; a credit dated before the payment was opened cannot pay it.
    day = datetime.now(ZoneInfo("Asia/Jakarta")).strftime("%d/%m/%Y")
    amount = f"{payment['amount']:,}.00"
    csv = (f"Informasi Rekening - Mutasi Rekening\nNo. rekening : ,0123456789\nNama : ,DEMO\n"
           f"Periode : ,{day} - {day}\nKode Mata Uang : ,IDR\n\nTanggal Transaksi,Keterangan,Cabang,Jumlah\n"
           f'{day},"TRSF E-BANKING CR FLOW CHECK {uuid.uuid4().hex[:8]}",0000,"{amount} CR"\n')
    job = api(finance, "POST", f"{base}/api/v1/payments/statement-imports/", expect=202,
              files={"file": ("mutasi.csv", csv.encode(), "text/csv")}, data={"format": "bca_business"})
    wait_for("the order paid by the statement", lambda: order_status(base, finance, order["id"]) == "paid", timeout)
    job = api(finance, "GET", f"{base}/api/v1/payments/statement-imports/{job['id']}/")
    print(f"3. bank statement import {job['id']}: {job['status']}, {job['rows_matched']} matched; "
          f"order {order['number']} paid")


def png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (30, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def flow_proof(base: str, owner: requests.Session, finance: requests.Session, timeout: float) -> None:
    phone = "081234500002"
    order, payment = place_order(base, owner, phone)
    customer = requests.Session()
    lookup = customer.get(f"{base}/track/", timeout=30)
    page = customer.post(f"{base}/track/", timeout=30, headers={"Referer": f"{base}/track/"},
                         data={"number": order["number"], "contact": phone,
                               "csrfmiddlewaretoken": csrf_of(lookup.text)})
    link = re.search(r"/track/([^/]+)/([^/]+)/$", page.url)
    if page.status_code != 200 or not link:
        raise FlowFailed(f"the customer could not find order {order['number']} ({page.status_code} {page.url})")
    proof_url = f"{base}/pay/{link.group(1)}/{link.group(2)}/proof/"
    form = customer.get(proof_url, timeout=30)
    sent = customer.post(proof_url, timeout=30, headers={"Referer": proof_url},
                         data={"sender_name": "Flow Check", "declared_amount": str(payment["amount"]),
                               "csrfmiddlewaretoken": csrf_of(form.text)},
                         files={"file": ("bukti.png", png(), "image/png")})
    if sent.status_code >= 400:
        raise FlowFailed(f"the proof upload answered {sent.status_code}")
    queue = finance.get(f"{base}/dashboard/payments/proofs/", timeout=30)
    ids = sorted({int(i) for i in re.findall(r"/dashboard/payments/proofs/(\d+)/approve/", queue.text)})
    if not ids:
        raise FlowFailed("the proof is not in Finance's queue")
    decided = finance.post(f"{base}/dashboard/payments/proofs/{ids[-1]}/approve/", timeout=30,
                           data={"reason": "Seen in the bank app", "csrfmiddlewaretoken": csrf_of(queue.text)})
    if decided.status_code >= 400:
        raise FlowFailed(f"approving the proof answered {decided.status_code}")
    wait_for("the order paid by the approved proof", lambda: order_status(base, finance, order["id"]) == "paid",
             timeout)
    print(f"4. proof of transfer for {order['number']}: uploaded by the customer, approved by Finance; order paid")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("base", help="the running app, e.g. http://127.0.0.1:8000")
    parser.add_argument("--password", help="the demo staff password (default: var/demo-password.txt)")
    parser.add_argument("--timeout", type=float, default=60, help="seconds to wait for the worker per step")
    args = parser.parse_args()
    base = args.base.rstrip("/")
    password = args.password or (ROOT / "var" / "demo-password.txt").read_text().strip()
    try:
        owner = log_in(base, "owner", password)
        finance = log_in(base, "finance", password)
        order, payment = flow_api_order(base, owner)
        flow_marketplace(base, owner, args.timeout)
        flow_statement(base, finance, order, payment, args.timeout)
        flow_proof(base, owner, finance, args.timeout)
    except FlowFailed as exc:
        print(f"FAILED: {exc}")
        return 1
    print("OK: API order, marketplace push, bank statement and proof of transfer all worked")
    return 0


if __name__ == "__main__":
    sys.exit(main())
