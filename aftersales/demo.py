"""Demo after-sales: SLA policies, the return policy, warranties, cases in every state (some past
their SLA), returns at every step, warranty claims, reviews with replies, survey answers.

Everything goes through the services; only the dates are moved back afterwards (a demo needs
history), with the SLA due times computed again from the moved opening on the shop calendar.
"""

from __future__ import annotations

from datetime import timedelta

from aftersales.models import (
    Case,
    CaseStatus,
    ProductWarranty,
    Review,
    SlaPolicy,
    SurveyResponse,
)
from aftersales.services import cases, returns, reviews, sla, surveys, warranty

COMPLAINTS = [
    ("late_delivery", "whatsapp", "Paket belum sampai", "Sudah 6 hari belum sampai, resi tidak bergerak sejak Senin."),
    ("damaged", "instagram", "Barang rusak", "Kardus penyok dan kancingnya lepas saat diterima."),
    ("wrong_item", "email", "Salah ukuran", "Saya pesan ukuran L tapi yang datang M."),
    ("missing_item", "phone", "Barang kurang", "Pesan 3 tapi hanya datang 2."),
    ("quality", "whatsapp", "Warna luntur", "Setelah dicuci sekali warnanya luntur ke baju lain."),
    ("refund", "facebook", "Minta pengembalian dana", "Pesanan dibatalkan tapi dana belum kembali."),
    ("other", "whatsapp", "Tanya stok", "Kapan warna navy ready lagi kak?"),
    ("late_delivery", "order_page", "Pengiriman lambat", "Kurir tidak datang-datang, mohon dibantu."),
]
REPLIES = ["Mohon maaf atas ketidaknyamanannya kak, kami cek ke kurir dulu ya.",
           "Baik kak, boleh kirim foto barangnya?", "Terima kasih infonya, kami proses hari ini."]
REVIEW_TEXTS = {5: ["Bahannya adem, jahitan rapi. Mantap!", "Sesuai foto, pengiriman cepat.",
                    "Suka banget, bakal order lagi"],
                4: ["Bagus, cuma pengirimannya agak lama.", "Kualitas oke, ukuran pas."],
                3: ["Lumayan, warnanya sedikit beda dari foto."],
                2: ["Jahitannya ada yang lepas, kecewa."], 1: ["Barang rusak saat diterima, kemasan kurang aman."]}


def seed(ctx) -> None:
    from django.contrib.auth import get_user_model

    from orders.models import Order, OrderStatus

    SlaPolicy.objects.get_or_create(name="Standar", category="", priority="",
                                    defaults={"first_response_minutes": 120, "resolution_minutes": 16 * 60})
    SlaPolicy.objects.get_or_create(name="Mendesak", category="", priority="urgent",
                                    defaults={"first_response_minutes": 30, "resolution_minutes": 4 * 60})
    SlaPolicy.objects.get_or_create(name="Barang rusak", category="damaged", priority="",
                                    defaults={"first_response_minutes": 60, "resolution_minutes": 8 * 60})
    returns.return_policy_update(
        window_working_days=7, shipping_paid_by="seller_if_fault", requires_photo=True,
        conditions="Barang belum dicuci/dipakai, label masih terpasang, sertakan video unboxing untuk barang rusak.",
        return_address="Gudang Utama, Jl. Industri No. 8, Bandung 40221")
    from catalog.models import Product

    for product in Product.objects.order_by("pk")[:5]:
        ProductWarranty.objects.get_or_create(product=product, defaults={"months": 12, "terms": "Garansi jahitan."})

    staff = get_user_model().objects.filter(is_active=True).order_by("pk").first()
    rng = ctx.rng
    own = Order.objects.filter(customer__isnull=False).exclude(channel__kind__in=["shopee", "tiktok_shop", "lazada",
                                                                                 "tokopedia", "bukalapak"])
    done = list(own.filter(status__in=[OrderStatus.DELIVERED, OrderStatus.COMPLETED]).order_by("-placed_at")[:60])
    recent = list(own.exclude(status=OrderStatus.CANCELLED).order_by("-placed_at")[:20])
    _cases(ctx, rng, done[:16] + recent[:4], staff)
    _returns(ctx, done[16:28], staff)
    _warranty(ctx, done[28:32], staff)
    _reviews(ctx, rng, done[30:60], staff)
    ctx.say(f"{Case.objects.count()} cases, {Review.objects.count()} reviews, "
            f"{SurveyResponse.objects.count()} survey answers")


def _open_at(case: Case, when) -> None:
    """Move a demo case's opening back and compute its SLA from there (demo data only)."""
    sla.sla_start(case, at=when)
    Case.objects.filter(pk=case.pk).update(created_at=when, first_response_due_at=case.first_response_due_at,
                                           resolution_due_at=case.resolution_due_at, sla_policy=case.sla_policy)


