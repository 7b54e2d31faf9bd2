"""Indonesian phone numbers, normalised with libphonenumber."""

from __future__ import annotations

import phonenumbers


def normalize_phone(raw: str, *, region: str = "ID") -> str:
    """E.164 form of a phone number typed any usual way (0812..., 62812..., +62 812-...).

    Raises ValueError with a readable reason when it is not a valid number.
    """
    text = (raw or "").strip()
    if not text:
        raise ValueError("phone number is empty")
    if text.startswith("62") and not text.startswith("+"):
        text = "+" + text
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"{raw!r} is not a phone number ({exc})") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"{raw!r} is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str) -> str:
    """+6281234567890 -> 0812-3456-7890 style national format."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, "ID")
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
