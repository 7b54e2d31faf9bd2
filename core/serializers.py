"""DRF fields shared by every app's API."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.money import MAX_AMOUNT, MAX_AMOUNT_TEXT, AmountError, parse_idr

MONEY_TEXT_PATTERN = r"^\s*-?\s*(?:[Rr][Pp]\.?|IDR)?\s*-?[0-9][0-9., ]*(?:,-)?\s*$"


@extend_schema_field(
    {
        "oneOf": [
            {"type": "integer", "format": "int64", "maximum": MAX_AMOUNT},
            {"type": "string", "maxLength": MAX_AMOUNT_TEXT, "pattern": MONEY_TEXT_PATTERN},
        ],
        "description": 'Whole rupiah: 89000, or text as people write it ("89.000", "Rp 89.000", "89,000.00").',
        "example": 89000,
    }
)
class MoneyField(serializers.Field):
    """Whole rupiah in API input: an integer, or text read by core.money.parse_idr.

    DRF's IntegerField reads the string "89.000" as 89 (it drops a trailing ".000"); this field reads
    it as 89000, and refuses text that can be read two ways ("89.5") with a message. Writes an int.
    """

    default_error_messages = {"invalid": AmountError.MESSAGES["invalid"]}

    def __init__(self, *, min_value: int | None = 0, max_value: int | None = MAX_AMOUNT, **kwargs):
        self.min_value, self.max_value = min_value, max_value
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> int:
        if not isinstance(data, int | float | str) or isinstance(data, bool):
            self.fail("invalid")
        try:
            return parse_idr(data, min_amount=self.min_value, max_amount=self.max_value)
        except AmountError as exc:
            raise serializers.ValidationError(exc.message, code=exc.code) from None

    def to_representation(self, value) -> int:
        return int(value)


class IdField(serializers.IntegerField):
    """A database id sent by a client: 1 up to PostgreSQL's bigint maximum (the schema says so too)."""

    def __init__(self, **kwargs):
        from core.untrusted import BIGINT_MAX

        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", BIGINT_MAX)
        super().__init__(**kwargs)
