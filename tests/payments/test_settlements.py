from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from orders.models import OrderStatus
from payments.models import CodRemittanceLine, JournalEntry, PaymentStatus, SettlementLine
from payments.selectors import order_payment_summary, outstanding_cod_by_courier, unsettled_marketplace_payments
from payments.services.opening import payment_open
from payments.services.settlements import cod_remittance_import, settlement_import
from tests.payments.factories import make_order, marketplace_channel

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "settlements"


def marketplace_order(channel, external_id: str, total: int):
    order = make_order(total=total, channel=channel, method="", due_in=None, status=OrderStatus.PAID)
    order.external_id = external_id
    order.save(update_fields=["external_id"])
    return order, payment_open(order_id=order.pk)


def test_settlement_report_records_payouts_and_classifies_differences(finance_user):
    channel = marketplace_channel()
    first, first_payment = marketplace_order(channel, "SHP-0001", 200_000)
    marketplace_order(channel, "SHP-0002", 150_000)
    data = (FIXTURES / "shopee_settlement.csv").read_bytes()
    job = settlement_import(channel_id=channel.pk, data=data, filename="shopee.csv", actor=finance_user)
    assert (job.rows_total, job.rows_new, job.rows_matched, job.rows_unknown, job.rows_with_difference) == (
        3, 3, 2, 1, 1)
    # 5 % + Rp 1.000 of 200.000 = 11.000 as expected; 150.000 -> 8.500 expected but 12.000 taken
    line = SettlementLine.objects.get(external_order_id="SHP-0002")
    assert line.result == SettlementLine.Result.DIFFERENCE
    assert line.differences["commission"] == 3_500
    assert line.differences["voucher"] == 5_000
    first_payment.refresh_from_db()
    assert (first_payment.status, first_payment.received_amount, first_payment.fee_amount) == ("paid", 200_000,
                                                                                               15_000)
    summary = order_payment_summary(order_id=first.pk)
    assert (summary["received"], summary["fees"], summary["outstanding"]) == (185_000, 15_000, 0)
    # the same report again adds nothing
    again = settlement_import(channel_id=channel.pk, data=data, filename="shopee.csv")
    assert again.rows_new == 0
    assert JournalEntry.objects.filter(kind="payout").count() == 2


def test_marketplace_orders_without_payout_after_n_days_are_listed():
    channel = marketplace_channel()
    _order, payment = marketplace_order(channel, "SHP-OLD", 80_000)
    from payments.models import Payment

    Payment.objects.filter(pk=payment.pk).update(created_at=timezone.now() - timedelta(days=20))
    marketplace_order(channel, "SHP-NEW", 80_000)
    assert [p.order.external_id for p in unsettled_marketplace_payments(days=14)] == ["SHP-OLD"]


def test_cod_remittance_reconciles_delivered_orders_and_returns(finance_user):
    orders = {}
    for number, total, status in (("COD-0001", 120_000, "delivered"), ("COD-0002", 90_000, "delivered"),
                                  ("COD-0003", 80_000, "delivered"), ("COD-0004", 60_000, "delivered")):
        order = make_order(total=total, method="cod", due_in=None, status=status, courier="J&T")
        order.number = number
        order.save(update_fields=["number"])
        orders[number] = (order, payment_open(order_id=order.pk))
    data = (FIXTURES / "jnt_cod_remittance.csv").read_bytes()
    cod_remittance_import(courier="J&T", remitted_on=date(2026, 11, 22), data=data, filename="jnt.csv",
                          actor=finance_user)
    results = dict(CodRemittanceLine.objects.values_list("resi", "result"))
    assert results == {"JP1234567890": "matched", "JP1234567891": "returned", "JP1234567892": "difference",
                       "JP0000000000": "unknown"}
    first = orders["COD-0001"][1]
    first.refresh_from_db()
    assert (first.status, first.received_amount, first.fee_amount) == (PaymentStatus.PAID, 120_000, 3_600)
    returned = orders["COD-0002"][1]
    returned.refresh_from_db()
    assert returned.status == PaymentStatus.FAILED
    outstanding = outstanding_cod_by_courier()
    assert [(row["courier"], row["count"], row["amount"]) for row in outstanding] == [("J&T", 1, 60_000)]


def test_cod_remittance_finds_an_order_by_the_resi_of_its_shipment(finance_user):
    from shipping.models import Shipment

    order = make_order(total=70_000, method="cod", due_in=None, status="delivered", courier="J&T")
    payment = payment_open(order_id=order.pk)
    Shipment.objects.create(order=order, number="SHIP-COD-1", tracking_number="JPSHIP0001")
    data = b"No Resi,Nilai COD,Biaya COD,Status\nJPSHIP0001,\"70.000\",\"2.100\",delivered\n"
    cod_remittance_import(courier="J&T", remitted_on=date(2026, 11, 23), data=data, filename="jnt.csv",
                          actor=finance_user)
    line = CodRemittanceLine.objects.get(resi="JPSHIP0001")
    assert (line.order_id, line.result) == (order.pk, CodRemittanceLine.Result.MATCHED)
    payment.refresh_from_db()
    assert (payment.status, payment.received_amount, payment.fee_amount) == (PaymentStatus.PAID, 70_000, 2_100)
