"""Bank statement parsers: BCA business and personal CSV, Mandiri Excel/CSV, BRI CSV, generic CSV.

Every parser yields `ParsedLine`s with whole-rupiah amounts (credits and debits both, the
importer ignores debits when matching). Banks' exports are messy: preamble lines before the
header, blank lines, trailing totals, `PEND` in the date column, amounts like `"150,123.00 CR"`
or `125.345,00`. Rows whose date cannot be read (totals, saldo lines) are skipped, never guessed.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from core.money import AmountError, parse_idr


class StatementError(ValueError):
    """The file cannot be read as the chosen format; the message says why."""


@dataclass(frozen=True)
class ParsedLine:
    booked_on: date | None
    description: str
    amount: int
    is_credit: bool
    is_pending: bool = False


MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "mei": 5, "jun": 6, "jul": 7, "aug": 8, "agu": 8,
    "agt": 8, "ags": 8, "sep": 9, "oct": 10, "okt": 10, "nov": 11, "dec": 12, "des": 12,
}

_AMOUNT_JUNK = re.compile(r"(?i)\b(rp|idr)\.?|\s")


def parse_amount(value) -> tuple[int, str | None]:
    """`(amount, marker)` from '150,123.00 CR', '125.345,00', 'Rp 1.500.000', '(25.000)', '-25000'.

    The marker is 'CR' / 'DB' when the text carries one, else None; the amount keeps its sign.
    The number itself is read by core.money.parse_idr (the one rupiah parser): with both '.' and
    ',' the last one is decimal; with one kind only, a single separator followed by 1–2 digits is
    decimal; sen are rounded once, half up.
    """
    if value is None:
        raise StatementError("empty amount")
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return _idr(value, value), None
    text = str(value).strip()
    marker = None
    match = re.search(r"(?i)\s*(?<![a-z])(CR|DB|DR|D|K|C)\.?\s*$", text)
    if match and re.search(r"\d", text[: match.start()]):
        token = match.group(1).upper()
        marker = "CR" if token in ("CR", "K", "C") else "DB"
        text = text[: match.start()]
    text = _AMOUNT_JUNK.sub("", text)
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1]
    if text.startswith("-"):
        negative, text = True, text[1:]
    elif text.endswith("-"):
        negative, text = True, text[:-1]
    if text.startswith("+"):
        text = text[1:]
    if not text or not re.fullmatch(r"[\d.,]+", text):
        raise StatementError(f"not an amount: {value!r}")
    amount = _idr(text, value)
    return (-amount if negative else amount), marker


def _idr(number, original) -> int:
    try:
        return parse_idr(number, min_amount=None, fractions="round")
    except AmountError:
        raise StatementError(f"not an amount: {original!r}") from None


def parse_date(value, *, default_year: int | None = None) -> date | None:
    """A statement date, or None for anything that is not one (totals, 'PEND', blanks)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip().strip("'")
    if not text:
        return None
    text = text.split(" ")[0] if re.match(r"^\d{4}-\d{2}-\d{2}[ T]", text) else text
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
    if m:
        return _safe_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{2,4})", text)
    if m:
        year = int(m.group(3))
        year = year + 2000 if year < 100 else year
        return _safe_date(year, int(m.group(2)), int(m.group(1)))
    m = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})", text)
    if m and default_year:
        return _safe_date(default_year, int(m.group(2)), int(m.group(1)))
    m = re.fullmatch(r"(\d{1,2})[ /.-]([A-Za-z]{3,9})[ /.-]?(\d{2,4})?", text)
    if m:
        month = MONTHS.get(m.group(2)[:3].lower())
        if month is None:
            return None
        year = int(m.group(3)) if m.group(3) else default_year
        if year is None:
            return None
        year = year + 2000 if year < 100 else year
        return _safe_date(year, month, int(m.group(1)))
    return None


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def csv_rows(data: bytes) -> list[list[str]]:
    text = decode(data)
    sample = "\n".join(text.splitlines()[:30])
    counts = {d: sample.count(d) for d in (",", ";", "\t", "|")}
    delimiter = max(counts, key=counts.get) if any(counts.values()) else ","
    return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def xlsx_rows(data: bytes) -> list[list]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:
        raise StatementError(f"not a readable Excel file: {exc}") from None
    sheet = workbook.worksheets[0]
    rows = [[("" if cell is None else cell) for cell in row] for row in sheet.iter_rows(values_only=True)]
    workbook.close()
    return rows


