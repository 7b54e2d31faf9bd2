"""The fast manual order form for chat, social and shop-counter orders, with its htmx lookups."""

from __future__ import annotations

import re

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from catalog.errors import OutOfStock
from catalog.models import ProductVariant
from core.errors import DomainError
from core.permissions import staff_required
from orders import selectors, services
from orders.forms import ManualOrderForm, ManualOrderLineFormSet
from orders.models import Customer, Order

ADD = "orders.add_order"
SEARCH_LIMIT = 10
LAST_CHANNEL_KEY = "orders.manual_channel"


def shortage_messages(exc: OutOfStock) -> list[str]:
    """One readable sentence per short SKU."""
    return [
        _("%(sku)s: you asked for %(requested)d, only %(available)d available.")
        % {"sku": s.sku, "requested": s.requested, "available": max(s.available, 0)}
        for s in getattr(exc, "shortages", [])
    ]


def _create(form: ManualOrderForm, lines_formset, actor):
    data = form.cleaned_data
    shipping = None
    if data.get("ship_address"):
        shipping = services.AddressInput(
            name=data["ship_name"],
            phone=data["ship_phone"],
            address=data["ship_address"],
            city=data.get("ship_city", ""),
            province=data.get("ship_province", ""),
            postal_code=data.get("ship_postal_code", ""),
        )
    return services.order_create(
        channel_id=data["channel"].pk,
        lines=[
            services.LineInput(
                quantity=line["quantity"],
                sku=line["sku"],
                unit_price_amount=line.get("unit_price_amount"),
                discount_amount=line.get("discount_amount") or 0,
            )
            for line in lines_formset.lines()
        ],
        customer=services.CustomerInput(
            name=data["customer_name"], phone=data["customer_phone"], email=data.get("customer_email") or ""
        ),
        shipping=shipping,
        shipping_amount=data["shipping_amount"],
        discount_amount=data["discount_amount"],
        payment_method=data["payment_method"],
        notes=data.get("notes", ""),
        tags=data.get("tags") or None,
        actor=actor,
        source="staff",
        discounts={"voucher": (data.get("voucher_code") or "").strip(), "points": data.get("loyalty_points") or 0},
    )


@staff_required(ADD)
def order_create(request: HttpRequest) -> HttpResponse:
    shortages: list[str] = []
    if request.method == "POST":
        form = ManualOrderForm(request.POST)
        lines = ManualOrderLineFormSet(request.POST, prefix="lines")
        if form.is_valid() and lines.is_valid():
            try:
                order = _create(form, lines, request.user)
            except OutOfStock as exc:
                shortages = shortage_messages(exc)
                _mark_short_lines(lines, exc)
            except ValidationError as exc:
                _add_service_errors(form, lines, exc)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                request.session[LAST_CHANNEL_KEY] = order.channel_id
                messages.success(request, _("Order %(number)s created.") % {"number": order.number})
                if request.POST.get("next") == "another":
                    return redirect("orders:create")
                return redirect("orders:detail", order_id=order.pk)
        status = 400
    else:
        form = ManualOrderForm(initial=_initial(request))
        lines = ManualOrderLineFormSet(prefix="lines")
        status = 200
    return render(
        request,
        "orders/manual_order.html",
        {"form": form, "lines": lines, "shortages": shortages},
        status=status,
    )


def _initial(request: HttpRequest) -> dict:
    """The channel of this agent's last manual order, or the only manual channel there is."""
    choices = ManualOrderForm.channel_choices()
    last = request.session.get(LAST_CHANNEL_KEY)
    ids = list(choices.values_list("pk", flat=True)[:50])
    if last in ids:
        return {"channel": last}
    if len(ids) == 1:
        return {"channel": ids[0]}
    return {}


# Field names in the services' ValidationError -> fields of the manual order form.
_SERVICE_FIELDS = {
    "channel": "channel",
    "name": "customer_name",
    "phone": "customer_phone",
    "email": "customer_email",
    "shipping.name": "ship_name",
    "shipping.phone": "ship_phone",
    "shipping.address": "ship_address",
    "shipping.postal_code": "ship_postal_code",
    "shipping_amount": "shipping_amount",
    "discount_amount": "discount_amount",
    "payment_method": "payment_method",
    "tags": "tags",
    "voucher": "voucher_code",
    "points": "loyalty_points",
}


def _add_service_errors(form: ManualOrderForm, lines, exc: ValidationError) -> None:
    """Show the service's reasons next to the fields they are about."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, " ".join(exc.messages))
        return
    for key, errors in exc.message_dict.items():
        field = _SERVICE_FIELDS.get(key)
        if field in form.fields and field not in form.errors:
            form.add_error(field, errors)
        else:
            form.add_error(None, " ".join(errors))


def _mark_short_lines(lines, exc: OutOfStock) -> None:
    short = {s.sku: s for s in getattr(exc, "shortages", [])}
    for line_form in lines.forms:
        sku = (line_form.cleaned_data or {}).get("sku")
        if sku in short:
            s = short[sku]
            line_form.add_error(
                "quantity", _("Only %(available)d available.") % {"available": max(s.available, 0)}
            )


@staff_required(ADD)
def customer_search(request: HttpRequest) -> HttpResponse:
    """htmx: customers whose phone or name matches what staff typed (phone typed any usual way)."""
    q = (request.GET.get("q") or request.GET.get("customer_phone") or request.GET.get("customer_name") or "").strip()
    customers: list[Customer] = []
    if len(q) >= 3:
        latest_with_address = (
            Order.objects.filter(customer=OuterRef("pk")).exclude(shipping_address="").order_by("-placed_at", "-id")
        )
        customers = list(
            selectors.customer_list(search=q).annotate(
                last_order_id=Subquery(latest_with_address.values("pk")[:1])
            )[:SEARCH_LIMIT]
        )
        # The address of each customer's latest order, so a returning buyer is one click.
        last_orders = Order.objects.in_bulk([c.last_order_id for c in customers if c.last_order_id])
        for customer in customers:
            customer.last_order = last_orders.get(customer.last_order_id)
    return render(request, "orders/manual/_customer_results.html", {"customers": customers, "q": q})


def variant_search_queryset(q: str):
    return (
        ProductVariant.objects.filter(is_active=True, product__is_active=True)
        .filter(Q(sku__icontains=q) | Q(name__icontains=q) | Q(product__name__icontains=q) | Q(barcode=q))
        .select_related("product")
        .annotate(
            on_hand_total=Coalesce(Sum("stock_levels__on_hand"), Value(0)),
            reserved_total=Coalesce(Sum("stock_levels__reserved"), Value(0)),
        )
        .order_by("sku")
    )


@staff_required(ADD)
def variant_search(request: HttpRequest) -> HttpResponse:
    """htmx: variants matching a SKU, barcode or name, with the stock available right now."""
    q, row = (request.GET.get("q") or "").strip(), ""
    for key, value in request.GET.items():
        # The line's own SKU input sends itself as lines-<row>-sku.
        match = re.fullmatch(r"lines-(\d{1,3})-sku", key)
        if match:
            q, row = value.strip(), match.group(1)
            break
    variants = []
    if len(q) >= 2:
        for variant in variant_search_queryset(q)[:SEARCH_LIMIT]:
            variant.available = variant.on_hand_total - variant.reserved_total
            variants.append(variant)
    return render(request, "orders/manual/_variant_results.html", {"variants": variants, "q": q, "row": row})
