"""Rendering staff-edited message templates safely.

Templates are Django template text, but they run in a sandbox:

* the context holds only whitelisted plain values (strings, numbers, lists of dicts of
  strings) built by `order_context()`, never a model instance, so no template can walk from
  `order` to `customer.user.password` or call a method that touches the database;
* the engine knows only an allowlist of tags and filters (no `{% load %}`, `{% include %}`,
  `{% debug %}`, `{% url %}`...), and has no template loaders;
* output is plain text (no HTML escaping) because e-mail bodies, WhatsApp and SMS are text.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.template import Context, Engine, Library, TemplateSyntaxError, defaultfilters, defaulttags
from django.utils import formats, timezone, translation
from django.utils.translation import gettext_lazy as _

from core.money import format_idr

logger = logging.getLogger(__name__)

ALLOWED_TAGS = ("if", "for", "with", "firstof", "comment", "cycle", "now")
ALLOWED_FILTERS = (
    "add", "capfirst", "cut", "date", "default", "default_if_none", "first", "floatformat", "join", "last",
    "length", "linebreaksbr", "lower", "pluralize", "slice", "stringformat", "time", "title",
    "truncatechars", "truncatewords", "upper", "urlencode", "wordcount", "yesno",
)
MAX_RENDERED_LENGTH = 10_000

_sandbox_library = Library()
for _name in ALLOWED_TAGS:
    _sandbox_library.tags[_name] = defaulttags.register.tags[_name]
for _name in ALLOWED_FILTERS:
    _sandbox_library.filters[_name] = defaultfilters.register.filters[_name]


@_sandbox_library.filter(name="rupiah")
def _rupiah(value) -> str:
    if value in (None, ""):
        return "-"
    try:
        return format_idr(int(value))
    except (TypeError, ValueError):
        return str(value)


class SandboxEngine(Engine):
    """An engine whose only builtins are the allowlisted tags and filters, with no loaders."""

    def get_template_builtins(self, builtins):
        return [_sandbox_library]

    def get_template_libraries(self, libraries):
        return {}


_engine = SandboxEngine(loaders=[], autoescape=False, debug=False, string_if_invalid="")

# The variables a template may use, with what they hold (shown on the template edit page).
AVAILABLE_VARIABLES: dict[str, object] = {
    "shop_name": _("Shop name"),
    "customer_name": _("Customer name"),
    "order_number": _("Order number"),
    "order_status": _("Order status, in the message language"),
    "awaiting_payment": _("True while the order still waits for payment"),
    "items": _("Items: a list, each with name, sku, quantity, unit_price and total (formatted)"),
    "item_count": _("Number of items"),
    "items_total": _("Items total, formatted (Rp 1.250.000)"),
    "shipping_cost": _("Shipping cost, formatted"),
    "discount": _("Discount, formatted"),
    "order_total": _("Order total, formatted"),
    "order_total_amount": _("Order total as a whole number of rupiah"),
    "payment_method": _("Payment method"),
    "amount_to_pay": _("Exact amount to pay, formatted (with the transfer's unique code when there is one)"),
    "payment_due": _("Payment deadline (date and time, Jakarta)"),
    "payment_instructions": _("Payment instructions (virtual account, QRIS...) when the payment stage provides them"),
    "courier": _("Courier"),
    "tracking_number": _("Shipment tracking number (resi), when known"),
    "shipping_name": _("Recipient name"),
    "shipping_address": _("Shipping address"),
    "shipping_city": _("Shipping city"),
    "tracking_link": _("Signed link to the customer's order status page"),
    "courier_tracking_link": _("The courier's own tracking page for the resi, when it has one"),
    "placed_at": _("Order date (Jakarta)"),
}

# Other apps (payments, shipping) add values such as payment_instructions or tracking_number here.
ContextExtender = Callable[[object, str], dict]
_extenders: list[tuple[ContextExtender, frozenset[str] | None]] = []


def register_context_extender(extender: ContextExtender, *, provides: set[str] | None = None) -> None:
    """`extender(order, language) -> {name: value}`; only names in AVAILABLE_VARIABLES are kept.

    `provides` names the variables it fills, so it is only called for templates that use one of
    them (its queries are skipped otherwise); None means always.
    """
    entry = (extender, frozenset(provides) if provides is not None else None)
    if entry not in _extenders:
        _extenders.append(entry)


def variables_used(*sources: str) -> set[str]:
    """The whitelisted variable names that appear in template sources (a cheap over-estimate)."""
    text = " ".join(sources)
    return {name for name in AVAILABLE_VARIABLES if name in text}


class TemplateError(ValueError):
    """A template that does not compile or does not render; the message says why."""


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


def compile_template(source: str):
    try:
        return _engine.from_string(source)
    except TemplateSyntaxError as exc:
        raise TemplateError(str(exc)) from None


def validate_template(source: str) -> None:
    """Raise TemplateError with a readable reason if `source` is not a valid sandboxed template."""
    compile_template(source)


def _plain(value):
    """Reduce a value to the plain types a template may see."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return str(value)


