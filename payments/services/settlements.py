"""Marketplace settlement reports and courier COD remittances.

Settlement CSV (one row per order; headers in English or the marketplaces' Indonesian words):
order id, settlement date, gross, commission, service fee, shipping subsidy, voucher, adjustments,
net. Each row is compared with what we expected (the order total and the channel's commission
rule), differences are classified by component, and the order's marketplace payment is marked
paid with the gross received and the deductions as fees. Re-importing a report adds nothing.

COD remittance CSV: resi, order number (optional), collected, COD fee, returned.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import Q

from core.errors import DomainError
from core.money import format_idr, percent_of
from payments.models import (
    CodRemittance,
    CodRemittanceLine,
    Payment,
    PaymentMethod,
    PaymentStatus,
    SettlementImport,
    SettlementLine,
)
from payments.services.opening import payment_open
from payments.services.transitions import payment_mark_failed, payment_mark_paid
from payments.statements.parsers import StatementError, parse_amount, parse_date, rows_from_file

SETTLEMENT_COLUMNS = {
    "order": ("order id", "order sn", "no pesanan", "nomor pesanan", "order number", "order", "invoice"),
    "settled_on": ("settlement date", "payout date", "tanggal dana dilepaskan", "tanggal pencairan", "tanggal",
                   "date"),
    "gross": ("gross", "gross amount", "harga asli produk", "total pesanan", "order amount", "subtotal"),
    "commission": ("commission", "biaya komisi", "komisi", "commission fee"),
    "service_fee": ("service fee", "biaya layanan", "transaction fee", "biaya transaksi"),
    "shipping_subsidy": ("shipping subsidy", "subsidi ongkir", "shipping rebate", "ongkir dari marketplace"),
    "voucher": ("voucher", "voucher seller", "voucher penjual", "seller voucher"),
    "adjustments": ("adjustments", "adjustment", "penyesuaian"),
    "net": ("net", "net amount", "total penghasilan", "payout", "net received", "jumlah dilepaskan"),
}
REQUIRED_SETTLEMENT = ("order", "gross", "net")

COD_COLUMNS = {
    "resi": ("resi", "no resi", "awb", "waybill", "tracking number", "nomor resi"),
    "order": ("order", "order number", "no pesanan", "order id"),
    "collected": ("collected", "cod amount", "nilai cod", "amount collected", "cod"),
    "fee": ("cod fee", "fee", "biaya cod"), "returned": ("returned", "status", "retur"),
}


def _norm(value) -> str:
    return re.sub(r"[^a-z0-9]+", " ", str(value).lower()).strip()


def _header(rows: list[list], columns: dict, required: tuple[str, ...]) -> tuple[int, dict[str, int]]:
    for index, row in enumerate(rows[:20]):
        names = [_norm(c) for c in row]
        found = {}
        for key, aliases in columns.items():
            for alias in aliases:
                if alias in names:
                    found[key] = names.index(alias)
                    break
        if all(k in found for k in required):
            return index, found
    raise DomainError(
        "The report has no header row with the needed columns.",
        detail={"fields": {"file": [f"expected columns: {', '.join(required)}"]}},
    )


def _amount(row: list, col: int | None) -> int:
    if col is None or col >= len(row) or str(row[col]).strip() == "":
        return 0
    try:
        return parse_amount(row[col])[0]
    except StatementError:
        raise DomainError(f"Not an amount: {row[col]!r}", detail={"fields": {"file": [f"bad amount {row[col]!r}"]}})


@dataclass(frozen=True)
class _Settled:
    external: str
    settled_on: date | None
    gross: int
    commission: int
    service_fee: int
    shipping_subsidy: int
    voucher: int
    adjustments: int
    net: int


def parse_settlement(data: bytes) -> list[_Settled]:
    try:
        rows = rows_from_file(data)
    except StatementError as exc:
        raise DomainError(str(exc), detail={"fields": {"file": [str(exc)]}}) from None
    start, cols = _header(rows, SETTLEMENT_COLUMNS, REQUIRED_SETTLEMENT)
    result = []
    for row in rows[start + 1 :]:
        if not row or all(str(c).strip() == "" for c in row):
            continue
        external = str(row[cols["order"]]).strip() if cols["order"] < len(row) else ""
        if not external or _norm(external) in ("total", "jumlah"):
            continue
        result.append(
            _Settled(
                external=external, settled_on=parse_date(row[cols["settled_on"]]) if "settled_on" in cols else None,
                gross=_amount(row, cols.get("gross")), commission=abs(_amount(row, cols.get("commission"))),
                service_fee=abs(_amount(row, cols.get("service_fee"))),
                shipping_subsidy=_amount(row, cols.get("shipping_subsidy")),
                voucher=abs(_amount(row, cols.get("voucher"))), adjustments=_amount(row, cols.get("adjustments")),
                net=_amount(row, cols.get("net")),
            )
        )
    return result


def classify_settlement(*, line: _Settled, expected_gross: int, expected_commission: int) -> dict[str, int]:
    """Differences by component (actual - expected); empty when the payout is as expected."""
    differences = {}
    if line.gross != expected_gross:
        differences["gross"] = line.gross - expected_gross
    if line.commission != expected_commission:
        differences["commission"] = line.commission - expected_commission
    computed_net = (line.gross - line.commission - line.service_fee - line.voucher + line.shipping_subsidy
                    + line.adjustments)
    if computed_net != line.net:
        differences["net_vs_components"] = line.net - computed_net
    if line.service_fee:
        differences["service_fee"] = line.service_fee
    if line.voucher:
        differences["voucher"] = line.voucher
    if line.adjustments:
        differences["adjustments"] = line.adjustments
    return differences


def settlement_import(*, channel_id: int, data: bytes, filename: str, actor=None) -> SettlementImport:
    """Import one marketplace settlement report; orders found get their payout recorded."""
    from channels.models import Channel
    from orders.models import Order

    channel = Channel.objects.filter(pk=channel_id).first()
    if channel is None:
        raise DomainError("Unknown channel.", detail={"fields": {"channel": ["no such channel"]}})
    parsed = parse_settlement(data)
    with transaction.atomic():
        job = SettlementImport.objects.create(channel=channel, filename=filename[:255], rows_total=len(parsed),
                                              created_by=actor if getattr(actor, "pk", None) else None)
        externals = [p.external for p in parsed]
        orders = {}
        for order in Order.objects.filter(channel=channel).filter(
            Q(external_id__in=externals) | Q(number__in=externals)
        ):
            orders[order.external_id] = order
            orders[order.number] = order
        for item in parsed:
            fingerprint = hashlib.sha256(
                f"{channel.pk}|{item.external}|{item.settled_on}|{item.gross}|{item.net}".encode()
            ).hexdigest()
            if SettlementLine.objects.filter(fingerprint=fingerprint).exists():
                continue
            order = orders.get(item.external)
            expected_gross = order.total_amount if order else 0
            expected_commission = (
                percent_of(expected_gross, channel.commission_percent) + channel.fixed_fee_amount if order else 0
            )
            differences = classify_settlement(line=item, expected_gross=expected_gross,
                                              expected_commission=expected_commission) if order else {}
            if order is None:
                result = SettlementLine.Result.UNKNOWN_ORDER
            elif set(differences) - {"service_fee", "voucher", "adjustments"}:
                result = SettlementLine.Result.DIFFERENCE
            else:
                result = SettlementLine.Result.MATCHED
            SettlementLine.objects.create(
                settlement_import=job, channel=channel, external_order_id=item.external[:128], order=order,
                settled_on=item.settled_on, gross_amount=item.gross, commission_amount=item.commission,
                service_fee_amount=item.service_fee, shipping_subsidy_amount=item.shipping_subsidy,
                voucher_amount=item.voucher, adjustment_amount=item.adjustments, net_amount=item.net,
                expected_gross_amount=expected_gross, expected_commission_amount=expected_commission,
                result=result, differences=differences, fingerprint=fingerprint,
            )
            job.rows_new += 1
            if order is None:
                job.rows_unknown += 1
                continue
            job.rows_matched += 1
            if result == SettlementLine.Result.DIFFERENCE:
                job.rows_with_difference += 1
            _record_payout(order, item, actor)
        job.save(update_fields=["rows_new", "rows_matched", "rows_with_difference", "rows_unknown"])
    return job


def _record_payout(order, item: _Settled, actor) -> None:
    payment = (
        Payment.objects.filter(order=order, method=PaymentMethod.MARKETPLACE)
        .exclude(status__in=[PaymentStatus.FAILED, PaymentStatus.EXPIRED])
        .order_by("-created_at")
        .first()
    )
    if payment is None:
        payment = payment_open(order_id=order.pk, method=PaymentMethod.MARKETPLACE,
                               source="settlement")
    if payment.status not in (PaymentStatus.PENDING, PaymentStatus.NEEDS_REVIEW):
        return
    received = max(item.gross, item.net)
    payment_mark_paid(
        payment_id=payment.pk, actor=actor, source="settlement", received_amount=received,
        fee_amount=received - item.net, booked_on=item.settled_on,
        note=f"Settlement: gross {format_idr(item.gross)}, net {format_idr(item.net)}",
    )


# --- COD ---------------------------------------------------------------------------------------


def _order_for_resi(resi: str):
    """The order shipped under a resi: its own tracking number, else a shipment's (shipping app)."""
    from orders.models import Order

    return (Order.objects.filter(tracking_number=resi).first()
            or Order.objects.filter(shipments__tracking_number=resi).order_by("-pk").first())


