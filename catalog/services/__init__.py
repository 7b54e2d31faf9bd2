"""Catalog writes. Import from here: `from catalog.services import stock_reserve, StockRequest`."""

from catalog.services.push import stock_push_all, stock_push_flush, stock_push_schedule
from catalog.services.stock import (
    StockRequest,
    stock_adjust,
    stock_commit,
    stock_count,
    stock_receive,
    stock_release,
    stock_reserve,
    stock_return_restock,
    stock_transfer,
    warehouse_default,
)

__all__ = [
    "StockRequest",
    "stock_adjust",
    "stock_commit",
    "stock_count",
    "stock_push_all",
    "stock_push_flush",
    "stock_push_schedule",
    "stock_receive",
    "stock_release",
    "stock_reserve",
    "stock_return_restock",
    "stock_transfer",
    "warehouse_default",
]
