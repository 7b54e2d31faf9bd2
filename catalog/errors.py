"""Catalog and stock errors; core.api maps them to the JSON error body."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from django.utils.translation import gettext as _

from core.errors import DomainError


@dataclass(frozen=True)
class Shortage:
    sku: str
    requested: int
    available: int


class OutOfStock(DomainError):
    """A reservation asked for more than is available; nothing was reserved."""

    code = "out_of_stock"
    http_status = 409

    def __init__(self, shortages: list[Shortage]) -> None:
        self.shortages = list(shortages)
        parts = ", ".join(
            _("%(sku)s (requested %(requested)s, available %(available)s)")
            % {"sku": s.sku, "requested": s.requested, "available": s.available}
            for s in self.shortages
        )
        super().__init__(
            _("Out of stock: %(skus)s.") % {"skus": parts},
            detail={"shortages": [asdict(s) for s in self.shortages]},
        )


class InvalidStockChange(DomainError):
    """A receipt, adjustment or count that would break the stock rules (negative, below reserved)."""

    code = "invalid_stock_change"
    http_status = 400

    def __init__(self, message: str, *, field: str = "quantity") -> None:
        super().__init__(message, detail={"field": field})
        self.field = field


class ImportHasErrors(DomainError):
    """An import file with at least one bad row; nothing was changed."""

    code = "import_has_errors"
    http_status = 400