def cod_remittance_import(*, courier: str, remitted_on: date, data: bytes, filename: str = "", reference: str = "",
                          actor=None) -> CodRemittance:
    """Record a courier's COD remittance and reconcile it against our COD orders."""
    from orders.models import Order

    courier = (courier or "").strip()
    if not courier:
        raise DomainError("Name the courier.", detail={"fields": {"courier": ["required"]}})
    try:
        rows = rows_from_file(data)
    except StatementError as exc:
        raise DomainError(str(exc), detail={"fields": {"file": [str(exc)]}}) from None
    start, cols = _header(rows, COD_COLUMNS, ("resi", "collected"))
    with transaction.atomic():
        remittance = CodRemittance.objects.create(courier=courier, remitted_on=remitted_on, filename=filename[:255],
                                                  reference=reference[:80],
                                                  created_by=actor if getattr(actor, "pk", None) else None)
        for row in rows[start + 1 :]:
            resi = str(row[cols["resi"]]).strip() if cols["resi"] < len(row) else ""
            if not resi or _norm(resi) in ("total", "jumlah"):
                continue
            if CodRemittanceLine.objects.filter(resi=resi).exists():
                continue
            collected = _amount(row, cols["collected"])
            fee = abs(_amount(row, cols.get("fee")))
            returned_raw = _norm(row[cols["returned"]]) if "returned" in cols and cols["returned"] < len(row) else ""
            returned = returned_raw in ("yes", "y", "1", "true", "returned", "retur", "rts", "return")
            order = None
            if "order" in cols and cols["order"] < len(row) and str(row[cols["order"]]).strip():
                order = Order.objects.filter(number=str(row[cols["order"]]).strip()).first()
            order = order or _order_for_resi(resi)
            payment = (
                Payment.objects.filter(order=order, method=PaymentMethod.COD).order_by("-created_at").first()
                if order else None
            )
            expected = payment.amount if payment else 0
            if order is None:
                result = CodRemittanceLine.Result.UNKNOWN
            elif returned:
                result = CodRemittanceLine.Result.RETURNED
            elif collected != expected:
                result = CodRemittanceLine.Result.DIFFERENCE
            else:
                result = CodRemittanceLine.Result.MATCHED
            CodRemittanceLine.objects.create(remittance=remittance, resi=resi[:64], order=order,
                                             collected_amount=collected, cod_fee_amount=fee, returned=returned,
                                             expected_amount=expected, result=result)
            if payment is None or payment.status != PaymentStatus.PENDING:
                continue
            if returned:
                payment_mark_failed(payment_id=payment.pk, actor=actor, source="courier",
                                    reason=f"Returned to sender ({courier} {resi})")
            elif collected > 0:
                payment_mark_paid(
                    payment_id=payment.pk, actor=actor, source="courier", received_amount=collected,
                    fee_amount=min(fee, collected), booked_on=remitted_on,
                    note=f"COD remitted by {courier}, resi {resi}",
                )
    return remittance
