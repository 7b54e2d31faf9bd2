import io

import pytest
from openpyxl import Workbook

from shipping.models import Rate, RateTable
from shipping.services.rate_import import MAX_ROWS, RateImportError, rate_table_import

pytestmark = pytest.mark.django_db

HEADER = "courier,service,province,city,district,price_per_kg,etd_min,etd_max\n"


def _import(text: str, filename: str = "tarif.csv"):
    return rate_table_import(name="Tarif JNE", origin_city="Jakarta Barat", filename=filename,
                             content=text.encode())


def test_a_good_csv_imports_every_rate_with_indonesian_prices():
    table = _import(HEADER + "jne,reg,Jawa Barat,Kota Bandung,,9.000,1,2\njne,reg,Bali,,,Rp 24.000,2,3\n")
    assert table.row_count == 2
    assert sorted(Rate.objects.values_list("city_key", "price_per_kg_amount")) == [("", 24_000),
                                                                                   ("kota bandung", 9_000)]


def test_bad_rows_are_named_by_row_and_column_and_nothing_is_imported():
    text = HEADER + (
        "jne,reg,Jawa Barat,Kota Bandung,,9000,1,2\n"
        "jne,zzz,Bali,,,9000,1,2\n"
        "jne,reg,,Kota Bogor,,sembilan,1,2\n"
        "jne,reg,Bali,,Kuta,9000,3,1\n"
    )
    with pytest.raises(RateImportError) as caught:
        _import(text)
    errors = [str(e) for e in caught.value.errors]
    assert "row 3, column B (service): No service zzz of courier jne" in errors[0]
    assert any(e.startswith("row 4, column C (province)") for e in errors)
    assert any(e.startswith("row 4, column F (price_per_kg): sembilan is not a price") for e in errors)
    assert any(e.startswith("row 5, column D (city): A district needs its city") for e in errors)
    assert any(e.startswith("row 5, column H (etd_max)") for e in errors)
    assert not RateTable.objects.exists() and not Rate.objects.exists()


def test_missing_and_unknown_columns_and_duplicates_are_refused():
    with pytest.raises(RateImportError, match="problems") as caught:
        _import("courier,service,harga,warna\njne,reg,9000,merah\n")
    text = " ".join(str(e) for e in caught.value.errors)
    assert "Required column province is missing" in text and "column D (warna): Unknown column" in text
    with pytest.raises(RateImportError) as caught:
        _import(HEADER + "jne,reg,Bali,,,9000,,\njne,reg,bali,,,9500,,\n")
    assert "row 3: The same service and area as row 2" in str(caught.value.errors[0])


def test_xlsx_with_indonesian_headers_imports():
    book = Workbook()
    sheet = book.active
    sheet.append(["Kurir", "Layanan", "Provinsi", "Kota", "Kecamatan", "Tarif", "ETD min", "ETD max"])
    sheet.append(["sicepat", "reg", "Sulawesi Selatan", "Kota Makassar", None, 31000, 3, 5])
    buffer = io.BytesIO()
    book.save(buffer)
    table = rate_table_import(name="SiCepat", origin_city="Jakarta Barat", filename="tarif.xlsx",
                              content=buffer.getvalue())
    assert Rate.objects.get(table=table).price_per_kg_amount == 31_000


@pytest.mark.parametrize(("filename", "content", "words"), [
    ("tarif.pdf", b"%PDF", "Upload a .csv or .xlsx"),
    ("tarif.xlsx", b"not a zip", "not a readable Excel (.xlsx) file"),
    ("tarif.csv", b"", "empty"),
    ("tarif.csv", b"x" * (5 * 1024 * 1024 + 1), "larger than 5 MB"),
])
def test_unreadable_files_get_a_clear_message(filename, content, words):
    with pytest.raises(RateImportError) as caught:
        rate_table_import(name="T", origin_city="Jakarta", filename=filename, content=content)
    assert words in str(caught.value.errors[0])


def test_too_many_rows_are_refused_without_reading_them_all():
    text = HEADER + "jne,reg,Bali,,,9000,,\n" * (MAX_ROWS + 5)
    with pytest.raises(RateImportError, match="problems") as caught:
        _import(text)
    assert "At most 50.000 rate rows" in str(caught.value.errors[0])


def test_the_rate_page_shows_the_row_errors(client, make_user):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(make_user())
    upload = SimpleUploadedFile("tarif.csv", (HEADER + "jne,reg,Bali,,,abc,,\n").encode(), content_type="text/csv")
    response = client.post("/dashboard/shipping/couriers/", {"form": "import", "name": "T", "origin_city": "Jakarta",
                                                            "file": upload})
    assert response.status_code == 200
    assert "row 2, column F (price_per_kg)" in response.content.decode()
    assert not RateTable.objects.exists()
