"""Vouchers: created by staff, issued personally (a case, a return, a campaign), redeemed on own-channel
orders through the orders discount registry, inside the order's transaction.

Limits hold under concurrency: `VoucherDiscount.redeem` locks the voucher row, counts the live
redemptions (total and this customer's) and only then writes its own, all in the order's
transaction; the second of two racing orders waits for the lock and sees the first one's row.
A cancelled order gives its voucher use back (the redemption is marked reversed).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.money import percent_of
from customers.models import Voucher, VoucherRedemption
from orders.discounts import DiscountContext, DiscountQuote

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def clean_code(code: str) -> str:
    return "".join((code or "").split()).upper()[:40]


def _random_code(prefix: str = "") -> str:
    return (prefix + "".join(secrets.choice(CODE_ALPHABET) for _ in range(8)))[:40]


def voucher_create(
    *,
    kind: str,
    code: str = "",
    name: str = "",
    value_amount: int = 0,
    percent: Decimal | str | int = 0,
    max_discount_amount: int | None = None,
    min_spend_amount: int = 0,
    total_limit: int | None = None,
    per_customer_limit: int | None = 1,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    customer_id: int | None = None,
    campaign_id: int | None = None,
    reference: str = "",
    actor=None,
) -> Voucher:
    """Create a voucher; ValidationError names the field (code taken, no value, bad dates...)."""
    code = clean_code(code) or _random_code()
    if not code.isalnum():
        raise ValidationError({"code": [_("A code has letters and digits only.")]})
    if kind not in Voucher.Kind.values:
        raise ValidationError({"kind": [_("%(value)r is not a valid choice.") % {"value": kind}]})
    percent = Decimal(str(percent or 0))
    if kind == Voucher.Kind.FIXED and (not isinstance(value_amount, int) or value_amount <= 0):
        raise ValidationError({"value_amount": [_("Give the rupiah amount off.")]})
    if kind == Voucher.Kind.PERCENT and not Decimal("0") < percent <= Decimal("100"):
        raise ValidationError({"percent": [_("A percentage is above 0 and at most 100.")]})
    if min_spend_amount < 0 or (max_discount_amount is not None and max_discount_amount <= 0):
        raise ValidationError({"min_spend_amount": [_("Amounts cannot be negative.")]})
    if valid_from and valid_until and valid_until <= valid_from:
        raise ValidationError({"valid_until": [_("The end is before the start.")]})
    try:
        with transaction.atomic():
            return Voucher.objects.create(
                code=code, name=name[:120], kind=kind, value_amount=value_amount if kind == "fixed" else 0,
                percent=percent if kind == "percent" else 0, max_discount_amount=max_discount_amount,
                min_spend_amount=min_spend_amount, total_limit=total_limit, per_customer_limit=per_customer_limit,
                valid_from=valid_from, valid_until=valid_until, customer_id=customer_id, campaign_id=campaign_id,
                reference=reference[:80], created_by=actor if getattr(actor, "pk", None) else None,
            )
    except IntegrityError:
        raise ValidationError({"code": [_("The code %(code)s is already used.") % {"code": code}]}) from None


def voucher_issue_personal(*, customer_id: int, amount: int, reason: str, reference: str, valid_days: int = 60) -> str:
    """aftersales' voucher issuer: a one-use personal voucher of `amount`; returns its code."""
    voucher = voucher_create(kind=Voucher.Kind.FIXED, value_amount=amount, name=reason[:120], total_limit=1,
                             per_customer_limit=1, customer_id=customer_id, reference=reference,
                             valid_until=timezone.now() + timedelta(days=valid_days), code=_random_code("PS"))
    return voucher.code


def voucher_deactivate(*, voucher_id: int) -> Voucher:
    with transaction.atomic():
        voucher = Voucher.objects.select_for_update().get(pk=voucher_id)
        if voucher.is_active:
            voucher.is_active = False
            voucher.save(update_fields=["is_active"])
    return voucher


