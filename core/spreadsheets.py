"""Reading uploaded tables (CSV and XLSX) within bounds of memory and time.

Every importer (bank statements, marketplace settlements, COD remittances, the catalog import)
reads its file through `read_rows`, which refuses early and with a message that names the row:

- XLSX: the zip is checked before openpyxl sees it (entry count, total uncompressed size and
  compression ratio: a zip bomb is refused without inflating it), the sheet is read in openpyxl's
  read-only streaming mode with the row and column bounds given explicitly, so a sheet that
  declares a huge dimension (or a cell in column XFD) is never padded to that size;
- CSV: a binary file (NUL bytes) is refused, line ends are read the way spreadsheets write them
  (a stray carriage return is a line end, not a crash), `csv.Error` becomes a message with the row;
- both: at most `max_rows` rows of at most `max_columns` cells of at most `max_cell_chars`
  characters, within `max_seconds`.
"""

from __future__ import annotations

import csv
import io
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from django.utils.translation import gettext as _

XLSX_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class Limits:
    max_rows: int = 100_000
    max_columns: int = 60
    max_cell_chars: int = 10_000
    max_seconds: float = 60.0
    max_uncompressed_bytes: int = 200 * 1024 * 1024  # XLSX: all zip entries inflated
    max_zip_entries: int = 2_000
    max_compression_ratio: int = 200  # XLSX text compresses well, but not 1000:1


class TableError(ValueError):
    """The file cannot be read within the limits; `row` is the 1-based row it stopped at (0: the file)."""

    def __init__(self, message: str, *, row: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.row = row


def is_xlsx(data: bytes) -> bool:
    return data[:4] == XLSX_MAGIC


def read_rows(data: bytes, *, limits: Limits = Limits(), kind: str = "") -> list[list]:
    """All rows of the first sheet (XLSX) or of the CSV, as lists of cell values.

    `kind` is "xlsx" or "csv" when the caller knows it (from the file name), else the content decides.
    """
    kind = kind or ("xlsx" if is_xlsx(data) else "csv")
    deadline = time.monotonic() + limits.max_seconds
    reader = _xlsx_rows(data, limits) if kind == "xlsx" else _csv_rows(data, limits)
    rows: list[list] = []
    for number, row in enumerate(reader, start=1):
        if number % 4096 == 0 and time.monotonic() > deadline:
            raise TableError(
                _("Reading the file took too long (stopped at row %(row)s).") % {"row": number}, row=number
            )
        if number > limits.max_rows:
            if any(_filled(cell) for cell in row):
                raise TableError(
                    _("The file has more than %(n)s rows; split it into smaller files.") % {"n": limits.max_rows},
                    row=number,
                )
            continue
        if len(row) > limits.max_columns:
            if any(_filled(cell) for cell in row[limits.max_columns:]):
                raise TableError(
                    _("Row %(row)s has more than %(n)s columns.") % {"row": number, "n": limits.max_columns},
                    row=number,
                )
            row = row[: limits.max_columns]
        for cell in row:
            if isinstance(cell, str) and len(cell) > limits.max_cell_chars:
                raise TableError(
                    _("Row %(row)s has a cell longer than %(n)s characters.")
                    % {"row": number, "n": limits.max_cell_chars},
                    row=number,
                )
        rows.append(row)
    while rows and not any(_filled(cell) for cell in rows[-1]):
        rows.pop()
    return rows


def _filled(cell) -> bool:
    return cell is not None and not (isinstance(cell, str) and not cell.strip())


# --- XLSX ----------------------------------------------------------------------------------------


def check_zip(data: bytes, limits: Limits) -> None:
    """Refuse a zip that would inflate beyond the limits, judged from its directory alone."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        raise TableError(_("The file is not a readable Excel (.xlsx) file.")) from None
    with archive:
        entries = archive.infolist()
        if len(entries) > limits.max_zip_entries:
            raise TableError(_("The Excel file has too many parts to be a spreadsheet."))
        total = 0
        for entry in entries:
            total += entry.file_size
            ratio = entry.file_size / max(entry.compress_size, 1)
            if entry.file_size > 1024 * 1024 and ratio > limits.max_compression_ratio:
                raise TableError(_("The Excel file is packed suspiciously tightly (a zip bomb?); it was refused."))
        if total > limits.max_uncompressed_bytes:
            raise TableError(
                _("The Excel file unpacks to more than %(mb)s MB; split it into smaller files.")
                % {"mb": limits.max_uncompressed_bytes // (1024 * 1024)}
            )


def _xlsx_rows(data: bytes, limits: Limits) -> Iterator[list]:
    check_zip(data, limits)
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file; all mean "unreadable"
        raise TableError(_("The file is not a readable Excel (.xlsx) file: %(e)s") % {"e": exc}) from None
    try:
        if not workbook.worksheets:
            raise TableError(_("The Excel file has no sheet."))
        sheet = workbook.worksheets[0]
        # An explicit column bound: the declared dimension (which the file may fake) never pads a
        # row. No row bound: openpyxl would silently drop rows past it, and read_rows must see them
        # to refuse the file (gaps cost one empty tuple per missing row, Excel has at most 2**20).
        rows = sheet.iter_rows(min_row=1, min_col=1, max_col=limits.max_columns + 1, values_only=True)
        number = 0
        try:
            for number, row in enumerate(rows, start=1):  # noqa: B007 - number names the row in errors
                if row.count(None) == len(row):  # a missing or empty row: no per-cell work
                    yield []
                else:
                    yield ["" if cell is None else cell for cell in row]
        except TableError:
            raise
        except Exception as exc:
            raise TableError(
                _("Row %(row)s of the Excel file cannot be read: %(e)s") % {"row": number + 1, "e": exc},
                row=number + 1,
            ) from None
    finally:
        workbook.close()


# --- CSV -----------------------------------------------------------------------------------------


def decode_text(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def sniff_delimiter(text: str) -> str:
    sample = "\n".join(text.splitlines()[:30])
    counts = {d: sample.count(d) for d in (",", ";", "\t", "|")}
    return max(counts, key=counts.get) if any(counts.values()) else ","


def _csv_rows(data: bytes, limits: Limits) -> Iterator[list]:
    nul = data.find(b"\x00")
    if nul >= 0:
        row = data.count(b"\n", 0, nul) + 1
        raise TableError(
            _("Row %(row)s contains binary data: this is not a CSV text file.") % {"row": row}, row=row
        )
    text = decode_text(data)
    # newline="": the csv module sees the line ends itself, so "\r", "\r\n" and "\n" all end a row
    # and a carriage return inside quotes stays part of the cell.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text))
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise TableError(
                _("Row %(row)s cannot be read as CSV: %(e)s") % {"row": reader.line_num, "e": exc},
                row=reader.line_num,
            ) from None
        yield [cell.strip() for cell in row]
