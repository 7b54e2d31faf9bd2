"""Report pages, exports and API: role permissions, the same numbers everywhere, clear 400s for bad input."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from analytics.reports import REPORTS
from analytics.services.rollups import rollup_refresh
from core import roles
from tests.analytics.conftest import RANGE, expected_totals

pytestmark = pytest.mark.django_db
QUERY = f"?start={RANGE[0]}&end={RANGE[1]}"
MONEY_REPORTS = [n for n, s in REPORTS.items() if s.permission == "analytics.view_sales_reports"]
OPERATION_REPORTS = [n for n, s in REPORTS.items() if s.permission == "analytics.view_operations_reports"]


@pytest.fixture
def refreshed(shop):
    rollup_refresh()
    return shop


@pytest.mark.parametrize("role", [roles.OWNER, roles.FINANCE])
def test_finance_and_owner_see_every_report(refreshed, staff_client, role):
    client = staff_client(role)
    for name in REPORTS:
        assert client.get(f"/dashboard/reports/{name}/{QUERY}").status_code == 200, name


@pytest.mark.parametrize("role", [roles.WAREHOUSE, roles.CUSTOMER_SERVICE, roles.ADMIN])
def test_other_roles_see_operations_but_not_money(refreshed, staff_client, api_client, role):
    client = staff_client(role)
    api = api_client(role)
    for name in MONEY_REPORTS:
        assert client.get(f"/dashboard/reports/{name}/").status_code == 403, name
        assert api.get(f"/api/v1/reports/{name}/").status_code == 403, name
        assert client.get(f"/dashboard/reports/{name}/export.xlsx").status_code == 403, name
    for name in OPERATION_REPORTS:
        assert client.get(f"/dashboard/reports/{name}/").status_code == 200, name
        assert api.get(f"/api/v1/reports/{name}/").status_code == 200, name
    assert client.get("/dashboard/reports/monthly.pdf").status_code == 403


def test_the_page_the_api_the_csv_and_the_xlsx_hold_the_same_numbers(refreshed, staff_client, api_client):
    figures = expected_totals(*RANGE)
    page = staff_client(roles.OWNER).get(f"/dashboard/reports/sales/{QUERY}")
    assert f'data-value="{figures["net"]}"'.encode() in page.content

    api = api_client(roles.FINANCE).get(f"/api/v1/reports/sales/{QUERY}").json()
    kpis = {k["key"]: k for k in api["kpis"]}
    assert (kpis["net"]["value"], kpis["orders"]["value"]) == (figures["net"], figures["orders"])
    assert api["filters"]["start"] == RANGE[0].isoformat()

    client = staff_client(roles.FINANCE)
    csv_text = client.get(f"/dashboard/reports/sales/export.csv{QUERY}&table=by_channel").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(csv_text)))
    assert sum(int(r[4]) for r in rows[1:]) == figures["net"]

    workbook = load_workbook(io.BytesIO(client.get(f"/dashboard/reports/sales/export.xlsx{QUERY}").content))
    summary = {row[0]: row[1] for row in workbook.worksheets[0].iter_rows(min_row=3, values_only=True)}
    assert summary["Pendapatan bersih"] == figures["net"]
    assert workbook.sheetnames[1:] == ["Per hari", "Per kanal", "Produk terlaris", "Per provinsi (jangkauan)",
                                       "Per kota (jangkauan)"]


@pytest.mark.parametrize("query", [
    "?start=2026-13-01", "?start=2026-03-10&end=2026-03-01", "?channel=abc", "?channel=-1", "?granularity=year",
    "?start=2020-01-01&end=2026-01-01", "?product=99999999999999999999999",
])
def test_bad_filters_get_a_400_that_says_what_is_wrong(refreshed, staff_client, api_client, query):
    page = staff_client(roles.OWNER).get(f"/dashboard/reports/sales/{query}")
    assert page.status_code == 400
    assert b'id="filter-errors"' in page.content
    answer = api_client(roles.OWNER).get(f"/api/v1/reports/sales/{query}")
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "validation_error"
    assert staff_client(roles.OWNER).get(f"/dashboard/reports/sales/export.xlsx{query}").status_code == 400


def test_a_nul_in_a_filter_is_refused_before_the_report_runs(refreshed, staff_client, api_client):
    # core's request guard answers every page and API call with a NUL in its address the same way
    page = staff_client(roles.OWNER).get("/dashboard/reports/sales/?city=Band%00ung")
    assert page.status_code == 400 and "karakter NUL" in page.content.decode()
    answer = api_client(roles.OWNER).get("/api/v1/reports/sales/?city=Band%00ung")
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "invalid_query"


def test_unknown_reports_tables_and_formats_are_refused(refreshed, staff_client, api_client):
    client = staff_client(roles.OWNER)
    assert client.get("/dashboard/reports/sales/export.csv").status_code == 400  # no table
    assert client.get("/dashboard/reports/sales/export.csv?table=nope").status_code == 400
    assert client.get("/dashboard/reports/sales/export.pdf").status_code == 404
    assert api_client(roles.OWNER).get("/api/v1/reports/nope/").status_code == 404
    assert client.get("/dashboard/reports/monthly.pdf?month=2026-99").status_code == 400


def test_the_monthly_pdf_is_a_pdf_with_the_sales_figures(refreshed, staff_client):
    response = staff_client(roles.OWNER).get("/dashboard/reports/monthly.pdf?month=2026-03")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert response["Content-Disposition"] == 'inline; filename="laporan-2026-03.pdf"'
    assert len(response.content) > 2000


def test_reports_are_in_the_openapi_schema(api_client):
    schema = api_client(roles.OWNER).get("/api/schema/?format=json").json()
    assert "/api/v1/reports/{name}/" in schema["paths"]
    parameters = {p["name"] for p in schema["paths"]["/api/v1/reports/{name}/"]["get"]["parameters"]}
    assert {"start", "end", "channel", "product", "category", "warehouse", "province", "city"} <= parameters
    assert "/api/v1/sop/acknowledgements/" in schema["paths"]


def test_report_pages_use_a_bounded_number_of_queries(refreshed, staff_client, django_assert_max_num_queries):
    client = staff_client(roles.OWNER)
    client.get("/dashboard/reports/sales/")  # permissions and sessions warm
    with django_assert_max_num_queries(40):
        assert client.get(f"/dashboard/reports/sales/{QUERY}").status_code == 200


def test_inputs_accept_indonesian_amounts_and_refuse_bad_ones(refreshed, staff_client):
    from analytics.models import MarketingSpend

    client = staff_client(roles.FINANCE)
    ok = client.post("/dashboard/reports/inputs/spend/", {"channel": refreshed.web.pk, "month": "2026-03",
                                                         "amount": "Rp 1.500.000", "note": "Iklan"})
    assert ok.status_code == 302
    assert MarketingSpend.objects.get().amount == 1_500_000
    bad = client.post("/dashboard/reports/inputs/spend/", {"channel": refreshed.web.pk, "month": "2026-3x",
                                                          "amount": "satu juta"})
    assert bad.status_code == 400
    assert MarketingSpend.objects.count() == 1


def test_a_visits_csv_imports_all_rows_or_none(refreshed, staff_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from analytics.models import ChannelVisits

    client = staff_client(roles.ADMIN)
    good = SimpleUploadedFile("v.csv", b"tanggal,kanal,kunjungan\n2026-03-01,WEB,120\n2026-03-02,Shopee,1.500\n")
    assert client.post("/dashboard/reports/inputs/visits/import/", {"file": good}).status_code == 302
    assert sorted(ChannelVisits.objects.values_list("visits", flat=True)) == [120, 1500]
    bad = SimpleUploadedFile("v.csv", b"2026-03-03,WEB,50\n2026-02-30,WEB,10\n2026-03-04,TIDAKADA,5\n")
    client.post("/dashboard/reports/inputs/visits/import/", {"file": bad})
    assert ChannelVisits.objects.count() == 2
