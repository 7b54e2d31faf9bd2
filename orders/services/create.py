"""Creating orders: staff entry, the web store API and (through external.py) marketplaces."""

from __future__ import annotations

import contextlib
import uuid
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from channels.models import Channel
from core.db import insert_instance, insert_instances
from core.errors import Conflict
from core.money import percent_of
from orders import discounts as order_discounts
from orders import hooks
from orders.inputs import AddressInput, CustomerInput, LineInput
from orders.models import Customer, Order, OrderEvent, OrderLine, OrderSource, OrderStatus, PaymentMethod
from orders.services.customers import clean_phone, customer_get_or_create
from orders.services.lifecycle import EVENT_CREATED, record_event
from orders.services.stock import reserve_lines

# How long a customer has to pay an order that is not cash on delivery.
PAYMENT_WINDOW = timedelta(hours=getattr(settings, "ORDER_PAYMENT_WINDOW_HOURS", 24))
MAX_LINES = 100


@dataclass
class ResolvedLine:
    variant_id: int | None
    sku: str
    name: str
    quantity: int
    unit_price_amount: int
    discount_amount: int = 0
    external_line_id: str = ""
    # Whether the variant is listed on some channel (its stock is pushed), when the caller knows.
    listed: bool | None = None

    @property
    def total_amount(self) -> int:
        return self.unit_price_amount * self.quantity - self.discount_amount


def channel_get(channel_id: int) -> Channel:
    channel = Channel.objects.filter(pk=channel_id).first()
    if channel is None:
        raise ValidationError({"channel": [_("Channel %(id)s does not exist.") % {"id": channel_id}]})
    return channel


def resolve_lines(channel: Channel, lines: list[LineInput]) -> list[ResolvedLine]:
    """Find each line's variant (by id or SKU) and price; ValidationError names the bad line."""
    from catalog.selectors import variants_for_sale

    if not lines:
        raise ValidationError({"lines": [_("An order needs at least one line.")]})
    if len(lines) > MAX_LINES:
        raise ValidationError({"lines": [_("At most %(n)s lines per order.") % {"n": MAX_LINES}]})
    ids = {line.variant_id for line in lines if line.variant_id}
    skus = {line.sku.strip() for line in lines if not line.variant_id and line.sku}
    variants = variants_for_sale(channel_id=channel.id, ids=ids, skus=skus)
    by_id = {v.id: v for v in variants}
    by_sku = {v.sku: v for v in variants}
    resolved = []
    for number, line in enumerate(lines, start=1):
        if not isinstance(line.quantity, int) or line.quantity <= 0:
            msg = _("Line %(n)s: the quantity must be a whole number above zero.") % {"n": number}
            raise ValidationError({"lines": [msg]})
        variant = by_id.get(line.variant_id) if line.variant_id else by_sku.get((line.sku or "").strip())
        if variant is None:
            what = _("variant %(id)s") % {"id": line.variant_id} if line.variant_id else f"SKU {line.sku!r}"
            raise ValidationError({"lines": [_("Line %(n)s: %(what)s does not exist.") % {"n": number, "what": what}]})
        if not variant.for_sale:
            msg = _("Line %(n)s: %(sku)s is not for sale.") % {"n": number, "sku": variant.sku}
            raise ValidationError({"lines": [msg]})
        price = line.unit_price_amount
        if price is None:
            price = variant.listing_price_amount if variant.listing_price_amount is not None else variant.price_amount
        if price < 0 or line.discount_amount < 0:
            raise ValidationError({"lines": [_("Line %(n)s: amounts cannot be negative.") % {"n": number}]})
        if line.discount_amount > price * line.quantity:
            raise ValidationError({"lines": [_("Line %(n)s: the discount is larger than the line.") % {"n": number}]})
        resolved.append(
            ResolvedLine(
                variant_id=variant.id,
                sku=variant.sku,
                name=variant.full_name[:255],
                quantity=line.quantity,
                unit_price_amount=int(price),
                discount_amount=int(line.discount_amount),
                listed=variant.listed,
            )
        )
    return resolved