def voucher_discount(voucher: Voucher, items_amount: int) -> int:
    """What the voucher takes off an items total (before the remaining-amount cap)."""
    if voucher.kind == Voucher.Kind.FIXED:
        return min(voucher.value_amount, items_amount)
    amount = percent_of(items_amount, voucher.percent)
    if voucher.max_discount_amount is not None:
        amount = min(amount, voucher.max_discount_amount)
    return min(amount, items_amount)


def voucher_check(voucher: Voucher | None, *, code: str, customer_id: int | None, channel, subtotal: int,
                  now: datetime | None = None) -> Voucher:
    """Everything about a voucher except its usage limits; ValidationError under the key "voucher"."""
    now = now or timezone.now()

    def refuse(message: str):
        raise ValidationError({"voucher": [message]})

    if voucher is None or not voucher.is_active:
        refuse(_("Voucher %(code)s does not exist or is no longer active.") % {"code": code})
    if channel.is_marketplace:
        refuse(_("Vouchers are for the shop's own channels only."))
    if voucher.valid_from and now < voucher.valid_from:
        refuse(_("Voucher %(code)s is valid from %(date)s.") % {
            "code": voucher.code, "date": timezone.localtime(voucher.valid_from).strftime("%d-%m-%Y")})
    if voucher.valid_until and now > voucher.valid_until:
        refuse(_("Voucher %(code)s expired on %(date)s.") % {
            "code": voucher.code, "date": timezone.localtime(voucher.valid_until).strftime("%d-%m-%Y")})
    if voucher.customer_id and voucher.customer_id != customer_id:
        refuse(_("Voucher %(code)s belongs to another customer.") % {"code": voucher.code})
    if subtotal < voucher.min_spend_amount:
        refuse(_("Voucher %(code)s needs a minimum spend of Rp %(min)s.") % {
            "code": voucher.code, "min": f"{voucher.min_spend_amount:,}".replace(",", ".")})
    return voucher


def _limits_hold(voucher: Voucher, customer_id: int | None) -> None:
    live = VoucherRedemption.objects.filter(voucher=voucher, reversed_at__isnull=True)
    if voucher.total_limit is not None and live.count() >= voucher.total_limit:
        raise ValidationError({"voucher": [_("Voucher %(code)s has been used up.") % {"code": voucher.code}]})
    if voucher.per_customer_limit is not None and customer_id is not None and \
            live.filter(customer_id=customer_id).count() >= voucher.per_customer_limit:
        raise ValidationError({"voucher": [_("You have already used voucher %(code)s.") % {"code": voucher.code}]})


class VoucherDiscount:
    """orders.discounts provider for {"voucher": "<code>"}."""

    key = "voucher"

    def quote(self, *, value, context: DiscountContext) -> DiscountQuote | None:
        code = clean_code(str(value))
        if not code:
            return None
        voucher = voucher_check(Voucher.objects.filter(code=code).first(), code=code,
                                customer_id=context.customer.pk, channel=context.channel,
                                subtotal=context.subtotal_amount)
        amount = min(voucher_discount(voucher, context.subtotal_amount), context.remaining_amount)
        return DiscountQuote(key=self.key, amount=amount, label=f"Voucher {voucher.code}",
                             data={"voucher_id": voucher.pk})

    def redeem(self, *, quote: DiscountQuote, order, lines: list) -> None:
        voucher = Voucher.objects.select_for_update().get(pk=quote.data["voucher_id"])
        _limits_hold(voucher, order.customer_id)
        VoucherRedemption.objects.create(voucher=voucher, order=order, customer_id=order.customer_id,
                                         amount=quote.amount)


def redemption_reverse_for_order(*, order_id: int) -> bool:
    """The order was cancelled: its voucher use counts no more. Idempotent."""
    return bool(VoucherRedemption.objects.filter(order_id=order_id, reversed_at__isnull=True)
                .update(reversed_at=timezone.now()))