def rows_from_file(data: bytes) -> list[list]:
    if data[:4] == b"PK\x03\x04":
        return xlsx_rows(data)
    return csv_rows(data)


def _norm(header) -> str:
    return re.sub(r"[^a-z0-9]+", " ", str(header).lower()).strip()


def _year_hint(rows: list[list]) -> int | None:
    """BCA personal dates lack a year: take it from 'Periode : 01/11/2026 - 30/11/2026'."""
    for row in rows[:15]:
        for cell in row:
            m = re.search(r"\d{1,2}/\d{1,2}/(\d{4})", str(cell))
            if m:
                return int(m.group(1))
    return None


@dataclass(frozen=True)
class Layout:
    """Which header names mean what. Each entry lists acceptable normalised header names."""

    date: tuple[str, ...]
    description: tuple[str, ...]
    amount: tuple[str, ...] = ()
    credit: tuple[str, ...] = ()
    debit: tuple[str, ...] = ()
    direction: tuple[str, ...] = ()


LAYOUTS = {
    "bca_business": Layout(
        date=("tanggal transaksi", "tanggal", "tgl transaksi"),
        description=("keterangan",),
        amount=("jumlah", "mutasi"),
        direction=("db cr", "cr db"),
    ),
    "bca_personal": Layout(
        date=("tanggal", "tanggal transaksi"),
        description=("keterangan",),
        amount=("jumlah", "mutasi"),
        direction=("db cr", "cr db", ""),
    ),
    "mandiri": Layout(
        date=("tgl", "tanggal", "posting date", "tgl transaksi"),
        description=("rincian transaksi", "keterangan", "remarks", "description"),
        credit=("kredit", "credit"),
        debit=("debit", "debet"),
    ),
    "bri": Layout(
        date=("tgl tran", "tanggal transaksi", "tanggal", "tgl"),
        description=("desk tran", "uraian transaksi", "transaksi", "keterangan", "uraian"),
        credit=("mutasi kredit", "kredit", "credit"),
        debit=("mutasi debet", "debet", "debit"),
    ),
}


def _find(headers: list[str], names: tuple[str, ...], *, start: int = 0) -> int | None:
    for name in names:
        for i, header in enumerate(headers):
            if i >= start and header == name:
                return i
    return None


def _locate_header(rows: list[list], layout: Layout) -> tuple[int, dict[str, int | None]]:
    for index, row in enumerate(rows[:50]):
        headers = [_norm(cell) for cell in row]
        date_col = _find(headers, layout.date)
        if date_col is None:
            continue
        amount_col = _find(headers, layout.amount) if layout.amount else None
        credit_col = _find(headers, layout.credit) if layout.credit else None
        if amount_col is None and credit_col is None:
            continue
        columns = {
            "date": date_col,
            "description": _find(headers, layout.description),
            "amount": amount_col,
            "credit": credit_col,
            "debit": _find(headers, layout.debit) if layout.debit else None,
            "direction": None,
        }
        if amount_col is not None and layout.direction:
            named = _find(headers, tuple(n for n in layout.direction if n))
            after = amount_col + 1
            if named is None and "" in layout.direction and after < len(headers) and not headers[after]:
                named = after  # BCA personal: an unnamed column after Jumlah holds CR/DB
            columns["direction"] = named
        return index, columns
    raise StatementError("could not find the header row (expected columns like Tanggal / Keterangan / Jumlah)")


