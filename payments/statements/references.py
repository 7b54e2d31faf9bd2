"""Order numbers in the free text of a bank credit (the transfer's description, "berita")."""

from __future__ import annotations

import re

_TOKEN = re.compile(r"[A-Z0-9][A-Z0-9/_.-]*")


def plain_reference(text: str) -> str:
    """Uppercase letters and digits only: ORD-T000123, ord t000123 and ORD/T000123 compare equal."""
    return re.sub(r"[^A-Z0-9]", "", text.upper())


def description_tokens(description: str) -> set[str]:
    """The words of a credit's description as plain references (banks drop or keep - / . _)."""
    return {plain_reference(token) for token in _TOKEN.findall(description.upper())}
