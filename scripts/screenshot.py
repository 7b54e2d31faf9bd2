"""Take screenshots of the dashboard with Debian's Chromium for the README.

Starts the app on a free loopback port against the local (demo) database, logs in as the demo
owner and saves PNGs under docs/. Run `make demo` first so there is something to show.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PAGES = [("dashboard.png", "/dashboard/", (1366, 860))] + [
    (name, path, (1366, 860)) for name, path in (
        ("orders.png", "/dashboard/orders/"),
        ("catalog.png", "/dashboard/catalog/"),
        ("payments.png", "/dashboard/payments/"),
    )
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> int:
    password = (ROOT / "var" / "demo-password.txt").read_text().strip()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)  # noqa: S310 (loopback)
                break
            except OSError:
                time.sleep(0.2)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1366, "height": 860}, locale="id-ID")
            page.goto(f"{base}/accounts/login/")
            page.fill("#id_username", "owner")
            page.fill("#id_password", password)
            page.click("button[type=submit]")
            page.wait_for_url(f"{base}/dashboard/")
            for name, path, (width, height) in PAGES:
                page.set_viewport_size({"width": width, "height": height})
                response = page.goto(f"{base}{path}")
                if response is None or response.status != 200:
                    print(f"skipped {path}: {response.status if response else 'no response'}")
                    continue
                out = ROOT / "docs" / name
                out.parent.mkdir(exist_ok=True)
                page.screenshot(path=str(out), full_page=False)
                print(f"saved {out.relative_to(ROOT)}")
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
