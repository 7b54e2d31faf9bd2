"""Walk every dashboard page as every staff role in a real Chromium and report what is broken.

    python scripts/check_pages.py http://127.0.0.1:8000 [--password PW] [--users owner,admin,...]

For each demo staff account (`owner`, `admin`, `customer_service`, `warehouse`, `finance`, made by
`manage.py demo_owner`; the password is read from var/demo-password.txt unless given) it logs in,
collects every link of the sidebar menu (each stage page and the pages under it) and the first
detail link of each list page, opens each one and checks that:

- the page answers below 400;
- the browser logged no console error and no uncaught script error;
- the Content-Security-Policy refused nothing (`securitypolicyviolation` events, console
  "Content Security Policy" messages);
- no same-site sub-request (CSS, JS, htmx fragment) failed;
- no amount is shown without thousands separators ("Rp 282496");
- an Indonesian page shows none of Django's English defaults or English-formatted dates.

Then every page any role reached is requested once more as each other role: the answer must be
below 400 or a 403 (a role that must not go there), never a server error, and a 403 page must not
be in that role's menu. Exit status 0 when nothing is broken, 1 otherwise.

The same walk runs in the test suite (tests/e2e/test_page_walk.py) against a seeded live server.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
DEMO_USERS = ("owner", "admin", "customer_service", "warehouse", "finance")

# Django's own English wording and English formatting that must not reach an Indonesian page.
ENGLISH_ON_INDONESIAN_PAGE = [
    "This field is required.",
    "Please submit at least",
    "Please submit at most",
    "Ensure this value is",
    "Enter a valid",
    "Select a valid choice",
    "Enter a whole number",
    "Currently:",
    "Page not found",
    "Server Error",
    "Forbidden",
    "Your role has no pages",
    "Origin checking failed",
    "No results",
    "9223372036854775807",
]
ENGLISH_DATE = re.compile(r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\.? \d{1,2}, \d{4}\b"
                          r"|\b\d{1,2}:\d{2} ?[ap]\.m\.")
# Money shown without thousands separators ("Rp 282496"): every amount goes through |rupiah.
UNFORMATTED_MONEY = re.compile(r"\bRp ?\d{4,}\b")
# Links the walk must not follow: they change state, download a file or leave the dashboard.
SKIPPED = re.compile(r"/(?:logout|export|download|print)\b|\.(?:csv|xlsx|pdf|zip)$|/file/|/media/|/admin/")

CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + (e.sourceFile || ""));
});
"""


@dataclass
class Problem:
    user: str
    url: str
    what: str

    def __str__(self) -> str:
        return f"[{self.user}] {self.url}: {self.what}"


@dataclass
class RoleWalk:
    user: str
    menu: list[str] = field(default_factory=list)
    visited: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


@dataclass
class WalkReport:
    roles: dict[str, RoleWalk] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def all_problems(self) -> list[Problem]:
        return [p for walk in self.roles.values() for p in walk.problems] + self.problems