def estimate_fee(channel: Channel, subtotal: int) -> int:
    if not channel.commission_percent and not channel.fixed_fee_amount:
        return 0
    return percent_of(subtotal, channel.commission_percent) + channel.fixed_fee_amount


def order_number(channel: Channel, order_id: int, placed_at: datetime) -> str:
    """Readable, unique order number: <channel code>-YYMMDD-<order id, 6+ digits>."""
    day = timezone.localtime(placed_at).strftime("%y%m%d")
    return f"{channel.code.upper()[:20]}-{day}-{order_id:06d}"  # fits Order.number (40) for any code


def build_order(
    *, channel: Channel, customer: Customer | None, lines: list[ResolvedLine], placed_at: datetime, source: str,
    order_id: int | None = None, **fields,
) -> tuple[Order, list[OrderLine]]:
    """The unsaved order and its lines, as every creating path writes them (staff, API, marketplace)."""
    order = Order(
        id=order_id,
        channel=channel,
        customer=customer,
        placed_at=placed_at,
        number=order_number(channel, order_id, placed_at) if order_id else f"new-{uuid.uuid4().hex}",
        source=source,
        **fields,
    )
    return order, [
        OrderLine(order=order, variant_id=line.variant_id, sku=line.sku[:64], name=line.name[:255],
                  quantity=line.quantity, unit_price_amount=line.unit_price_amount,
                  discount_amount=line.discount_amount, external_line_id=line.external_line_id[:128])
        for line in lines
    ]


def insert_order(*, channel: Channel, lines: list[ResolvedLine], placed_at: datetime, actor=None,
                 order_id: int | None = None, **fields) -> tuple[Order, list[OrderLine]]:
    """Write the order, its lines and its number, and reserve its stock (OutOfStock propagates).

    The caller wraps this in a transaction. `order_id`, an id the caller took from the orders
    sequence, lets the order be inserted with its final number; without it the number is set by an
    UPDATE once the database gave the id.
    """
    order, order_lines = build_order(channel=channel, lines=lines, placed_at=placed_at, order_id=order_id, **fields)
    insert_instance(order)
    for line in order_lines:
        line.order = order  # the id the INSERT gave
    listed = (
        {line.variant_id for line in lines if line.listed}
        if all(line.listed is not None for line in lines if line.variant_id) else None
    )
    reserve_lines(order, order_lines, actor=actor, listed=listed)
    insert_instances(order_lines)
    if order_id is None:
        order.number = order_number(channel, order.id, placed_at)
        Order.objects.filter(pk=order.pk).update(number=order.number)
    return order, order_lines


# The order whose order-created hooks are running, as order_create_with_rows wrote it.
_in_creation: ContextVar[Order | None] = ContextVar("orders_in_creation", default=None)


def order_in_creation(order_id: int) -> Order | None:
    """The order being created, while its order-created hooks run (None for any other order).

    A hook receives only the id; this hands it the row the creating service just wrote (with its
    channel and customer) instead of a read of the same row. Read-only: hooks never change the order.
    """
    order = _in_creation.get()
    return order if order is not None and order.pk == order_id else None


@contextlib.contextmanager
def order_in_creation_scope(order: Order):
    """While it is open, order_in_creation(order.pk) returns `order` (for the creating services)."""
    token = _in_creation.set(order)
    try:
        yield
    finally:
        _in_creation.reset(token)


@dataclass(frozen=True)
class CreatedOrder:
    """What order_create_with_rows wrote: the order (with channel and customer), its lines and events."""

    order: Order
    lines: list[OrderLine]
    events: list[OrderEvent]


def order_create(*, channel_id: int, lines: list[LineInput], customer: CustomerInput, **options) -> Order:
    """Create an order entered by staff or placed on the web store; returns the order.

    The options (shipping, amounts, payment_method, notes, tags, external_id, actor, source,
    channel, order_id, savepoint) and the guarantees are those of order_create_with_rows.
    """
    return order_create_with_rows(channel_id=channel_id, lines=lines, customer=customer, **options).order


