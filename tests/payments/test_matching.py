from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from orders.models import OrderStatus
from payments.models import (
    BankAccount,
    JournalEntry,
    LineAllocation,
    LineMatch,
    Payment,
    PaymentStatus,
    StatementImport,
    StatementLine,
)
from payments.selectors import order_payment_summary
from payments.services.opening import payment_open
from payments.services.statements import (
    statement_import_create,
    statement_import_run,
    statement_line_mark_not_ours,
    statement_line_match,
    statement_line_split,
)
from payments.services.transitions import payment_expire
from tests.payments.factories import make_order

pytestmark = pytest.mark.django_db

JKT = ZoneInfo("Asia/Jakarta")
TODAY = date(2026, 11, 20)


def csv_for(rows: list[tuple[date, int]]) -> bytes:
    out = ["Tanggal Transaksi,Keterangan,Cabang,Jumlah"]
    for i, (day, amount) in enumerate(rows):
        out.append(f'{day:%d/%m/%Y},"TRSF E-BANKING CR {i}",0000,"{amount:,}.00 CR"')
    return "\n".join(out).encode()


def open_payment(total: int, *, created: datetime | None = None, hours: int = 24) -> Payment:
    order = make_order(total=total)
    payment = payment_open(order_id=order.pk)
    created = created or datetime(2026, 11, 20, 9, 0, tzinfo=JKT)
    Payment.objects.filter(pk=payment.pk).update(created_at=created, expires_at=created + timedelta(hours=hours))
    payment.refresh_from_db()
    return payment


def run_import(rows, django_capture_on_commit_callbacks, account=None) -> StatementImport:
    with django_capture_on_commit_callbacks(execute=True):
        job = statement_import_create(data=csv_for(rows), filename="mutasi.csv", fmt="bca_business",
                                      bank_account_id=account.pk if account else None)
    job.refresh_from_db()
    return job


def test_credits_match_open_transfers_by_exact_amount_and_orders_become_paid(django_capture_on_commit_callbacks):
    a = open_payment(125_000)
    b = open_payment(300_000)
    job = run_import([(TODAY, a.amount), (TODAY, b.amount), (TODAY, 77_777)], django_capture_on_commit_callbacks)
    assert job.status == StatementImport.Status.DONE
    assert (job.rows_total, job.rows_new, job.rows_matched, job.rows_left) == (3, 3, 2, 1)
    for payment in (a, b):
        payment.refresh_from_db()
        assert payment.status == PaymentStatus.PAID
        assert payment.received_amount == payment.amount
        payment.order.refresh_from_db()
        assert payment.order.status == OrderStatus.PAID
        assert order_payment_summary(order_id=payment.order_id)["outstanding"] == 0
        entry = JournalEntry.objects.get(payment=payment, kind="receipt")
        assert sum(x.debit_amount for x in entry.lines.all()) == sum(x.credit_amount for x in entry.lines.all())
    assert LineAllocation.objects.count() == 0  # automatic matches live on the line
    assert StatementLine.objects.filter(payment__isnull=False).count() == 2
    assert StatementLine.objects.get(amount=77_777).match_status == LineMatch.UNMATCHED


def test_reimporting_an_overlapping_statement_adds_nothing(django_capture_on_commit_callbacks):
    account = BankAccount.objects.create(bank="BCA", account_number="0123456789", holder_name="Toko")
    a = open_payment(125_000)
    first = run_import([(TODAY, a.amount), (TODAY, 50_001)], django_capture_on_commit_callbacks, account)
    second = run_import([(TODAY, a.amount), (TODAY, 50_001), (TODAY, 60_002)], django_capture_on_commit_callbacks,
                        account)
    assert (first.rows_new, second.rows_new, second.rows_duplicate) == (2, 1, 2)
    assert StatementLine.objects.count() == 3
    assert JournalEntry.objects.filter(kind="receipt").count() == 1