def _cell(row: list, index: int | None):
    if index is None or index >= len(row):
        return ""
    return row[index]


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_table(rows: list[list], columns: dict[str, int | None], *, start: int,
                default_year: int | None = None, date_format: str = "") -> Iterator[ParsedLine]:
    for row in rows[start:]:
        if not row or all(_is_blank(cell) for cell in row):
            continue
        raw_date = _cell(row, columns["date"])
        pending = isinstance(raw_date, str) and raw_date.strip().upper().startswith("PEND")
        if date_format and isinstance(raw_date, str) and not pending:
            try:
                booked_on = datetime.strptime(raw_date.strip(), date_format).date()
            except ValueError:
                booked_on = None
        else:
            booked_on = None if pending else parse_date(raw_date, default_year=default_year)
        if booked_on is None and not pending:
            continue  # totals, balances, footers
        description = " ".join(str(_cell(row, columns["description"])).split())[:500]
        if columns.get("amount") is not None:
            raw_amount = _cell(row, columns["amount"])
            if _is_blank(raw_amount):
                continue
            amount, marker = parse_amount(raw_amount)
            direction = str(_cell(row, columns.get("direction"))).strip().upper()
            if direction in ("CR", "K", "C", "KREDIT", "CREDIT"):
                marker = "CR"
            elif direction in ("DB", "D", "DR", "DEBET", "DEBIT"):
                marker = "DB"
            if marker is None:
                marker = "DB" if amount < 0 else "CR"
            is_credit = marker == "CR"
            amount = abs(amount)
        else:
            credit_raw = _cell(row, columns["credit"])
            debit_raw = _cell(row, columns.get("debit"))
            credit = abs(parse_amount(credit_raw)[0]) if not _is_blank(credit_raw) else 0
            debit = abs(parse_amount(debit_raw)[0]) if not _is_blank(debit_raw) else 0
            if credit:
                amount, is_credit = credit, True
            elif debit:
                amount, is_credit = debit, False
            else:
                continue
        if amount == 0:
            continue
        yield ParsedLine(booked_on=booked_on, description=description, amount=amount, is_credit=is_credit,
                         is_pending=pending)


def parse_statement(data: bytes, fmt: str, *, column_mapping: dict | None = None) -> list[ParsedLine]:
    """All lines of a statement file in the given format (see StatementImport.Format)."""
    rows = rows_from_file(data)
    if not rows:
        raise StatementError("the file is empty")
    default_year = _year_hint(rows)
    if fmt == "generic":
        return list(_parse_generic(rows, column_mapping or {}, default_year=default_year))
    layout = LAYOUTS.get(fmt)
    if layout is None:
        raise StatementError(f"unknown statement format {fmt!r}")
    header_index, columns = _locate_header(rows, layout)
    return list(parse_table(rows, columns, start=header_index + 1, default_year=default_year))


GENERIC_KEYS = ("date", "description", "amount", "credit", "debit", "direction")


def validate_column_mapping(mapping: dict) -> dict[str, str]:
    """Errors per key for a generic mapping ({'date': 'Tanggal', 'amount': 'Nominal', ...})."""
    errors = {}
    unknown = set(mapping) - set(GENERIC_KEYS) - {"date_format"}
    for key in unknown:
        errors[key] = "unknown key"
    if not mapping.get("date"):
        errors["date"] = "name the date column"
    if not mapping.get("amount") and not mapping.get("credit"):
        errors["amount"] = "name an amount column, or a credit column"
    return errors


def _parse_generic(rows: list[list], mapping: dict, *, default_year: int | None) -> Iterator[ParsedLine]:
    errors = validate_column_mapping(mapping)
    if errors:
        raise StatementError("; ".join(f"{k}: {v}" for k, v in errors.items()))
    wanted = {key: _norm(mapping[key]) for key in GENERIC_KEYS if mapping.get(key)}
    for index, row in enumerate(rows[:50]):
        headers = [_norm(cell) for cell in row]
        if wanted["date"] in headers:
            columns = {key: (headers.index(name) if name in headers else None) for key, name in wanted.items()}
            missing = [mapping[key] for key, col in columns.items() if col is None]
            if missing:
                raise StatementError(f"columns not found in the header: {', '.join(missing)}")
            for key in GENERIC_KEYS:
                columns.setdefault(key, None)
            yield from parse_table(rows, columns, start=index + 1, default_year=default_year,
                                   date_format=mapping.get("date_format", ""))
            return
    raise StatementError(f"no header row with a column named {mapping['date']!r}")
