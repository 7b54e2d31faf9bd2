"""The array parameters behind the set-based payment writes: every value comes back as it went in."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.db import connection

from payments.models import PaymentEvent
from payments.services.journal import array_literal, unnest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("values", "db_type"), [
    ([], "text"),
    ([None, None], "bigint"),
    ([1, 2, 3], "bigint"),
    (['a"b', "c\\d", "", "x,y", "{}", " spaced ", "NULL", "é"], "text"),
    (["a", None, 'b"'], "text"),
    ([True, False], "boolean"),
    ([date(2026, 1, 2)], "date"),
    ([datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)], "timestamptz"),
])
def test_an_array_literal_reads_back_as_the_values(values, db_type):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT %s::{db_type}[]", [array_literal(values)])
        assert cursor.fetchone()[0] == values


def test_a_nul_in_a_value_is_refused_rather_than_splitting_the_array():
    from django.db import DataError

    with pytest.raises(DataError), connection.cursor() as cursor:
        cursor.execute("SELECT %s::text[]", [array_literal(["a\x00b", "c"])])


def test_unnest_passes_a_column_with_one_value_once_and_keeps_every_row():
    columns = ("payment_id", "kind", "note")
    values = [[7, 8, 9], ["paid", "paid", "paid"], ["x", 'y"', "x"]]
    sql, params = unnest(PaymentEvent, columns, values)
    assert params[0] == "paid"  # the one constant column, then one array per other column
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        assert cursor.fetchall() == [(7, "paid", "x"), (8, "paid", 'y"'), (9, "paid", "x")]


def test_unnest_refuses_columns_of_different_lengths():
    with pytest.raises(ValueError, match="lengths"):
        unnest(PaymentEvent, ("payment_id", "kind"), [[1, 2], ["paid"]])