def test_two_equal_credits_for_one_payment_are_ambiguous(django_capture_on_commit_callbacks):
    a = open_payment(125_000)
    job = run_import([(TODAY, a.amount), (TODAY, a.amount)], django_capture_on_commit_callbacks)
    assert job.rows_ambiguous == 2
    a.refresh_from_db()
    assert a.status == PaymentStatus.PENDING


def test_two_orders_with_the_same_unique_amount_are_ambiguous_not_guessed(django_capture_on_commit_callbacks):
    # an expired payment and a new one reusing its amount; the credit's day is in both windows
    old = open_payment(100_000, created=datetime(2026, 11, 19, 10, 0, tzinfo=JKT), hours=24)
    payment_expire(payment_id=old.pk)
    new = open_payment(100_000, created=datetime(2026, 11, 20, 11, 0, tzinfo=JKT))
    Payment.objects.filter(pk=new.pk).update(amount=old.amount, unique_code=old.unique_code)
    job = run_import([(TODAY, old.amount)], django_capture_on_commit_callbacks)
    assert job.rows_ambiguous == 1
    new.refresh_from_db()
    assert new.status == PaymentStatus.PENDING


def test_a_late_credit_after_the_window_waits_for_finance(django_capture_on_commit_callbacks):
    a = open_payment(125_000, hours=24)
    job = run_import([(TODAY + timedelta(days=3), a.amount)], django_capture_on_commit_callbacks)
    assert (job.rows_matched, job.rows_left) == (0, 1)
    a.refresh_from_db()
    assert a.status == PaymentStatus.PENDING


def test_a_transfer_made_in_time_but_imported_after_expiry_is_matched_for_review(django_capture_on_commit_callbacks):
    a = open_payment(125_000)
    payment_expire(payment_id=a.pk)
    job = run_import([(TODAY, a.amount)], django_capture_on_commit_callbacks)
    assert job.rows_matched == 1
    a.refresh_from_db()
    assert a.status == PaymentStatus.NEEDS_REVIEW
    assert a.received_amount == a.amount


def test_partial_payment_matched_by_hand_then_the_rest(django_capture_on_commit_callbacks, finance_user):
    a = open_payment(200_000)
    run_import([(TODAY, 100_000), (TODAY, a.amount - 100_000)], django_capture_on_commit_callbacks)
    first, second = StatementLine.objects.order_by("id")
    with django_capture_on_commit_callbacks(execute=True):
        statement_line_match(line_id=first.pk, payment_id=a.pk, actor=finance_user, decision="keep_outstanding",
                             reason="customer pays in two parts")
    assert order_payment_summary(order_id=a.order_id)["state"] == "partially_paid"
    with django_capture_on_commit_callbacks(execute=True):
        statement_line_match(line_id=second.pk, payment_id=a.pk, actor=finance_user, note="rest")
    a.refresh_from_db()
    a.order.refresh_from_db()
    assert a.status == PaymentStatus.PAID
    assert a.order.status == OrderStatus.PAID
    first.refresh_from_db()
    assert (first.match_status, first.matched_by) == (LineMatch.MANUAL, finance_user)


def test_overpayment_matched_by_hand_makes_the_order_overpaid(django_capture_on_commit_callbacks, finance_user):
    a = open_payment(100_000)
    run_import([(TODAY, a.amount + 50_000)], django_capture_on_commit_callbacks)
    line = StatementLine.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        statement_line_match(line_id=line.pk, payment_id=a.pk, actor=finance_user, decision="keep_credit",
                             reason="next order")
    summary = order_payment_summary(order_id=a.order_id)
    assert summary["state"] == "overpaid"
    assert summary["outstanding"] == -50_000