def order_create_with_rows(
    *,
    channel_id: int,
    lines: list[LineInput],
    customer: CustomerInput,
    shipping: AddressInput | None = None,
    shipping_amount: int = 0,
    discount_amount: int = 0,
    payment_method: str = PaymentMethod.BANK_TRANSFER,
    notes: str = "",
    tags: list[str] | None = None,
    external_id: str = "",
    actor=None,
    source: str = OrderSource.STAFF,
    channel: Channel | None = None,
    order_id: int | None = None,
    savepoint: bool = True,
    discounts: dict | None = None,
    placed_at: datetime | None = None,
) -> CreatedOrder:
    """Create an order entered by staff or placed on the web store, and reserve its stock.

    All or nothing: an unknown SKU, a bad phone or amount raises ValidationError (with the field),
    missing stock raises catalog.errors.OutOfStock, a reused `external_id` raises Conflict, and
    nothing is written. The order starts awaiting payment (a COD order can be confirmed at once);
    payment is due within PAYMENT_WINDOW unless it is cash on delivery.

    `channel` is the Channel row of `channel_id` when the caller has read it already (the API's
    validation does), which saves reading it again. Returns the order (with its channel and
    customer), its lines and its `created` event as written, so a caller can answer with them
    without reading the order back. `order_id` is an id the caller reserved from the orders
    sequence in the same transaction (the API does with its idempotency key); the order gets it.
    `savepoint=False` skips the savepoint when this runs inside a caller's transaction that is
    rolled back as a whole on any error (the API's); a caller that catches errors and goes on keeps
    the default. `discounts` asks the registered discount providers (orders.discounts) for their
    discount, e.g. {"voucher": "HEMAT10", "points": 5000}; it is added to discount_amount and
    redeemed in this transaction (a refused code or a limit raises ValidationError, nothing written).
    `placed_at` (default now, never in the future) is when the buyer ordered, for an order typed in
    after the fact (the demo's history): the order number's date and placed_at follow it, so nothing
    written on the way (events, messages) carries another date; the payment window starts now.
    """
    from orders.services.lifecycle import clean_tags

    if channel is None or channel.pk != channel_id:
        channel = channel_get(channel_id)
    if payment_method not in PaymentMethod.values:
        raise ValidationError({"payment_method": [_("%(value)r is not a payment method.") % {"value": payment_method}]})
    for field, amount in (("shipping_amount", shipping_amount), ("discount_amount", discount_amount)):
        if not isinstance(amount, int) or amount < 0:
            raise ValidationError({field: [_("Must be a whole rupiah amount, not negative.")]})
    cleaned_tags = clean_tags(tags)
    external_id = (external_id or "").strip()
    resolved = resolve_lines(channel, lines)
    subtotal = sum(line.total_amount for line in resolved)
    total = subtotal + shipping_amount - discount_amount
    if total < 0:
        raise ValidationError({"discount_amount": [_("The discount is larger than the order.")]})
    shipping_fields = _shipping_fields(shipping, customer)
    now = timezone.now()
    if placed_at is not None and (timezone.is_naive(placed_at) or placed_at > now):
        raise ValidationError({"placed_at": [_("The order time must be a past moment with a time zone.")]})
    with transaction.atomic(savepoint=savepoint):
        buyer = customer_get_or_create(customer=customer)
        quotes = _quote_discounts(discounts, channel=channel, customer=buyer, lines=resolved,
                                  subtotal=subtotal, remaining=subtotal - discount_amount)
        if quotes:
            discount_amount += sum(quote.amount for quote in quotes)
            total = subtotal + shipping_amount - discount_amount
        if not shipping_fields["shipping_name"]:
            shipping_fields["shipping_name"] = buyer.name
        if not shipping_fields["shipping_phone"]:
            shipping_fields["shipping_phone"] = buyer.phone
        # Only a given external_id can collide; without one no savepoint is needed.
        guard = transaction.atomic() if external_id else contextlib.nullcontext()
        try:
            with guard:
                order, order_lines = insert_order(
                    channel=channel,
                    customer=buyer,
                    lines=resolved,
                    placed_at=placed_at or now,
                    actor=actor if getattr(actor, "is_authenticated", False) else None,
                    source=source,
                    order_id=order_id,
                    external_id=external_id,
                    status=OrderStatus.AWAITING_PAYMENT,
                    subtotal_amount=subtotal,
                    shipping_amount=shipping_amount,
                    discount_amount=discount_amount,
                    marketplace_fee_amount=estimate_fee(channel, subtotal),
                    total_amount=total,
                    payment_method=payment_method,
                    payment_due_at=None if payment_method == PaymentMethod.COD else now + PAYMENT_WINDOW,
                    notes=(notes or "").strip(),
                    tags=cleaned_tags,
                    **shipping_fields,
                )
        except IntegrityError:
            if external_id and Order.objects.filter(channel=channel, external_id=external_id).exists():
                raise Conflict(
                    _("Order %(id)r already exists on channel %(channel)s.")
                    % {"id": external_id, "channel": channel.code},
                    detail={"field": "external_id"},
                ) from None
            raise
        for quote in quotes:
            order_discounts.get(quote.key).redeem(quote=quote, order=order, lines=order_lines)
        created_data = {"number": order.number, "total_amount": total}
        if quotes:
            created_data["discounts"] = [{"key": q.key, "amount": q.amount, "label": q.label} for q in quotes]
        event = record_event(
            order,
            EVENT_CREATED,
            actor=actor,
            source=source,
            to_status=order.status,
            data=created_data,
        )
        # Order-created hooks add rows of their own apps (payment, notification trigger) and never
        # change the order, its lines or its events, so what was written here is the order as committed.
        with order_in_creation_scope(order):
            hooks.run_order_created(order.id)
    return CreatedOrder(order=order, lines=order_lines, events=[event])


