"""The CSP allows no inline style (style-src 'self'), so a `style="..."` attribute is silently ignored
by the browser: the dashboard's shared templates and the order pages use classes from oms.css."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHECKED = [ROOT / "templates", ROOT / "orders" / "templates"]
INLINE_STYLE = re.compile(r"<[^>]+\sstyle=\"", re.IGNORECASE)


@pytest.mark.parametrize("folder", CHECKED, ids=lambda p: str(p.relative_to(ROOT)))
def test_templates_carry_no_inline_style_the_csp_would_drop(folder):
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted(folder.rglob("*.html"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if INLINE_STYLE.search(line)
    ]

    assert offenders == []
