from __future__ import annotations

from decimal import Decimal

import pytest

from catalog.pricing import margin_calculate, price_position, price_suggest


def test_margin_takes_cost_commission_fixed_fee_and_packaging_off_the_price():
    m = margin_calculate(price_amount=100_000, cost_amount=55_000, commission_percent=Decimal("8"),
                         fixed_fee_amount=1_250, packaging_cost_amount=1_500, target_margin_percent=25)

    assert m.commission_amount == 8_000
    assert m.margin_amount == 100_000 - 55_000 - 8_000 - 1_250 - 1_500 == 34_250
    assert m.margin_percent == Decimal("34.3")
    assert not m.below_target


def test_margin_under_the_target_is_flagged_and_a_loss_is_negative():
    m = margin_calculate(price_amount=50_000, cost_amount=48_000, commission_percent=8, target_margin_percent=20)

    assert m.margin_amount == -2_000
    assert m.is_loss and m.below_target
    assert m.margin_percent == Decimal("-4.0")


def test_commission_is_rounded_once_half_up():
    assert margin_calculate(price_amount=12_345, cost_amount=0, commission_percent="6.5").commission_amount == 802


def test_suggested_price_reaches_the_target_margin_after_fees():
    price = price_suggest(cost_amount=55_000, target_margin_percent=25, commission_percent=8, fixed_fee_amount=1_250,
                          packaging_cost_amount=1_500)

    # (55000 + 1250 + 1500) / (1 - 0.33) = 86194.03 -> next 100
    assert price == 86_200
    m = margin_calculate(price_amount=price, cost_amount=55_000, commission_percent=8, fixed_fee_amount=1_250,
                         packaging_cost_amount=1_500)
    assert Decimal(m.margin_amount) / price * 100 >= 25
    assert price_suggest(cost_amount=55_000, target_margin_percent=25, commission_percent=8, fixed_fee_amount=1_250,
                         packaging_cost_amount=1_500, round_to=1) == 86_195


def test_no_price_when_commission_and_target_reach_a_hundred_percent():
    assert price_suggest(cost_amount=10_000, target_margin_percent=95, commission_percent=5) is None


@pytest.mark.parametrize(
    ("ours", "theirs", "position", "diff"),
    [(95_000, [100_000, 120_000], "cheapest", Decimal("-5.0")), (100_000, [100_000], "cheapest", Decimal("0.0")),
     (104_000, [100_000, 130_000], "within", Decimal("4.0")), (110_000, [100_000], "above", Decimal("10.0")),
     (100_000, [], "unknown", None)],
)
def test_price_position_against_the_cheapest_competitor(ours, theirs, position, diff):
    result = price_position(our_price_amount=ours, competitor_amounts=theirs, within_percent=5)

    assert (result.position, result.difference_percent) == (position, diff)
