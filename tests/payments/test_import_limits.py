"""Statement imports end with a message naming the row for every bad file: never stuck "parsing"."""

from __future__ import annotations

import pytest

from payments.models import StatementImport, StatementLine
from payments.services import statements
from payments.services.statements import statement_import_create
from payments.statements.parsers import StatementError, parse_statement

pytestmark = pytest.mark.django_db

HEADER = b"Tanggal Transaksi,Keterangan,Cabang,Jumlah\n"


def _run(data: bytes, django_capture_on_commit_callbacks) -> StatementImport:
    with django_capture_on_commit_callbacks(execute=True):
        job = statement_import_create(data=data, filename="mutasi.csv", fmt="bca_business")
    job.refresh_from_db()
    return job


def test_a_binary_file_ends_the_import_failed_naming_the_row(django_capture_on_commit_callbacks):
    # Given a statement whose third line is binary junk
    data = HEADER + b'20/11/2026,"TRSF",0000,"125,000.00 CR"\n\x00\x9f\x92\x96\xff'

    # When it is imported
    job = _run(data, django_capture_on_commit_callbacks)

    # Then the job failed with a message naming the row, and nothing was stored
    assert job.status == StatementImport.Status.FAILED
    assert "3" in job.error
    assert not StatementLine.objects.filter(statement_import=job).exists()


def test_a_csv_with_a_stray_carriage_return_imports_every_row(django_capture_on_commit_callbacks):
    data = HEADER + b'20/11/2026,"TRSF A",0000,"125,000.00 CR"\r21/11/2026,"TRSF B",0000,"5,000.00 CR"\n'

    job = _run(data, django_capture_on_commit_callbacks)

    assert job.status == StatementImport.Status.DONE, job.error
    assert StatementLine.objects.filter(statement_import=job).count() == 2


def test_an_amount_beyond_any_bank_credit_fails_the_import_naming_the_row(django_capture_on_commit_callbacks):
    data = HEADER + b'20/11/2026,"TRSF",0000,"125,000.00 CR"\n21/11/2026,"X",0000,"5000000000000000000000 CR"\n'

    job = _run(data, django_capture_on_commit_callbacks)

    assert job.status == StatementImport.Status.FAILED
    assert "row 3" in job.error
    assert not StatementLine.objects.filter(statement_import=job).exists()


def test_an_unexpected_error_ends_the_job_failed_instead_of_parsing_for_ever(
    django_capture_on_commit_callbacks, monkeypatch
):
    # Given a writer that breaks in a way nobody foresaw
    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(statements, "find_matches", broken)

    # When a good file is imported, Then the task fails loudly and the job says it stopped
    with pytest.raises(RuntimeError):
        _run(HEADER + b'20/11/2026,"TRSF",0000,"125,000.00 CR"\n', django_capture_on_commit_callbacks)
    job = StatementImport.objects.get()
    assert job.status == StatementImport.Status.FAILED
    assert "RuntimeError" in job.error
    assert job.finished_at is not None


def test_a_bad_amount_names_its_row():
    with pytest.raises(StatementError, match="row 3"):
        parse_statement(HEADER + b'20/11/2026,"A",0000,"1.00 CR"\n20/11/2026,"B",0000,"12abc CR"\n', "bca_business")
