from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from payments.statements.parsers import StatementError, parse_amount, parse_date, parse_statement

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "statements"


def load(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("150,123.00 CR", (150123, "CR")),
        ("125.345,00", (125345, None)),
        ("1.500.000", (1500000, None)),
        ("1,500,000", (1500000, None)),
        ("Rp 125.345", (125345, None)),
        ("-50.000", (-50000, None)),
        ("(2.500)", (-2500, None)),
        ("10,000.00 DB", (10000, "DB")),
        ("1.000.000 CR", (1000000, "CR")),
        ("125345.00", (125345, None)),
        ("99,5", (100, None)),
        ("1.500.321,00", (1500321, None)),
        ("2500000D", (2500000, "DB")),
    ],
)
def test_amounts_parse_in_indonesian_and_english_formats(text, expected):
    assert parse_amount(text) == expected


def test_text_that_is_no_amount_is_refused():
    with pytest.raises(StatementError):
        parse_amount("Saldo")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20/11/2026", date(2026, 11, 20)),
        ("21/11/26", date(2026, 11, 21)),
        ("2026-11-20 09:14:00", date(2026, 11, 20)),
        ("21-Nov-2026", date(2026, 11, 21)),
        ("5 Des 2026", date(2026, 12, 5)),
        ("'21/11", date(2026, 11, 21)),
        ("PEND", None),
        ("Saldo Awal", None),
    ],
)
def test_dates_parse_in_the_banks_formats(text, expected):
    assert parse_date(text, default_year=2026) == expected


def test_bca_business_csv_reads_credits_debits_and_skips_preamble_blank_lines_and_totals():
    lines = parse_statement(load("bca_business.csv"), "bca_business")
    assert [(ln.booked_on, ln.amount, ln.is_credit) for ln in lines] == [
        (date(2026, 11, 20), 125345, True),
        (date(2026, 11, 20), 10000, False),
        (date(2026, 11, 21), 1250777, True),
        (date(2026, 11, 21), 99123, True),
        (date(2026, 11, 22), 2500000, False),
    ]
    assert "BUDI SANTOSO" in lines[0].description


def test_bca_personal_csv_takes_the_year_from_the_period_and_keeps_pending_rows_as_pending():
    lines = parse_statement(load("bca_personal.csv"), "bca_personal")
    assert [(ln.booked_on, ln.amount, ln.is_credit, ln.is_pending) for ln in lines] == [
        (date(2026, 11, 21), 75500, True, False),
        (date(2026, 11, 22), 210250, True, False),
        (date(2026, 11, 22), 500000, False, False),
        (None, 88888, True, True),
    ]


def test_mandiri_csv_with_indonesian_numbers_and_a_total_row():
    lines = parse_statement(load("mandiri.csv"), "mandiri")
    assert [(ln.booked_on, ln.amount, ln.is_credit) for ln in lines] == [
        (date(2026, 11, 20), 125345, True),
        (date(2026, 11, 21), 12500, False),
        (date(2026, 11, 22), 1500321, True),
    ]


def test_mandiri_excel_reads_the_same_rows_as_the_csv():
    lines = parse_statement(load("mandiri.xlsx"), "mandiri")
    assert [(ln.booked_on, ln.amount, ln.is_credit) for ln in lines] == [
        (date(2026, 11, 20), 125345, True),
        (date(2026, 11, 21), 12500, False),
        (date(2026, 11, 22), 1500321, True),
    ]


def test_bri_csv_with_timestamps_and_english_numbers():
    lines = parse_statement(load("bri.csv"), "bri")
    assert [(ln.booked_on, ln.amount, ln.is_credit) for ln in lines] == [
        (date(2026, 11, 20), 310222, True),
        (date(2026, 11, 21), 1000000, False),
        (date(2026, 11, 22), 45999, True),
    ]


def test_generic_csv_follows_the_column_mapping_with_signed_amounts():
    mapping = {"date": "Date", "description": "Details", "amount": "Amount"}
    lines = parse_statement(load("generic.csv"), "generic", column_mapping=mapping)
    assert [(ln.booked_on, ln.amount, ln.is_credit) for ln in lines] == [
        (date(2026, 11, 22), 125678, True),
        (date(2026, 11, 22), 50000, False),
        (date(2026, 11, 23), 1234567, True),
    ]


def test_generic_csv_names_a_missing_column():
    with pytest.raises(StatementError, match="Nominal"):
        parse_statement(load("generic.csv"), "generic", column_mapping={"date": "Date", "amount": "Nominal"})


def test_messy_file_with_both_separators_duplicates_and_odd_dates_parses():
    lines = parse_statement(load("messy_bca_business.csv"), "bca_business")
    assert [(ln.booked_on, ln.amount, ln.is_credit) for ln in lines] == [
        (date(2026, 11, 20), 125345, True),
        (date(2026, 11, 20), 125345, True),
        (date(2026, 11, 20), 125345, True),
        (date(2026, 11, 21), 1000000, True),
        (date(2026, 11, 21), 2500, False),
    ]


def test_a_file_without_the_expected_header_is_refused_clearly():
    with pytest.raises(StatementError, match="header"):
        parse_statement(b"foo,bar\n1,2\n", "bca_business")
