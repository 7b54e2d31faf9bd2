"""Every page is sent with a strict Content-Security-Policy, and templates carry no inline script."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from core import roles

pytestmark = pytest.mark.django_db
ROOT = Path(settings.BASE_DIR)


@pytest.mark.parametrize("path", ["/dashboard/", "/dashboard/orders/", "/track/", "/accounts/login/", "/api/docs/"])
def test_pages_are_sent_with_a_self_only_policy_without_inline_script(staff_client, path):
    response = staff_client(roles.OWNER).get(path)

    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert directives["default-src"] == "'self'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def _templates() -> list[Path]:
    return [p for p in ROOT.glob("**/templates/**/*.html") if ".venv" not in p.parts and "node_modules" not in p.parts]


def test_no_template_has_an_inline_script_an_event_handler_or_a_javascript_url():
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
    handler = re.compile(r"\son[a-z]+\s*=", re.I)
    found = []
    for path in _templates():
        text = path.read_text()
        for pattern in (inline_script, handler, re.compile(r"javascript:", re.I)):
            found += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in pattern.finditer(text)]
    assert not found, "\n".join(found)
