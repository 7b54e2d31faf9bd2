"""Demo payments: every method and state, a statement and reports a new user can import at once.

orders/demo.py has run: each order got its payment through the order-created hook, and orders
marked paid recorded their payment. Here we add bank accounts, a few more bank-transfer orders
waiting for money, proofs of transfer, a statement already imported (matched, partial,
unmatched and late credits), gateway payments in review and failed, refunds, a marketplace
settlement and a COD remittance already imported, and in var/demo/ the next statement,
settlement report and remittance to try.
"""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from payments.models import BankAccount, JournalEntry, Payment, PaymentMethod, PaymentStatus


def seed(ctx) -> None:
    out = Path(settings.VAR_DIR) / "demo"
    out.mkdir(parents=True, exist_ok=True)
    BankAccount.objects.get_or_create(account_number="0123456789",
                                      defaults={"bank": "BCA", "holder_name": "PT Toko Maju Jaya"})
    BankAccount.objects.get_or_create(account_number="1230004567890",
                                      defaults={"bank": "Mandiri", "holder_name": "PT Toko Maju Jaya"})
    _backdate_payments()
    _more_transfer_orders(ctx)
    _statements(ctx, out)
    _gateway_states(ctx)
    _refunds(ctx)
    _settlements(ctx, out)
    _cod(ctx, out)
    counts = {s: Payment.objects.filter(status=s).count() for s in PaymentStatus.values}
    ctx.say("payments: " + ", ".join(f"{n} {s}" for s, n in counts.items() if n))
    ctx.say(f"files to import in {out}: mutasi-bca-demo.csv, settlement-*.csv, cod-*.csv")


def _backdate_payments() -> None:
    """Payments were opened now; give them their orders' dates so ageing and windows make sense."""
    for payment in Payment.objects.select_related("order"):
        placed = payment.order.placed_at
        fields = {"created_at": placed}
        if payment.expires_at and payment.order.payment_due_at:
            fields["expires_at"] = payment.order.payment_due_at
        if payment.paid_at:
            fields["paid_at"] = payment.order.paid_at or placed
        Payment.objects.filter(pk=payment.pk).update(**fields)
        JournalEntry.objects.filter(payment=payment, kind="charge").update(booked_on=timezone.localdate(placed))
        if payment.paid_at:
            JournalEntry.objects.filter(payment=payment, kind__in=["receipt", "payout"]).update(
                booked_on=timezone.localdate(payment.order.paid_at or placed))


def _more_transfer_orders(ctx) -> None:
    """A handful of fresh web-store orders waiting for a bank transfer, so the queues have work."""
    from django.core.exceptions import ValidationError
    from django.db.models import F, Sum

    from catalog.errors import OutOfStock
    from catalog.models import ProductVariant
    from channels.models import Channel
    from core.errors import DomainError
    from orders.models import Customer
    from orders.services import AddressInput, CustomerInput, LineInput, order_create

    channel = Channel.objects.filter(is_active=True).exclude(kind__in=list(Channel.MARKETPLACE_KINDS)).first()
    variants = list(
        ProductVariant.objects.filter(is_active=True)
        .annotate(stock=Sum(F("stock_levels__on_hand") - F("stock_levels__reserved")))
        .filter(stock__gt=5)
        .order_by("id")[:40]
    )
    customers = list(Customer.objects.order_by("id")[:40])
    if channel is None or not variants or not customers:
        return
    rng = ctx.rng
    made = 0
    for _ in range(10):
        customer = rng.choice(customers)
        variant = rng.choice(variants)
        try:
            order_create(
                channel_id=channel.pk,
                lines=[LineInput(variant_id=variant.pk, quantity=1)],
                customer=CustomerInput(name=customer.name, phone=customer.phone, email=customer.email),
                shipping=AddressInput(name=customer.name, phone=customer.phone, address="Jl. Melati No. 7",
                                      city=customer.city, province=customer.province, postal_code="12345"),
                shipping_amount=rng.choice([10_000, 15_000]),
                payment_method="bank_transfer",
                source="staff",
            )
            made += 1
        except (OutOfStock, DomainError, ValidationError):  # a demo order that cannot be placed is skipped
            continue
    ctx.say(f"{made} extra orders waiting for a bank transfer")