def _same_site(base: str, url: str) -> bool:
    return urlsplit(url).netloc == urlsplit(base).netloc


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def log_in(page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/?next=/dashboard/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/dashboard/$"))


def _sidebar_links(page, base: str) -> list[str]:
    hrefs = page.eval_on_selector_all("#sidebar a.nav-link[href]", "els => els.map(e => e.href)")
    return [_path(h) for h in hrefs if _same_site(base, h) and not SKIPPED.search(urlsplit(h).path)]


def _first_detail_link(page, base: str, seen: set[str]) -> str | None:
    hrefs = page.eval_on_selector_all(
        "main table tbody a[href]:not([download]), main .list-group a.list-group-item[href]:not([download])",
        "els => els.map(e => e.href)")
    for href in hrefs:
        path = _path(href)
        if _same_site(base, href) and path not in seen and not SKIPPED.search(urlsplit(href).path):
            return path
    return None


def _visit(page, base: str, path: str, walk: RoleWalk) -> bool:
    """Open one page and record its problems; True when it rendered (below 400)."""
    console: list[str] = []
    failed: list[str] = []

    def on_console(message):
        if message.type == "error" or "Content Security Policy" in message.text:
            console.append(message.text)

    def on_response(response):
        if response.status >= 400 and _same_site(base, response.url) and response.request.resource_type != "document":
            failed.append(f"{response.status} {_path(response.url)}")

    def on_page_error(error):
        console.append(f"uncaught: {error}")

    page.on("console", on_console)
    page.on("pageerror", on_page_error)
    page.on("response", on_response)
    try:
        try:
            response = page.goto(urljoin(base, path), wait_until="load")
        except Exception as exc:
            walk.problems.append(Problem(walk.user, path, f"did not load: {exc}".splitlines()[0]))
            return False
        status = response.status if response else 0
        walk.visited[path] = status
        if status >= 400:
            walk.problems.append(Problem(walk.user, path, f"answered {status}"))
            return False
        page.wait_for_timeout(150)  # let deferred scripts and htmx loads run
        for text in console:
            walk.problems.append(Problem(walk.user, path, f"console: {text[:300]}"))
        for text in page.evaluate("window.__cspViolations || []"):
            walk.problems.append(Problem(walk.user, path, f"CSP violation: {text}"))
        for text in failed:
            walk.problems.append(Problem(walk.user, path, f"sub-request failed: {text}"))
        body = page.inner_text("body")
        match = UNFORMATTED_MONEY.search(body)
        if match:
            walk.problems.append(Problem(walk.user, path, f"money without thousands separators: {match.group(0)!r}"))
        if page.get_attribute("html", "lang") == "id":
            for english in ENGLISH_ON_INDONESIAN_PAGE:
                if english in body:
                    walk.problems.append(Problem(walk.user, path, f"English on an Indonesian page: {english!r}"))
            match = ENGLISH_DATE.search(body)
            if match:
                walk.problems.append(Problem(walk.user, path,
                                             f"English date on an Indonesian page: {match.group(0)!r}"))
        return True
    finally:
        page.remove_listener("console", on_console)
        page.remove_listener("pageerror", on_page_error)
        page.remove_listener("response", on_response)


def walk_role(browser, base: str, username: str, password: str) -> RoleWalk:
    """Log in as one staff account and open every menu page and each list's first detail page."""
    walk = RoleWalk(user=username)
    context = browser.new_context(locale="id-ID", viewport={"width": 1366, "height": 900})
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        log_in(page, base, username, password)
        menu: list[str] = []
        stage_pages = _sidebar_links(page, base)
        for path in stage_pages:
            if path not in menu:
                menu.append(path)
        seen: set[str] = set()
        queue = list(menu)
        while queue:
            path = queue.pop(0)
            if path in seen:
                continue
            seen.add(path)
            if not _visit(page, base, path, walk):
                continue
            if path in menu:
                for link in _sidebar_links(page, base):
                    if link not in menu:
                        menu.append(link)
                        queue.append(link)
                detail = _first_detail_link(page, base, seen)
                if detail:
                    queue.append(detail)
        walk.menu = menu
    finally:
        context.close()
    return walk


def cross_check(browser, base: str, password: str, report: WalkReport) -> None:
    """Request every page some role reached as every other role: below 400 or 403, never 5xx."""
    every_page = sorted({path for walk in report.roles.values() for path in walk.visited})
    for username, walk in report.roles.items():
        context = browser.new_context(locale="id-ID")
        try:
            page = context.new_page()
            log_in(page, base, username, password)
            for path in every_page:
                if path in walk.visited:
                    continue
                status = context.request.get(urljoin(base, path), max_redirects=0).status
                if status == 403:
                    if path in walk.menu:
                        report.problems.append(Problem(username, path, "403 for a page its menu shows"))
                elif status >= 400 and status != 404:
                    report.problems.append(Problem(username, path, f"answered {status} (expected < 400 or 403)"))
        finally:
            context.close()


def walk_site(base: str, password: str, users=DEMO_USERS, *, cross: bool = True) -> WalkReport:
    from playwright.sync_api import sync_playwright

    base = base.rstrip("/")
    report = WalkReport()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for username in users:
                report.roles[username] = walk_role(browser, base, username, password)
            if cross:
                cross_check(browser, base, password, report)
        finally:
            browser.close()
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base_url", help="where the app runs, e.g. http://127.0.0.1:8000")
    parser.add_argument("--password", help="the demo staff password (default: var/demo-password.txt)")
    parser.add_argument("--users", default=",".join(DEMO_USERS), help="comma-separated staff usernames")
    args = parser.parse_args(argv)
    password = args.password or (ROOT / "var" / "demo-password.txt").read_text().strip()
    report = walk_site(args.base_url, password, [u for u in args.users.split(",") if u])
    for username, walk in report.roles.items():
        print(f"{username}: {len(walk.menu)} menu pages, {len(walk.visited)} pages opened")
    problems = report.all_problems
    for problem in problems:
        print(f"  BROKEN {problem}")
    print("OK: every page works for every role." if not problems else f"{len(problems)} problem(s).")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
