"""Loyalty: points per rupiah on completed own-channel orders, tiers by 12-month spend, redemption as
an order discount, expiry, and the ledger (earn, redeem, expire, adjust, reversal).

- Earning (order completed, orders status hook): floor((items after all discounts) / rupiah_per_point)
  x the tier's multiplier; the discounted part (vouchers, points) and shipping earn nothing.
- Redemption (orders.discounts provider "points", in the order's transaction): partial redemption
  allowed; at least min_redeem_points, at most max_redeem_percent of the items; the customer's
  LoyaltyAccount row is locked and the balance checked again before the entry is written.
- Reversal: a cancelled order gives back the points it used and takes back what it earned; a
  completed return with money back (refund, voucher) takes back the points its returned part earned.
- Expiry (beat): earned points expire `expiry_months` after they were earned, first in first out:
  what is due = earned points past their expiry - every other debit, minus what already expired.
Every effect has a unique `reference`, so each happens once however often its trigger runs.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from core.untrusted import parse_count
from customers.models import LoyaltyAccount, LoyaltySettings, LoyaltyTier, PointsEntry
from orders.discounts import DiscountContext, DiscountQuote

K = PointsEntry.Kind


def loyalty_settings_get() -> LoyaltySettings:
    settings_row = LoyaltySettings.objects.order_by("pk").first()
    return settings_row if settings_row is not None else LoyaltySettings.objects.create()


def loyalty_settings_update(*, actor=None, **values) -> LoyaltySettings:
    row = loyalty_settings_get()
    for name, value in values.items():
        setattr(row, name, value)
    if row.rupiah_per_point <= 0 or not 0 < row.max_redeem_percent <= 100:
        raise ValidationError({"rupiah_per_point": [_("Check the earning rate and the redemption cap.")]})
    row.save()
    return row


def channel_earns(channel, settings_row: LoyaltySettings) -> bool:
    if channel.is_marketplace:
        return False
    return not settings_row.channel_kinds or channel.kind in settings_row.channel_kinds


def points_balance(*, customer_id: int) -> int:
    return PointsEntry.objects.filter(customer_id=customer_id).aggregate(n=Coalesce(Sum("points"), 0))["n"]


def spend_12_months(*, customer_id: int, now: datetime | None = None) -> int:
    from orders.models import Order, OrderStatus

    now = now or timezone.now()
    return Order.objects.filter(
        customer_id=customer_id, status__in=[OrderStatus.COMPLETED, OrderStatus.DELIVERED],
        placed_at__gte=now - timedelta(days=365),
    ).aggregate(n=Coalesce(Sum("subtotal_amount"), 0) - Coalesce(Sum("discount_amount"), 0))["n"]


def tier_for(*, customer_id: int, now: datetime | None = None) -> LoyaltyTier | None:
    spend = spend_12_months(customer_id=customer_id, now=now)
    return LoyaltyTier.objects.filter(min_spend_amount__lte=spend).order_by("-min_spend_amount").first()


def _write(entry: PointsEntry) -> PointsEntry | None:
    """Insert an effect once (its reference is unique); None when it happened already."""
    try:
        with transaction.atomic():
            entry.save(force_insert=True)
    except IntegrityError:
        return None
    return entry


def points_earn_for_order(*, order_id: int) -> PointsEntry | None:
    from orders.models import Order

    order = Order.objects.select_related("channel").filter(pk=order_id).first()
    settings_row = loyalty_settings_get()
    if order is None or order.customer_id is None or not settings_row.is_enabled:
        return None
    if not channel_earns(order.channel, settings_row):
        return None
    base = max(order.subtotal_amount - order.discount_amount, 0)
    tier = tier_for(customer_id=order.customer_id)
    multiplier = tier.earn_multiplier if tier else 1
    points = int((base // settings_row.rupiah_per_point) * multiplier)
    if points <= 0:
        return None
    return _write(PointsEntry(
        customer_id=order.customer_id, kind=K.EARN, points=points, order=order, reference=f"earn:order:{order.pk}",
        note=f"{order.number}" + (f" ({tier.name})" if tier else ""),
        expires_at=timezone.now() + relativedelta(months=settings_row.expiry_months),
    ))


def points_reverse_for_cancel(*, order_id: int) -> list[PointsEntry]:
    """Give back the points a cancelled order used; take back what it earned (once each)."""
    written = []
    for entry in PointsEntry.objects.filter(order_id=order_id, kind__in=[K.REDEEM, K.EARN]):
        reversal = _write(PointsEntry(
            customer_id=entry.customer_id, kind=K.REVERSAL, points=-entry.points, order_id=order_id,
            reference=f"reversal:{entry.reference}", note=_("Order cancelled"),
        ))
        if reversal is not None:
            written.append(reversal)
    return written


def points_reverse_for_return(done) -> PointsEntry | None:
    """aftersales hook: a return with money back takes back the points its returned part earned."""
    from orders.models import Order

    if done.outcome not in ("refund", "voucher") or done.customer_id is None:
        return None
    earned = PointsEntry.objects.filter(order_id=done.order_id, kind=K.EARN).first()
    order = Order.objects.filter(pk=done.order_id).first()
    if earned is None or order is None:
        return None
    base = max(order.subtotal_amount - order.discount_amount, 1)
    points = min(earned.points, earned.points * min(done.returned_amount, base) // base)
    if points <= 0:
        return None
    return _write(PointsEntry(
        customer_id=done.customer_id, kind=K.REVERSAL, points=-points, order_id=done.order_id,
        reference=f"reversal:return:{done.return_id}", note=_("Items returned"),
    ))


def points_adjust(*, customer_id: int, points: int, note: str, actor=None) -> PointsEntry:
    note = (note or "").strip()
    if not isinstance(points, int) or points == 0:
        raise ValidationError({"points": [_("Give a number of points other than zero.")]})
    if not note:
        raise ValidationError({"note": [_("Say why the points are adjusted.")]})
    with transaction.atomic():
        account = _lock_account(customer_id)
        if points < 0 and points_balance(customer_id=account.customer_id) + points < 0:
            raise ValidationError({"points": [_("The balance cannot go below zero.")]})
        return PointsEntry.objects.create(
            customer_id=customer_id, kind=K.ADJUST, points=points, note=note[:255],
            reference=f"adjust:{customer_id}:{timezone.now().timestamp()}",
            actor=actor if getattr(actor, "pk", None) else None,
            expires_at=(timezone.now() + relativedelta(months=loyalty_settings_get().expiry_months)) if points > 0
            else None,
        )


def _lock_account(customer_id: int) -> LoyaltyAccount:
    LoyaltyAccount.objects.get_or_create(customer_id=customer_id)
    return LoyaltyAccount.objects.select_for_update().get(customer_id=customer_id)


def points_expire(*, now: datetime | None = None) -> int:
    """Expire what is due for every customer (set-based: one aggregate query, one INSERT)."""
    now = now or timezone.now()
    credits = Q(kind__in=[K.EARN, K.ADJUST], points__gt=0)
    rows = (
        PointsEntry.objects.filter(customer_id__in=PointsEntry.objects.filter(credits, expires_at__lte=now)
                                   .values("customer_id"))
        .values("customer_id")
        .annotate(
            due=Coalesce(Sum("points", filter=credits & Q(expires_at__lte=now)), 0),
            spent=Coalesce(Sum("points", filter=~credits & ~Q(kind=K.EXPIRE)), 0),
            expired=Coalesce(Sum("points", filter=Q(kind=K.EXPIRE)), 0),
        )
    )
    entries = []
    stamp = now.strftime("%Y%m%d%H%M%S")
    for row in rows:
        amount = max(row["due"] + min(row["spent"], 0), 0) + row["expired"]  # spent and expired are negative
        if amount > 0:
            entries.append(PointsEntry(customer_id=row["customer_id"], kind=K.EXPIRE, points=-amount,
                                       reference=f"expire:{row['customer_id']}:{stamp}", note=_("Points expired")))
    PointsEntry.objects.bulk_create(entries, ignore_conflicts=True)
    return sum(-e.points for e in entries)


class PointsDiscount:
    """orders.discounts provider for {"points": <number of points>}."""

    key = "points"

    def quote(self, *, value, context: DiscountContext) -> DiscountQuote | None:
        wanted = parse_count(value, maximum=10**9)
        if wanted is None:
            raise ValidationError({"points": [_("Give a whole number of points.")]})
        if wanted <= 0:
            return None
        settings_row = loyalty_settings_get()
        if not settings_row.is_enabled or not channel_earns(context.channel, settings_row):
            raise ValidationError({"points": [_("Points cannot be used on this channel.")]})
        if wanted < settings_row.min_redeem_points:
            raise ValidationError({"points": [_("Redeem at least %(n)s points.")
                                              % {"n": settings_row.min_redeem_points}]})
        balance = points_balance(customer_id=context.customer.pk)
        if wanted > balance:
            raise ValidationError({"points": [_("Only %(n)s points are available.") % {"n": balance}]})
        cap = min(context.remaining_amount, context.subtotal_amount * settings_row.max_redeem_percent // 100)
        points = min(wanted, cap // settings_row.point_value_amount)
        if points <= 0:
            return None
        return DiscountQuote(key=self.key, amount=points * settings_row.point_value_amount,
                             label=_("%(n)s loyalty points") % {"n": points}, data={"points": points})

    def redeem(self, *, quote: DiscountQuote, order, lines: list) -> None:
        points = quote.data["points"]
        _lock_account(order.customer_id)
        if points_balance(customer_id=order.customer_id) < points:
            raise ValidationError({"points": [_("The points were used meanwhile; only %(n)s are left.")
                                              % {"n": points_balance(customer_id=order.customer_id)}]})
        PointsEntry.objects.create(customer_id=order.customer_id, kind=K.REDEEM, points=-points, order=order,
                                   reference=f"redeem:order:{order.pk}", note=order.number)
