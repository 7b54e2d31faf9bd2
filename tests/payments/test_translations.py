from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po

PO = Path(__file__).resolve().parents[2] / "payments" / "locale" / "id" / "LC_MESSAGES" / "django.po"


def test_every_payments_string_has_an_indonesian_translation():
    with PO.open("rb") as handle:
        catalog = read_po(handle, locale="id")
    untranslated = [m.id for m in catalog if m.id and not (m.string if isinstance(m.string, str) else all(m.string))]
    assert untranslated == []
    assert catalog["Payments"].string == "Pembayaran"
