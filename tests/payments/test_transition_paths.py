"""One planner for money in (issue 9.2): a statement credit matched automatically, a gateway
callback and a Finance approval of equal payments write the same payment fields, events and
journal entries (rows compared after normalising what names the path: ids, source, actor, note)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from core import roles
from payments.models import ASSET_ACCOUNTS, JournalEntry, Payment, PaymentEvent, StatementImport, StatementLine
from payments.services.opening import payment_open
from payments.services.statements import statement_import_create, statement_lines_match
from payments.services.transitions import payment_mark_paid
from tests.payments.factories import make_order
from tests.payments.test_webhooks import post_midtrans

pytestmark = pytest.mark.django_db

AMOUNT = 125_345


def _bank_payment(monkeypatch) -> Payment:
    monkeypatch.setattr("payments.services.opening.random.randint", lambda low, high: 345)
    payment = payment_open(order_id=make_order(total=AMOUNT - 345).pk)
    assert payment.amount == AMOUNT
    return payment


def _normalised(payment: Payment) -> dict:
    payment.refresh_from_db()
    ref, pk = payment.reference, str(payment.pk)
    events = [
        (e.kind, e.from_status, e.to_status, {k: v for k, v in e.data.items() if k != "line_id"})
        for e in PaymentEvent.objects.filter(payment=payment).exclude(kind="opened").order_by("id")
    ]
    entries = [
        (e.kind, e.booked_on, e.key.replace(pk, "<pk>"), e.description.replace(ref, "<ref>"),
         e.order_id == payment.order_id,
         [("asset" if ln.account in ASSET_ACCOUNTS else ln.account, ln.debit_amount, ln.credit_amount)
          for ln in e.lines.order_by("id")])
        for e in JournalEntry.objects.filter(payment=payment).order_by("id")
    ]
    return {
        "fields": (payment.status, payment.amount, payment.received_amount, payment.fee_amount,
                   payment.refunded_amount, payment.paid_at is not None),
        "events": events,
        "entries": entries,
        "order_status": payment.order.status,
    }


def test_statement_match_gateway_callback_and_approval_write_the_same_rows(
    monkeypatch, client, staff_client, django_capture_on_commit_callbacks,
):
    today = timezone.localdate()
    # a bank transfer paid by a statement credit imported and matched automatically
    imported = _bank_payment(monkeypatch)
    csv = (f"Tanggal Transaksi,Keterangan,Cabang,Jumlah\n"
           f'{today:%d/%m/%Y},"TRSF E-BANKING CR BUDI",0000,"{AMOUNT:,}.00 CR"\n').encode()
    with django_capture_on_commit_callbacks(execute=True):
        statement_import_create(data=csv, filename="m.csv", fmt="bca_business")
    # a bank transfer paid by a stored credit matched again later (the re-run path)
    rematched = _bank_payment(monkeypatch)
    job = StatementImport.objects.create(format="bca_business", filename="t.csv", status="done")
    StatementLine.objects.create(statement_import=job, booked_on=today, description="TRSF CR SITI", amount=AMOUNT,
                                 is_credit=True, fingerprint="fp-rematch")
    with django_capture_on_commit_callbacks(execute=True):
        assert statement_lines_match()["matched"] == 1
    # a bank transfer Finance approves by hand from the payment page
    approved = _bank_payment(monkeypatch)
    finance = staff_client(roles.FINANCE)
    with django_capture_on_commit_callbacks(execute=True):
        finance.post(reverse("payments:action", args=[approved.pk, "approve"]), {"reason": "seen in BCA"})
    # and a virtual account paid by the gateway's callback
    va_order = make_order(total=AMOUNT, method="virtual_account")
    va_order.number = "ORD-20261122-0001"
    va_order.save(update_fields=["number"])
    gateway = payment_open(order_id=va_order.pk)
    with django_capture_on_commit_callbacks(execute=True):
        assert post_midtrans(client, "settlement").status_code == 200

    rows = {name: _normalised(p) for name, p in
            (("imported", imported), ("rematched", rematched), ("approved", approved), ("gateway", gateway))}
    # then every path wrote the same rows
    assert rows["imported"]["fields"] == ("paid", AMOUNT, AMOUNT, 0, 0, True)
    assert rows["imported"]["events"] == [("paid", "pending", "paid", {"received_amount": AMOUNT, "fee_amount": 0})]
    assert [e[0] for e in rows["imported"]["entries"]] == ["charge", "receipt"]
    assert rows["imported"]["order_status"] == "paid"
    for name in ("rematched", "approved", "gateway"):
        assert rows[name] == rows["imported"], name


def test_a_single_approval_and_a_batch_of_matches_use_one_receipt_key_per_payment(
    monkeypatch, django_capture_on_commit_callbacks,
):
    # a payment approved by Finance, then the bank credit for it arrives: no second receipt
    payment = _bank_payment(monkeypatch)
    with django_capture_on_commit_callbacks(execute=True):
        payment_mark_paid(payment_id=payment.pk)
    job = StatementImport.objects.create(format="bca_business", filename="t.csv", status="done")
    StatementLine.objects.create(statement_import=job, booked_on=timezone.localdate(), description="CR",
                                 amount=AMOUNT, is_credit=True, fingerprint="fp-late")
    assert statement_lines_match()["matched"] == 0
    assert JournalEntry.objects.filter(payment=payment, kind="receipt").count() == 1


@pytest.mark.parametrize("count", [1, 40])
def test_matching_many_credits_writes_set_based(count, django_assert_max_num_queries):
    # given `count` open transfers and a stored credit for each
    job = StatementImport.objects.create(format="bca_business", filename="t.csv", status="done")
    payments = [payment_open(order_id=make_order(total=200_000 + i * 1_000).pk) for i in range(count)]
    StatementLine.objects.bulk_create([
        StatementLine(statement_import=job, booked_on=timezone.localdate(), description="CR", amount=p.amount,
                      is_credit=True, fingerprint=f"fp-many-{p.pk}")
        for p in payments
    ])
    # when matching runs, the statements it takes do not grow with the number of credits
    with django_assert_max_num_queries(MATCH_STATEMENTS):
        assert statement_lines_match()["matched"] == count
    assert Payment.objects.filter(pk__in=[p.pk for p in payments], status="paid").count() == count
    assert JournalEntry.objects.filter(payment__in=payments, kind="receipt").count() == count


# Reads (lines, open payments, transfers without a code), locks (payments, lines), charges reversed,
# then the writes (lines, payments, events, known journal keys, entries, entry lines), transaction
# statements: the same for 1 credit and for 40.
MATCH_STATEMENTS = 15