def _png(text: str) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (360, 200), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 360, 40), fill=(0, 84, 166))
    draw.text((12, 12), "m-BCA  Transfer Berhasil", fill="white")
    for i, line in enumerate(text.splitlines()):
        draw.text((12, 60 + 22 * i), line, fill="black")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _open_transfers() -> list[Payment]:
    return list(
        Payment.objects.filter(method=PaymentMethod.BANK_TRANSFER, status=PaymentStatus.PENDING)
        .select_related("order", "order__customer")
        .order_by("id")
    )


def _statements(ctx, out: Path) -> None:
    from payments.services.proofs import proof_upload
    from payments.services.statements import statement_import_create, statement_import_run

    rng = ctx.rng
    today = timezone.localdate()
    account = BankAccount.objects.get(account_number="0123456789")
    open_now = _open_transfers()
    late = (
        Payment.objects.filter(method=PaymentMethod.BANK_TRANSFER, status=PaymentStatus.EXPIRED)
        .select_related("order__customer").order_by("-id").first()
    )

    def row(day, text, amount, credit=True):
        sign = "CR" if credit else "DB"
        return f'{day:%d/%m/%Y},"{text}",0000,"{amount:,}.00 {sign}"'

    def name(payment):
        return (payment.order.customer.name if payment.order.customer else "PEMBELI").upper()

    # Already imported: two transfers that match, half of a third (partial), bank interest, a late one.
    first = ["Tanggal Transaksi,Keterangan,Cabang,Jumlah"]
    for payment in open_now[:2]:
        first.append(row(today, f"TRSF E-BANKING CR {name(payment)}", payment.amount))
    if len(open_now) > 2:
        first.append(row(today, f"TRSF E-BANKING CR {name(open_now[2])} DP", open_now[2].amount // 2))
    first.append(row(today, "BUNGA TABUNGAN", 18_234))
    first.append(row(today, "BIAYA ADM", 15_000, credit=False))
    if late is not None:
        first.append(row(today, f"TRSF E-BANKING CR {name(late)}", late.amount))
    job = statement_import_create(data="\n".join(first).encode(), filename="mutasi-bca-kemarin.csv",
                                  fmt="bca_business", bank_account_id=account.pk, run=False)
    statement_import_run(import_id=job.pk)

    # Proofs of transfer waiting for Finance.
    for payment in open_now[3:6]:
        proof_upload(payment_id=payment.pk, sender_name=name(payment).title(), sender_bank="BCA",
                     declared_amount=payment.amount,
                     data=_png(f"Ke: 0123456789 PT Toko Maju Jaya\nRp {payment.amount:,}\n{name(payment)}"))

    # The statement a new user imports: matches, a proof's credit, an ambiguous pair, noise.
    second = [
        "Informasi Rekening - Mutasi Rekening",
        "No. rekening : ,0123456789",
        f"Periode : ,{today - timedelta(days=1):%d/%m/%Y} - {today:%d/%m/%Y}",
        "",
        "Tanggal Transaksi,Keterangan,Cabang,Jumlah",
    ]
    for payment in open_now[3:4] + open_now[6:9]:
        second.append(row(today, f"TRSF E-BANKING CR {name(payment)}", payment.amount))
    if len(open_now) > 9:
        twice = open_now[9]
        second.append(row(today, f"SWITCHING CR {name(twice)}", twice.amount))
        second.append(row(today, "SWITCHING CR HAMBA ALLAH", twice.amount))
    second.append(row(today, "TRSF E-BANKING CR SUPPLIER REFUND", rng.randint(50, 500) * 1_000))
    second.append(row(today, "TARIKAN ATM", 500_000, credit=False))
    second += ["", 'Saldo Awal,:,"10,000,000.00"', 'Saldo Akhir,:,"12,345,678.00"']
    (out / "mutasi-bca-demo.csv").write_text("\r\n".join(second) + "\r\n", encoding="utf-8")
    ctx.say(f"statement imported ({job.filename}); next one to try: var/demo/mutasi-bca-demo.csv")


def _gateway_states(ctx) -> None:
    from payments.services.transitions import payment_flag_for_review, payment_mark_failed

    pending = list(
        Payment.objects.filter(method__in=[PaymentMethod.QRIS, PaymentMethod.EWALLET, PaymentMethod.VIRTUAL_ACCOUNT],
                               status=PaymentStatus.PENDING).order_by("id")[:2]
    )
    if pending:
        payment_flag_for_review(payment_id=pending[0].pk, source="midtrans", received_amount=pending[0].amount - 1_000,
                                reason=f"Gateway paid Rp {pending[0].amount - 1_000}, expected Rp {pending[0].amount}.")
    if len(pending) > 1:
        payment_mark_failed(payment_id=pending[1].pk, source="midtrans", reason="Gateway status deny/deny")


def _refunds(ctx) -> None:
    from payments.services.refunds import refund_create

    paid = list(
        Payment.objects.filter(status=PaymentStatus.PAID, order__status="completed")
        .exclude(method__in=[PaymentMethod.MARKETPLACE, PaymentMethod.COD]).order_by("-id")[:2]
    )
    if paid:
        refund_create(payment_id=paid[0].pk, amount=min(25_000, paid[0].received_amount), kind="return",
                      reference="RETUR-001", reason="Ukuran tidak sesuai, satu barang dikembalikan")
    if len(paid) > 1:
        refund_create(payment_id=paid[1].pk, amount=paid[1].received_amount, kind="cancellation",
                      reason="Pesanan dibatalkan setelah dibayar")


def _settlements(ctx, out: Path) -> None:
    from core.money import percent_of
    from payments.services.settlements import settlement_import

    rng = ctx.rng
    now = timezone.now()
    waiting = (
        Payment.objects.filter(method=PaymentMethod.MARKETPLACE, status=PaymentStatus.PENDING,
                               order__status__in=["delivered", "completed", "shipped"])
        .select_related("order", "order__channel").order_by("created_at")
    )
    by_channel: dict = {}
    for payment in waiting:
        by_channel.setdefault(payment.order.channel, []).append(payment)
    for channel, payments in by_channel.items():
        header = ("Order ID,Settlement Date,Gross,Commission,Service Fee,Shipping Subsidy,Voucher,Adjustments,"
                  "Net")
        old = [p for p in payments if p.created_at < now - timedelta(days=20)]
        recent = [p for p in payments if p not in old]
        imported, later = old[: max(len(old) - 3, 0)], recent  # three old ones stay unsettled
        for rows_for, target in ((imported, None), (later, out / f"settlement-{channel.code.lower()}.csv")):
            if not rows_for:
                continue
            rows = [header]
            for i, payment in enumerate(rows_for):
                gross = payment.order.total_amount
                commission = percent_of(gross, channel.commission_percent) + channel.fixed_fee_amount
                if i % 7 == 3:
                    commission += rng.choice([1_500, 2_000, 5_000])  # the marketplace took more than agreed
                service = percent_of(gross, 2)
                voucher = 5_000 if i % 9 == 4 else 0
                net = gross - commission - service - voucher
                settled = timezone.localdate(payment.created_at) + timedelta(days=rng.randint(7, 12))
                rows.append(f"{payment.order.external_id or payment.order.number},{settled:%Y-%m-%d},{gross},"
                            f"{commission},{service},0,{voucher},0,{net}")
            data = "\n".join(rows).encode()
            if target is None:
                settlement_import(channel_id=channel.pk, data=data, filename=f"settlement-{channel.code}-lama.csv")
            else:
                target.write_bytes(data)
    if by_channel:
        ctx.say("marketplace settlements imported for older orders; newer ones in var/demo/settlement-*.csv")


def _cod(ctx, out: Path) -> None:
    from payments.services.settlements import cod_remittance_import

    delivered = list(
        Payment.objects.filter(method=PaymentMethod.COD, status=PaymentStatus.PENDING,
                               order__status__in=["delivered", "completed"])
        .exclude(Q(order__tracking_number="")).select_related("order").order_by("created_at")
    )
    by_courier: dict[str, list[Payment]] = {}
    for payment in delivered:
        by_courier.setdefault(payment.order.courier or "JNE", []).append(payment)
    for courier, payments in by_courier.items():
        half = len(payments) // 2
        for chunk, target in ((payments[:half], None), (payments[half:-1], out / f"cod-{_slug(courier)}.csv")):
            if not chunk:
                continue
            rows = ["No Resi,Order Number,Nilai COD,Biaya COD,Status"]
            for i, payment in enumerate(chunk):
                collected = payment.amount - (5_000 if i == 2 else 0)
                rows.append(f"{payment.order.tracking_number},{payment.order.number},{collected},"
                            f"{round(collected * 0.03)},delivered")
            data = "\n".join(rows).encode()
            if target is None:
                cod_remittance_import(courier=courier, remitted_on=timezone.localdate() - timedelta(days=3),
                                      data=data, filename=f"cod-{courier}.csv", reference=f"REM-{_slug(courier)}-1")
            else:
                target.write_bytes(data)
    if by_courier:
        ctx.say("COD remittances imported for half the delivered COD orders; more in var/demo/cod-*.csv")


def _slug(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum()) or "courier"