def _quote_discounts(discounts: dict | None, *, channel: Channel, customer: Customer, lines: list[ResolvedLine],
                     subtotal: int, remaining: int) -> list:
    """The registered providers' quotes for the requested discounts (see orders.discounts)."""
    quotes = []
    for provider, key, value in order_discounts.requested(discounts):
        if provider is None:
            raise ValidationError({key: [_("This discount is not available.")]})
        quote = provider.quote(value=value, context=order_discounts.DiscountContext(
            channel=channel, customer=customer, subtotal_amount=subtotal, remaining_amount=remaining, lines=lines,
        ))
        if quote is None or quote.amount <= 0:
            continue
        if quote.amount > remaining:
            raise ValidationError({key: [_("The discount is larger than the order.")]})
        remaining -= quote.amount
        quotes.append(quote)
    return quotes


def _shipping_fields(shipping: AddressInput | None, customer: CustomerInput) -> dict:
    if shipping is None:
        return {
            "shipping_name": (customer.name or "").strip()[:200],
            "shipping_phone": "",
            "shipping_address": "",
            "shipping_city": "",
            "shipping_province": "",
            "shipping_postal_code": "",
        }
    if not (shipping.address or "").strip():
        raise ValidationError({"shipping.address": [_("The shipping address is required.")]})
    postal = (shipping.postal_code or "").strip()
    if postal and (not postal.isdigit() or len(postal) != 5):
        raise ValidationError({"shipping.postal_code": [_("An Indonesian postal code has 5 digits.")]})
    return {
        "shipping_name": (shipping.name or customer.name or "").strip()[:200],
        "shipping_phone": clean_phone(shipping.phone, field="shipping.phone"),
        "shipping_address": shipping.address.strip(),
        "shipping_city": (shipping.city or "").strip()[:100],
        "shipping_province": (shipping.province or "").strip()[:100],
        "shipping_postal_code": postal,
    }
