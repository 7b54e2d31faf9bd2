"""Extension points of after-sales for apps above it (the CRM), filled in their AppConfig.ready().

- Return completed: `register_return_completed(fn)`; `fn(done: ReturnCompleted)` runs inside the
  return's completing transaction with the written rows' ids (e.g. the CRM reverses the loyalty
  points the refunded part of the order earned).
- Voucher issuer: `register_voucher_issuer(fn)`; `fn(customer_id=..., amount=..., reason=...,
  reference=...) -> str` writes a personal voucher and returns its code (a return or a case
  resolved with a voucher). Without an issuer, the voucher outcome is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ReturnCompleted:
    return_id: int
    order_id: int
    customer_id: int | None
    outcome: str
    refund_amount: int
    returned_amount: int  # the value of the returned lines (their price after line discounts)


ReturnCompletedHook = Callable[[ReturnCompleted], None]
VoucherIssuer = Callable[..., str]

_return_completed: list[ReturnCompletedHook] = []
_voucher_issuer: list[VoucherIssuer] = []


def register_return_completed(hook: ReturnCompletedHook) -> None:
    if hook not in _return_completed:
        _return_completed.append(hook)


def run_return_completed(done: ReturnCompleted) -> None:
    for hook in _return_completed:
        hook(done)


def register_voucher_issuer(issuer: VoucherIssuer) -> None:
    _voucher_issuer[:] = [issuer]


def voucher_issuer() -> VoucherIssuer | None:
    return _voucher_issuer[0] if _voucher_issuer else None
