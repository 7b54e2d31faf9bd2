"""The CSP allows no inline style or script (`style-src 'self'`, `script-src 'self'`): a `style="..."`
attribute, a `<style>` block, an inline `<script>` body or an `on*=` handler is silently dropped by
the browser and the page's layout or behaviour breaks. Every template (templates/ and every app's
templates/) uses classes from the static CSS and behaviours from static JS files instead."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# A tag (possibly spread over several lines) with a style attribute, quoted or not.
INLINE_STYLE = re.compile(r"<[a-zA-Z][^<>]*?\sstyle\s*=", re.IGNORECASE)
STYLE_BLOCK = re.compile(r"<style[\s>]", re.IGNORECASE)
# A <script> without src= whose body is not empty (JSON data islands are not executed).
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>(?!\s*</script>)",
                           re.IGNORECASE)
HANDLER = re.compile(r"<[a-zA-Z][^<>]*?\son[a-z]+\s*=", re.IGNORECASE)


def _templates() -> list[Path]:
    found = sorted((ROOT / "templates").rglob("*.html"))
    for app_templates in sorted(ROOT.glob("*/templates")):
        found += sorted(app_templates.rglob("*.html"))
    return found


def _offenders(pattern: re.Pattern[str]) -> list[str]:
    offenders = []
    for path in _templates():
        text = path.read_text(encoding="utf-8")
        for match in pattern.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            offenders.append(f"{path.relative_to(ROOT)}:{line}: {match.group(0)[:80]}")
    return offenders


def test_the_check_sees_every_app_template():
    folders = {path.relative_to(ROOT).parts[0] for path in _templates()}

    assert {"templates", "catalog", "orders", "payments", "notifications", "aftersales"} <= folders


def test_no_template_carries_an_inline_style_attribute_the_csp_would_drop():
    assert _offenders(INLINE_STYLE) == []


def test_no_template_carries_a_style_block():
    assert _offenders(STYLE_BLOCK) == []


def test_no_template_carries_an_inline_script_body():
    assert _offenders(INLINE_SCRIPT) == []


def test_no_template_carries_an_event_handler_attribute():
    assert _offenders(HANDLER) == []
