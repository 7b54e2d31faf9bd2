from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from payments.models import OrderPaymentState
from payments.statements.parsers import parse_amount
from payments.states import PaymentFigures, derive_order_payment_state

rupiah = st.integers(min_value=0, max_value=10**12)


def english(n: int) -> str:
    return f"{n:,}.00"


def indonesian(n: int) -> str:
    return f"{n:,}".replace(",", ".") + ",00"


@given(rupiah, st.sampled_from(["", " CR", " DB"]))
def test_amounts_read_back_whatever_the_separators(n, marker):
    for text in (english(n), indonesian(n), f"{n:,}".replace(",", "."), str(n)):
        amount, found = parse_amount(text + marker)
        assert amount == n
        assert found == (marker.strip() or None)


@given(st.integers(min_value=1, max_value=10**9),
       st.lists(st.tuples(st.integers(min_value=0, max_value=10**9), st.integers(min_value=0, max_value=10**9)),
                max_size=4))
def test_the_derived_state_agrees_with_the_totals(expected, rows):
    payments = [PaymentFigures("paid", 0, received, min(refunded, received)) for received, refunded in rows]
    state = derive_order_payment_state(expected_amount=expected, payments=payments)
    received = sum(p.received_amount for p in payments)
    refunded = sum(p.refunded_amount for p in payments)
    net = received - refunded
    if refunded and net <= 0:
        assert state == OrderPaymentState.REFUNDED
    elif net <= 0:
        assert state == OrderPaymentState.UNPAID
    elif net < expected - refunded:
        assert state == OrderPaymentState.PARTIALLY_PAID
    elif net == expected - refunded:
        assert state == OrderPaymentState.PAID
    else:
        assert state == OrderPaymentState.OVERPAID
