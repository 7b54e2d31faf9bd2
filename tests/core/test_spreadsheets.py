"""Uploaded tables are read within bounds: hostile XLSX and CSV files end with a message naming the row."""

from __future__ import annotations

import io
import time
import tracemalloc
import zipfile

import pytest

from core.spreadsheets import Limits, TableError, read_rows

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)


def _xlsx(sheet_xml: str | bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet_xml)
    return out.getvalue()


def _sheet(dimension: str, rows_xml: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<dimension ref="{dimension}"/><sheetData>{rows_xml}</sheetData></worksheet>'
    )


def _row(number: int, cells: list[tuple[str, str]]) -> str:
    inner = "".join(f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>' for ref, value in cells)
    return f'<row r="{number}">{inner}</row>'


def test_a_small_xlsx_declaring_a_huge_sheet_is_read_without_padding_it():
    # Given a 2-row sheet whose dimension claims A1:XFD1048576 and whose last cell sits in column XFD
    sheet = _sheet("A1:XFD1048576", _row(1, [("A1", "Tanggal"), ("B1", "Jumlah")])
                   + _row(2, [("A2", "01/11/2026"), ("XFD2", "")]))
    data = _xlsx(sheet)
    assert len(data) < 5_000

    # When it is read
    tracemalloc.start()
    started = time.monotonic()
    rows = read_rows(data)
    elapsed = time.monotonic() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    # Then only its real cells come back, fast and in a few MB
    assert rows[0][:2] == ["Tanggal", "Jumlah"]
    assert all(len(row) <= Limits().max_columns for row in rows)
    assert elapsed < 5
    assert peak < 20 * 1024 * 1024


def test_a_sheet_with_a_row_number_in_the_millions_is_refused_with_the_row():
    # Given rows 1 and 1,000,000 filled (the gap would be a million empty rows)
    sheet = _sheet("A1:B1000000", _row(1, [("A1", "x")]) + _row(1_000_000, [("A1000000", "y")]))

    # When it is read with a 1,000-row limit, Then it is refused naming the filled row past the limit
    started = time.monotonic()
    with pytest.raises(TableError) as caught:
        read_rows(_xlsx(sheet), limits=Limits(max_rows=1_000))
    assert time.monotonic() - started < 10
    assert caught.value.row == 1_000_000
    assert "1000" in caught.value.message or "1.000" in caught.value.message


def test_a_zip_bomb_is_refused_from_its_directory_without_inflating_it():
    # Given a sheet of 300 MB of zeros, deflated to a few hundred KB
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            chunk = b"0" * (1024 * 1024)
            for _ in range(300):
                member.write(chunk)
    data = out.getvalue()
    assert len(data) < 2 * 1024 * 1024

    # When it is read, Then it is refused at once with a message
    started = time.monotonic()
    with pytest.raises(TableError) as caught:
        read_rows(data)
    assert time.monotonic() - started < 1
    assert "zip" in caught.value.message.lower() or "MB" in caught.value.message


def test_a_garbled_xlsx_is_refused_with_a_message():
    with pytest.raises(TableError):
        read_rows(b"PK\x03\x04 this is not really a zip file")


def test_a_csv_with_a_stray_carriage_return_is_read_as_a_line_end():
    # Given a CSV whose second row ends with a lone CR (an export edited on an old Mac)
    data = b"Tanggal,Jumlah\n01/11/2026,125000\r02/11/2026,1\n"

    # When it is read, Then every row is there
    assert read_rows(data) == [["Tanggal", "Jumlah"], ["01/11/2026", "125000"], ["02/11/2026", "1"]]


def test_a_binary_file_uploaded_as_csv_is_refused_naming_the_row():
    # Given a file with NUL bytes on its third line
    data = b"a,b\nc,d\n\x00\x01\x02\xff\xfe"

    # When it is read, Then the message names the row and says it is not text
    with pytest.raises(TableError) as caught:
        read_rows(data, kind="csv")
    assert caught.value.row == 3
    assert "3" in caught.value.message


def test_a_csv_cell_beyond_the_csv_field_limit_ends_with_the_row():
    data = b"a,b\n1,\"" + b"x" * 200_000 + b"\"\n"
    with pytest.raises(TableError) as caught:
        read_rows(data)
    assert caught.value.row == 2


def test_a_csv_with_too_many_rows_is_refused_when_the_limit_is_passed():
    data = b"".join(b"%d,1\n" % i for i in range(50))
    with pytest.raises(TableError) as caught:
        read_rows(data, limits=Limits(max_rows=10))
    assert caught.value.row == 11


def test_a_csv_with_too_many_columns_is_refused():
    data = b"a,b\n" + b",".join([b"1"] * 100) + b"\n"
    with pytest.raises(TableError) as caught:
        read_rows(data, limits=Limits(max_columns=20))
    assert caught.value.row == 2
