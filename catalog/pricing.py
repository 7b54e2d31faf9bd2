"""Margin and price arithmetic: pure functions over whole rupiah and Decimal percentages.

margin = price - cost (HPP) - commission (price x commission%) - fixed fee - packaging
margin % = margin / price x 100

Amounts are rounded once: the commission through core.money.percent_of, the suggested price by
rounding the exact break-even price up to the next `round_to` rupiah.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from core.money import percent_of

ONE_DECIMAL = Decimal("0.1")


def _percent(value: Decimal) -> Decimal:
    """Percentages are shown with one decimal, rounded half up."""
    return value.quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Margin:
    price_amount: int
    cost_amount: int
    commission_amount: int
    fixed_fee_amount: int
    packaging_amount: int
    margin_amount: int
    margin_percent: Decimal | None
    target_percent: Decimal

    @property
    def fees_amount(self) -> int:
        return self.commission_amount + self.fixed_fee_amount + self.packaging_amount

    @property
    def below_target(self) -> bool:
        return self.margin_percent is None or self.margin_percent < self.target_percent

    @property
    def is_loss(self) -> bool:
        return self.margin_amount < 0


def margin_calculate(
    *,
    price_amount: int,
    cost_amount: int,
    commission_percent: Decimal | int | str = 0,
    fixed_fee_amount: int = 0,
    packaging_cost_amount: int = 0,
    target_margin_percent: Decimal | int | str = 0,
) -> Margin:
    commission = percent_of(price_amount, commission_percent)
    margin = price_amount - cost_amount - commission - fixed_fee_amount - packaging_cost_amount
    percent = _percent(Decimal(margin) * 100 / Decimal(price_amount)) if price_amount > 0 else None
    return Margin(
        price_amount=price_amount,
        cost_amount=cost_amount,
        commission_amount=commission,
        fixed_fee_amount=fixed_fee_amount,
        packaging_amount=packaging_cost_amount,
        margin_amount=margin,
        margin_percent=percent,
        target_percent=Decimal(target_margin_percent),
    )


def price_suggest(
    *,
    cost_amount: int,
    target_margin_percent: Decimal | int | str,
    commission_percent: Decimal | int | str = 0,
    fixed_fee_amount: int = 0,
    packaging_cost_amount: int = 0,
    round_to: int = 100,
) -> int | None:
    """The lowest price (a multiple of `round_to`) whose margin after fees reaches the target.

    price x (1 - commission% - target%) = cost + fixed fee + packaging. None when commission and
    target together reach 100% (no price can make it).
    """
    rate = Decimal(1) - (Decimal(commission_percent) + Decimal(target_margin_percent)) / Decimal(100)
    if rate <= 0:
        return None
    exact = Decimal(cost_amount + fixed_fee_amount + packaging_cost_amount) / rate
    step = max(int(round_to), 1)
    price = max(math.ceil(exact / step) * step, step)
    target = Decimal(target_margin_percent)
    # The commission is rounded to whole rupiah; step up in the rare case that costs the target.
    for _ in range(100):
        m = margin_calculate(
            price_amount=price, cost_amount=cost_amount, commission_percent=commission_percent,
            fixed_fee_amount=fixed_fee_amount, packaging_cost_amount=packaging_cost_amount,
        )
        if Decimal(m.margin_amount) * 100 >= target * price:
            break
        price += step
    return price


@dataclass(frozen=True)
class PricePosition:
    position: str  # "cheapest", "within", "above" or "unknown"
    our_price_amount: int
    cheapest_amount: int | None
    difference_percent: Decimal | None  # how far we are above (+) or below (-) the cheapest competitor
    within_percent: Decimal

    @property
    def label(self) -> str:
        from django.utils.translation import gettext as _

        return {
            "cheapest": _("Cheapest"),
            "within": _("Within %(p)s%% of the cheapest") % {"p": self.within_percent},
            "above": _("Above the market"),
            "unknown": _("No competitor prices"),
        }[self.position]


def price_position(
    *, our_price_amount: int, competitor_amounts: list[int], within_percent: Decimal | int | str = 5
) -> PricePosition:
    """Where our price sits against competitors: cheapest, within x% of the cheapest, or above."""
    within = Decimal(within_percent)
    if not competitor_amounts:
        return PricePosition("unknown", our_price_amount, None, None, within)
    cheapest = min(competitor_amounts)
    diff = _percent(Decimal(our_price_amount - cheapest) * 100 / Decimal(cheapest))
    if our_price_amount <= cheapest:
        position = "cheapest"
    elif diff <= within:
        position = "within"
    else:
        position = "above"
    return PricePosition(position, our_price_amount, cheapest, diff, within)