def render(*, subject: str, body: str, context: dict, language: str) -> Rendered:
    """Render subject and body in `language` with only whitelisted variables from `context`."""
    safe = {name: _plain(value) for name, value in context.items() if name in AVAILABLE_VARIABLES}
    with translation.override(language):
        try:
            rendered_subject = compile_template(subject).render(Context(safe, autoescape=False)) if subject else ""
            rendered_body = compile_template(body).render(Context(safe, autoescape=False))
        except TemplateError:
            raise
        except Exception as exc:  # a filter given nonsense: report it, never crash the caller
            raise TemplateError(f"{type(exc).__name__}: {exc}") from None
    rendered_subject = " ".join(rendered_subject.split())[:255]
    rendered_body = _tidy(rendered_body)
    if len(rendered_body) > MAX_RENDERED_LENGTH:
        raise TemplateError(f"the message is longer than {MAX_RENDERED_LENGTH} characters")
    return Rendered(subject=rendered_subject, body=rendered_body)


def _tidy(text: str) -> str:
    """Strip trailing spaces and collapse the blank lines that `{% if %}` blocks leave behind."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    out: list[str] = []
    for line in lines:
        if line == "" and out and out[-1] == "":
            continue
        out.append(line)
    return "\n".join(out)


def _local(dt, fmt: str) -> str:
    if dt is None:
        return ""
    return formats.date_format(timezone.localtime(dt), fmt)


def tracking_link(order) -> str:
    return f"{settings.SITE_URL}/track/{order.number}/{order.access_key}/"


def order_context(order, *, language: str, variables: set[str] | None = None) -> dict:
    """The whitelisted values for one order, in `language` (labels and dates).

    `variables` (from variables_used) lets extenders that fill none of them be skipped.
    """
    from orders.models import OrderStatus, PaymentMethod

    with translation.override(language):
        lines = list(order.lines.all())
        context = {
            "shop_name": settings.NOTIFY_SHOP_NAME,
            "customer_name": (order.customer.name if order.customer_id and order.customer else "")
            or order.shipping_name,
            "order_number": order.number,
            "order_status": (
                str(OrderStatus(order.status).label) if order.status in OrderStatus.values else order.status
            ),
            "items": [
                {
                    "name": line.name,
                    "sku": line.sku,
                    "quantity": line.quantity,
                    "unit_price": format_idr(line.unit_price_amount),
                    "total": format_idr(line.total_amount),
                }
                for line in lines
            ],
            "awaiting_payment": order.status == OrderStatus.AWAITING_PAYMENT,
            "item_count": sum(line.quantity for line in lines),
            "items_total": format_idr(order.subtotal_amount),
            "shipping_cost": format_idr(order.shipping_amount),
            "discount": format_idr(order.discount_amount) if order.discount_amount else "",
            "order_total": format_idr(order.total_amount),
            "order_total_amount": order.total_amount,
            "payment_method": (
                str(PaymentMethod(order.payment_method).label) if order.payment_method in PaymentMethod.values
                else order.payment_method
            ),
            "amount_to_pay": format_idr(order.total_amount),
            "payment_due": _local(order.payment_due_at, "j F Y, H:i"),
            "payment_instructions": "",
            "courier": order.courier,
            "tracking_number": getattr(order, "tracking_number", "") or "",
            "shipping_name": order.shipping_name,
            "shipping_address": order.shipping_address,
            "shipping_city": order.shipping_city,
            "tracking_link": tracking_link(order),
            "placed_at": _local(order.placed_at, "j F Y, H:i"),
        }
        for extender, provides in _extenders:
            if provides is not None and variables is not None and not provides & variables:
                continue
            try:
                extra = extender(order, language) or {}
            except Exception:  # a broken extender must not stop the message
                logger.exception("notification context extender %r failed for order %s", extender, order.pk)
                continue
            context.update({k: v for k, v in extra.items() if k in AVAILABLE_VARIABLES})
    return context


def sample_context(*, language: str) -> dict:
    """A believable order for previews when the shop has no orders yet."""
    with translation.override(language):
        return {
            "shop_name": settings.NOTIFY_SHOP_NAME,
            "customer_name": "Budi Santoso",
            "order_number": "WEB-2611-0042",
            "order_status": str(_("Awaiting payment")),
            "awaiting_payment": True,
            "items": [
                {"name": "Kemeja Batik Parang Lengan Panjang", "sku": "BTK-PRG-L", "quantity": 2,
                 "unit_price": format_idr(325_000), "total": format_idr(650_000)},
                {"name": "Kopi Gayo Arabika 250 g", "sku": "KOPI-GAYO-250", "quantity": 3,
                 "unit_price": format_idr(200_000), "total": format_idr(600_000)},
            ],
            "item_count": 5,
            "items_total": format_idr(1_250_000),
            "shipping_cost": format_idr(18_000),
            "discount": "",
            "order_total": format_idr(1_268_000),
            "order_total_amount": 1_268_000,
            "payment_method": str(_("Bank transfer")),
            "amount_to_pay": format_idr(1_268_123),
            "payment_due": "24 November 2026, 21:00",
            "payment_instructions": (
                "Transfer tepat Rp 1.268.123 (termasuk kode unik 123) ke:\n- BCA 8800123456 a.n. Toko Contoh"
                if language == "id"
                else "Transfer exactly Rp 1.268.123 (including the unique code 123) to:\n- BCA 8800123456, Toko Contoh"
            ),
            "courier": "JNE REG",
            "tracking_number": "JNE0123456789",
            "shipping_name": "Budi Santoso",
            "shipping_address": "Jl. Melati No. 12, Kebayoran Baru",
            "shipping_city": "Jakarta Selatan",
            "tracking_link": f"{settings.SITE_URL}/track/WEB-2611-0042/contoh-kunci-akses/",
            "courier_tracking_link": "https://www.jne.co.id/tracking-package?resi=JNE0123456789",
            "placed_at": "23 November 2026, 10:15",
        }