def _cases(ctx, rng, orders, staff) -> None:
    now = ctx.now
    targets = [CaseStatus.OPEN, CaseStatus.OPEN, CaseStatus.IN_PROGRESS, CaseStatus.IN_PROGRESS,
               CaseStatus.WAITING_CUSTOMER, CaseStatus.RESOLVED, CaseStatus.CLOSED, CaseStatus.RESOLVED]
    for index, order in enumerate(orders):
        category, channel, subject, text = COMPLAINTS[index % len(COMPLAINTS)]
        target = targets[index % len(targets)]
        case = cases.case_open(subject=subject, description=text, category=category, channel=channel,
                               order_id=order.pk, priority="urgent" if index % 5 == 0 else "normal", source="demo")
        # some opened days ago (past their SLA when still open), others within the last hours
        hours_ago = rng.choice([2, 5, 30, 60, 100]) if target in (CaseStatus.OPEN, CaseStatus.IN_PROGRESS) else 80
        _open_at(case, now - timedelta(hours=hours_ago))
        if target == CaseStatus.OPEN:
            continue
        cases.case_assign(case_id=case.pk, assignee_id=staff.pk if staff else None, actor=staff)
        cases.case_reply(case_id=case.pk, body=rng.choice(REPLIES), actor=staff,
                         wait_for_customer=target == CaseStatus.WAITING_CUSTOMER)
        if target in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
            cases.case_resolve(case_id=case.pk, resolution=rng.choice(["explanation", "voucher", "replacement"]),
                               note="Sudah ditangani.", actor=staff, voucher_amount=25_000, invite_csat=False)
            surveys.survey_answer(kind="csat_case", score=rng.choice([3, 4, 5, 5]), case=case, order=order,
                                  comment=rng.choice(["", "Respon cepat, terima kasih", "Agak lama dibalas"]))
        if target == CaseStatus.CLOSED:
            cases.case_close(case_id=case.pk, actor=staff)


def _returns(ctx, orders, staff) -> None:
    steps = ["requested", "approved", "in_transit", "received", "inspected", "refund", "replacement", "requested",
             "approved", "refund", "voucher", "in_transit"]
    # How each parcel comes back (the rest drop it off at a courier): a courier pickup, one by hand.
    methods = {1: "pickup", 10: "in_person"}
    for index, (order, step) in enumerate(zip(orders, steps, strict=False)):
        method = methods.get(index, "drop_off")
        line = order.lines.first()
        try:
            rma = returns.return_request_create(
                order_id=order.pk, lines=[returns.ReturnLineRequest(line.pk, 1)], reason="damaged",
                description="Jahitan lepas di bagian lengan.", requested_outcome="refund", actor=staff,
                outside_window_note="Data demo", channel="whatsapp")
        except Exception as exc:  # an order the demo cannot return (no payment to refund...) is skipped
            ctx.say(f"return skipped for {order.number}: {exc}")
            continue
        if step == "requested":
            continue
        returns.return_approve(return_id=rma.pk, actor=staff, method=method)
        if step == "approved":
            continue
        if method != "in_person":
            returns.return_ship(return_id=rma.pk, courier="J&T", tracking_number=f"JP{order.pk:010d}", actor=staff)
        if step == "in_transit":
            continue
        returns.return_receive(return_id=rma.pk, actor=staff)
        if step == "received":
            continue
        returns.return_inspect(return_id=rma.pk, actor=staff,
                               results=[returns.InspectionResult(rma.lines.get().pk, 1, 0, 0)])
        if step == "inspected":
            continue
        try:
            returns.return_complete(return_id=rma.pk, outcome=step, actor=staff)
        except Exception as exc:  # e.g. a cash-on-delivery order with nothing received yet
            ctx.say(f"return {rma.number} left inspected: {exc}")


def _warranty(ctx, orders, staff) -> None:
    from aftersales.models import ProductWarranty

    for index, order in enumerate(orders):
        line = order.lines.select_related("variant").first()
        if line is None or line.variant is None:
            continue
        ProductWarranty.objects.get_or_create(product_id=line.variant.product_id, defaults={"months": 12})
        claim = warranty.warranty_claim_open(order_line_id=line.pk, serial_number=f"SN-{order.pk:06d}",
                                             problem="Resleting macet setelah 2 bulan.", actor=staff)
        if index == 0:
            continue
        warranty.warranty_claim_accept(claim_id=claim.pk, outcome="replacement" if index % 2 else "repair",
                                       actor=staff)
        if index >= 2:
            warranty.warranty_claim_complete(claim_id=claim.pk, actor=staff,
                                             replacement_serial=f"SN-{order.pk:06d}-B")


def _reviews(ctx, rng, orders, staff) -> None:
    now = ctx.now
    for order in orders:
        rating = rng.choice([5, 5, 5, 4, 4, 3, 2, 1])
        line = order.lines.first()
        [review] = reviews.review_submit(order=order, ratings=[reviews.LineRating(
            line.pk, rating, rng.choice(REVIEW_TEXTS[rating]))])
        Review.objects.filter(pk=review.pk).update(reviewed_at=now - timedelta(days=rng.randint(1, 40)))
        if rng.random() < 0.7:
            reviews.review_moderate(review_id=review.pk, status="published", actor=staff)
        if rating <= 3 or rng.random() < 0.4:
            reviews.review_reply(review_id=review.pk, actor=staff,
                                 text="Terima kasih atas ulasannya kak, masukan kakak kami perbaiki.")
        if rng.random() < 0.6:
            surveys.survey_answer(kind="csat_delivery", score=rng.choice([5, 5, 4, 4, 3, 2]), order=order,
                                  comment=rng.choice(["", "Pengiriman cepat", "Kurir ramah", "Paket terlambat 2 hari"]))
        if rng.random() < 0.4:
            surveys.survey_answer(kind="nps", score=rng.choice([10, 9, 9, 8, 7, 6, 3]), order=order)
    for source, rating, text in [("shopee", 5, "Mantap seller amanah"), ("tokopedia", 2, "Pengemasan kurang rapi"),
                                 ("tiktok_shop", 4, "Oke sesuai pesanan")]:
        reviews.review_enter(source=source, rating=rating, text=text, reviewer_name="pembeli***",
                             external_ref=f"demo-{source}", actor=staff)
