"""Order discount providers: vouchers, loyalty points... offered by higher apps, applied by order creation.

orders never imports those apps. An app registers a provider under a key in AppConfig.ready()::

    from orders import discounts
    discounts.register(VoucherDiscount())            # key "voucher"

and order_create_with_rows(..., discounts={"voucher": "HEMAT10", "points": 5000}) then, inside the
order's transaction:

1. asks each requested provider, in registration order, to `quote` its discount against what is
   left of the order (items total after line discounts and the earlier discounts; shipping is never
   discounted): a ValidationError keyed by the provider's key refuses the order;
2. writes the order with the sum of the quotes added to its discount_amount;
3. calls each provider's `redeem` with the written order and lines passed explicitly, still in the
   transaction: the provider locks what it must (the voucher row, the customer's points account),
   checks its limits again and writes its redemption row. A limit reached meanwhile raises
   ValidationError and the whole order is rolled back, so a limit holds under concurrency.

The quotes and their amounts are recorded on the order's `created` event (data["discounts"]).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class DiscountContext:
    """What a provider may look at to price its discount (read-only)."""

    channel: object  # channels.Channel
    customer: object  # orders.Customer, resolved inside the order transaction
    subtotal_amount: int  # items after line discounts
    remaining_amount: int  # what is left to discount: subtotal minus the order discount and earlier quotes
    lines: list  # orders.services.create.ResolvedLine


@dataclass(frozen=True)
class DiscountQuote:
    key: str
    amount: int  # whole rupiah, 0 < amount <= remaining_amount
    label: str  # shown on the order timeline, e.g. "Voucher HEMAT10"
    data: dict = field(default_factory=dict)  # what redeem needs (voucher id, points...)


class DiscountProvider(Protocol):
    key: str

    def quote(self, *, value, context: DiscountContext) -> DiscountQuote | None:
        """The discount for the requested `value` (a code, a number of points); None for nothing."""

    def redeem(self, *, quote: DiscountQuote, order, lines: list) -> None:
        """Write the redemption for the order just written; raise ValidationError past a limit."""


_providers: dict[str, DiscountProvider] = {}


def register(provider: DiscountProvider) -> None:
    _providers[provider.key] = provider


def get(key: str) -> DiscountProvider | None:
    return _providers.get(key)


def provider_keys() -> list[str]:
    return list(_providers)


def requested(discounts: dict | None) -> list[tuple[DiscountProvider | None, str, object]]:
    """(provider, key, value) for each requested discount with a value, in registration order;
    an unknown key comes last with provider None (the caller refuses it)."""
    wanted = {key: value for key, value in (discounts or {}).items() if value not in (None, "", 0)}
    known = [(_providers[key], key, wanted[key]) for key in _providers if key in wanted]
    unknown = [(None, key, value) for key, value in wanted.items() if key not in _providers]
    return known + unknown