def test_one_transfer_split_over_two_orders(django_capture_on_commit_callbacks, finance_user):
    a = open_payment(100_000)
    b = open_payment(40_000)
    run_import([(TODAY, a.amount + b.amount)], django_capture_on_commit_callbacks)
    line = StatementLine.objects.get()
    from core.errors import DomainError

    with pytest.raises(DomainError):
        statement_line_split(line_id=line.pk, allocations=[(a.pk, a.amount), (b.pk, 1)], actor=finance_user)
    with django_capture_on_commit_callbacks(execute=True):
        statement_line_split(line_id=line.pk, allocations=[(a.pk, a.amount), (b.pk, b.amount)], actor=finance_user)
    a.refresh_from_db()
    b.refresh_from_db()
    line.refresh_from_db()
    assert (a.status, b.status, line.match_status) == ("paid", "paid", LineMatch.SPLIT)


def test_not_ours_needs_a_reason_and_is_recorded(django_capture_on_commit_callbacks, finance_user):
    run_import([(TODAY, 12_345)], django_capture_on_commit_callbacks)
    line = StatementLine.objects.get()
    from core.errors import DomainError

    with pytest.raises(DomainError):
        statement_line_mark_not_ours(line_id=line.pk, actor=finance_user, reason="")
    statement_line_mark_not_ours(line_id=line.pk, actor=finance_user, reason="Bank interest")
    line.refresh_from_db()
    assert (line.match_status, line.note, line.matched_by) == (LineMatch.NOT_OURS, "Bank interest", finance_user)


def test_an_interrupted_import_resumes_where_it_stopped(django_capture_on_commit_callbacks, monkeypatch):
    from payments.services import statements

    a = open_payment(125_000)
    monkeypatch.setattr(statements, "INSERT_CHUNK", 2)
    job = statement_import_create(data=csv_for([(TODAY, 1_001), (TODAY, 1_002), (TODAY, a.amount)]),
                                  filename="m.csv", fmt="bca_business", run=False)
    # the worker died after the first chunk
    StatementImport.objects.filter(pk=job.pk).update(rows_parsed=2, status=StatementImport.Status.PARSING)
    with django_capture_on_commit_callbacks(execute=True):
        job = statement_import_run(import_id=job.pk)
    assert job.status == StatementImport.Status.DONE
    assert (job.rows_parsed, job.rows_new) == (3, 1)
    a.refresh_from_db()
    assert a.status == PaymentStatus.PAID


def test_a_bad_file_fails_the_job_with_the_reason(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = statement_import_create(data=b"hello,world\n", filename="x.csv", fmt="bca_business")
    job.refresh_from_db()
    assert job.status == StatementImport.Status.FAILED
    assert "header" in job.error


def test_pending_and_debit_rows_are_stored_but_never_matched(django_capture_on_commit_callbacks):
    from pathlib import Path

    data = (Path(__file__).resolve().parent.parent / "fixtures" / "statements" / "bca_personal.csv").read_bytes()
    with django_capture_on_commit_callbacks(execute=True):
        job = statement_import_create(data=data, filename="bca.csv", fmt="bca_personal")
    statuses = sorted(StatementLine.objects.filter(statement_import_id=job.pk).values_list("match_status", flat=True))
    assert statuses == ["debit", "pending", "unmatched", "unmatched"]
    assert timezone.now()


def test_a_payment_paid_by_a_webhook_during_the_import_is_not_claimed_twice(
    django_capture_on_commit_callbacks, monkeypatch
):
    from payments.services import statements
    from payments.services.transitions import payment_mark_paid

    a = open_payment(125_000)
    real_find = statements.find_matches

    def find_then_gateway_pays(credits):
        result = real_find(credits)
        payment_mark_paid(payment_id=a.pk, source="midtrans")  # the webhook wins the race
        return result

    monkeypatch.setattr(statements, "find_matches", find_then_gateway_pays)
    job = run_import([(TODAY, a.amount)], django_capture_on_commit_callbacks)
    assert (job.rows_matched, job.rows_left) == (0, 1)
    assert JournalEntry.objects.filter(payment=a, kind="receipt").count() == 1
    assert StatementLine.objects.get().match_status == LineMatch.UNMATCHED
