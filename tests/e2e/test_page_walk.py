"""End to end in a real Chromium (issue 10.1): on the demo shop, every staff role logs in, opens
every page of its menu and the first detail page of each list, and finds no error.

The walk is scripts/check_pages.py's (the same one the lead runs against `make run`): each page
answers below 400, logs no console error, triggers no Content-Security-Policy violation, loads every
same-site sub-resource and shows none of Django's English defaults on the Indonesian dashboard;
every page one role reached answers another role below 400 or with a 403, and never a 403 for a
page in that role's menu.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command

from tests.e2e.browser import BROWSER_TEST

ROOT = Path(__file__).resolve().parents[2]

pytestmark = BROWSER_TEST


def _check_pages():
    spec = importlib.util.spec_from_file_location("check_pages", ROOT / "scripts" / "check_pages.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_pages"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def demo_shop(settings, tmp_path):
    """The `make run` data: seed_demo (a short history) and demo_owner's staff account per role."""
    settings.VAR_DIR = tmp_path
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    call_command("seed_demo", days=3, stdout=open(os.devnull, "w"))  # noqa: SIM115
    call_command("demo_owner", stdout=open(os.devnull, "w"))  # noqa: SIM115
    yield (tmp_path / "demo-password.txt").read_text().strip()
    cache.clear()


def test_every_role_opens_every_menu_page_without_an_error(live_server, demo_shop):
    check_pages = _check_pages()

    report = check_pages.walk_site(live_server.url, demo_shop)

    assert set(report.roles) == set(check_pages.DEMO_USERS)
    for username, walk in report.roles.items():
        assert len(walk.menu) >= 5, (username, walk.menu)  # the stages at least
        assert walk.visited, username
    owner = report.roles["owner"]
    assert any(path.startswith("/dashboard/orders/") for path in owner.visited)
    # a role never sees in its menu a page it may not open; the warehouse has fewer pages than the owner
    assert len(report.roles["warehouse"].visited) < len(owner.visited)
    assert [str(p) for p in report.all_problems] == []
