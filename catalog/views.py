"""Katalog dashboard pages. Thin: forms validate, catalog.services writes, catalog.selectors reads."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from catalog import forms, selectors, services
from catalog.models import (
    PLATFORM_CHOICES,
    CatalogImport,
    ChannelCatalogSettings,
    Product,
    ProductPhoto,
    ProductVariant,
    StockMovement,
    Warehouse,
)
from catalog.pricing import price_position
from catalog.services import imports
from catalog.services.products import PHOTO_MAX_BYTES
from channels.models import Channel
from core.errors import DomainError
from core.middleware import upload_limit
from core.permissions import staff_required
from core.untrusted import parse_id

PAGE_SIZE = 25
COST_PERMISSION = "catalog.view_variantcosthistory"


def _page(request: HttpRequest, queryset, size: int = PAGE_SIZE):
    return Paginator(queryset, size).get_page(request.GET.get("page"))


def _query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def _form_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


# --- Products -----------------------------------------------------------------------------------


@staff_required("catalog.view_product")
def product_list(request: HttpRequest) -> HttpResponse:
    filters = {key: request.GET.get(key, "").strip() for key in ("q", "category", "brand", "status", "stock")}
    status = {"": "active", "active": "active", "archived": "archived"}.get(filters["status"], "")
    products = selectors.product_list(search=filters["q"], category=filters["category"], brand=filters["brand"],
                                      status=status, stock=filters["stock"])
    return render(request, "catalog/product_list.html", {
        "page": _page(request, products),
        "filters": filters,
        "query": _query_without_page(request),
        "categories": selectors.product_categories(),
        "brands": selectors.product_brands(),
        "stage_key": "catalog",
    })


@staff_required("catalog.view_product")
def product_detail(request: HttpRequest, product_id: int) -> HttpResponse:
    try:
        product = selectors.product_detail(product_id=product_id)
    except Product.DoesNotExist:
        raise Http404 from None
    can_see_costs = request.user.has_perm(COST_PERMISSION)
    settings_map = selectors.channel_settings_map() if can_see_costs else {}
    variants = []
    for variant in product.variants.all():
        variants.append({
            "variant": variant,
            "stock": selectors.variant_stock_summary(variant=variant),
            "margins": selectors.variant_channel_margins(variant=variant, settings_map=settings_map)
            if can_see_costs else [],
        })
    competitors = selectors.competitor_latest(product=product) if can_see_costs else []
    cost_history = []
    if can_see_costs:
        from catalog.models import VariantCostHistory

        cost_history = list(VariantCostHistory.objects.filter(variant__product=product)
                            .select_related("variant", "actor")[:20])
    return render(request, "catalog/product_detail.html", {
        "product": product,
        "variants": variants,
        "photos": list(product.photos.all()),
        "competitors": competitors,
        "position": selectors.product_price_position(product=product) if can_see_costs else None,
        "cost_history": cost_history,
        "can_see_costs": can_see_costs,
        "photo_form": forms.PhotoForm(),
        "listing_form": forms.ListingForm(product=product),
        "stage_key": "catalog",
    })


@staff_required("catalog.add_product")
def product_create(request: HttpRequest) -> HttpResponse:
    form = forms.ProductForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            product = services.product_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Product created. Now add its variants."))
            return redirect("catalog:variant-create", product_id=product.pk)
    return render(request, "catalog/form.html", {"form": form, "title": _("New product"), "stage_key": "catalog",
                                                 "back": reverse("catalog:product-list")})


@staff_required("catalog.change_product")
def product_edit(request: HttpRequest, product_id: int) -> HttpResponse:
    product = get_object_or_404(Product, pk=product_id)
    form = forms.ProductForm(request.POST or None, initial=forms.ProductForm.initial_for(product))
    if request.method == "POST" and form.is_valid():
        try:
            services.product_update(product_id=product.pk, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Product saved."))
            return redirect("catalog:product-detail", product_id=product.pk)
    return render(request, "catalog/form.html", {
        "form": form, "title": _("Edit %(name)s") % {"name": product.name}, "stage_key": "catalog",
        "back": reverse("catalog:product-detail", args=[product.pk]),
    })


@require_POST
@staff_required("catalog.change_product")
def product_archive(request: HttpRequest, product_id: int) -> HttpResponse:
    active = request.POST.get("active") == "1"
    product = services.product_set_active(product_id=product_id, is_active=active, actor=request.user)
    messages.success(request, _("Product restored.") if active else _("Product archived."))
    return redirect("catalog:product-detail", product_id=product.pk)


def _variant_save(request, form, product, variant=None) -> ProductVariant:
    data = form.cleaned_data
    fields = {"sku": data["sku"], "name": data["name"], "barcode": data["barcode"],
              "low_stock_threshold": data["low_stock_threshold"], "is_active": data["is_active"],
              "attributes": form.attributes()}
    can_price = request.user.has_perm("catalog.change_pricing")
    with transaction.atomic():
        if variant is None:
            variant = services.variant_create(
                product_id=product.pk, actor=request.user,
                price_amount=data.get("price_amount", 0) if can_price else 0,
                cost_amount=data.get("cost_amount", 0) if can_price else 0,
                **fields,
            )
        else:
            services.variant_update(variant_id=variant.pk, actor=request.user, **fields)
            if can_price:
                services.variant_price_set(variant_id=variant.pk, price_amount=data["price_amount"],
                                           actor=request.user)
                services.variant_cost_set(variant_id=variant.pk, cost_amount=data["cost_amount"], actor=request.user,
                                          note=data.get("cost_note", ""))
    return variant


@staff_required("catalog.add_productvariant")
def variant_create(request: HttpRequest, product_id: int) -> HttpResponse:
    product = get_object_or_404(Product, pk=product_id)
    can_price = request.user.has_perm("catalog.change_pricing")
    form = forms.VariantForm(request.POST or None, can_price=can_price)
    if request.method == "POST" and form.is_valid():
        try:
            _variant_save(request, form, product)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Variant added."))
            return redirect("catalog:product-detail", product_id=product.pk)
    return render(request, "catalog/form.html", {
        "form": form, "title": _("New variant of %(name)s") % {"name": product.name}, "stage_key": "catalog",
        "back": reverse("catalog:product-detail", args=[product.pk]),
    })


@staff_required("catalog.change_productvariant")
def variant_edit(request: HttpRequest, variant_id: int) -> HttpResponse:
    variant = get_object_or_404(ProductVariant.objects.select_related("product"), pk=variant_id)
    can_price = request.user.has_perm("catalog.change_pricing")
    form = forms.VariantForm(request.POST or None, can_price=can_price, variant=variant,
                             initial=forms.VariantForm.initial_for(variant))
    if request.method == "POST" and form.is_valid():
        try:
            _variant_save(request, form, variant.product, variant)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Variant saved."))
            return redirect("catalog:product-detail", product_id=variant.product_id)
    return render(request, "catalog/form.html", {
        "form": form, "title": _("Edit variant %(sku)s") % {"sku": variant.sku}, "stage_key": "catalog",
        "back": reverse("catalog:product-detail", args=[variant.product_id]),
    })


@require_POST
@staff_required("catalog.change_pricing", "catalog.change_channellisting")
def listing_save(request: HttpRequest, product_id: int) -> HttpResponse:
    product = get_object_or_404(Product, pk=product_id)
    form = forms.ListingForm(request.POST, product=product)
    if form.is_valid():
        data = form.cleaned_data
        variant = data["variant"]
        try:
            services.listing_save(variant_id=variant.pk, channel_id=data["channel"].pk,
                                  price_amount=data["price_amount"], item_id=data["item_id"],
                                  model_id=data["model_id"], is_active=data["is_active"], actor=request.user)
        except ValidationError as exc:
            messages.error(request, "; ".join(exc.messages))
        else:
            messages.success(request, _("Channel listing of %(sku)s saved.") % {"sku": variant.sku})
    else:
        messages.error(request, "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
    return redirect(reverse("catalog:product-detail", args=[product.pk]) + "#channels")


@upload_limit(PHOTO_MAX_BYTES)
@require_POST
@staff_required("catalog.add_productphoto")
def photo_upload(request: HttpRequest, product_id: int) -> HttpResponse:
    product = get_object_or_404(Product, pk=product_id)
    form = forms.PhotoForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.product_photo_add(product_id=product.pk, upload=form.cleaned_data["image"],
                                       alt_text=form.cleaned_data["alt_text"], actor=request.user)
        except ValidationError as exc:
            messages.error(request, "; ".join(exc.messages))
        else:
            messages.success(request, _("Photo added."))
    else:
        messages.error(request, "; ".join(" ".join(v) for v in form.errors.values()))
    return redirect(reverse("catalog:product-detail", args=[product.pk]) + "#photos")


@require_POST
@staff_required("catalog.change_productphoto")
def photo_action(request: HttpRequest, photo_id: int) -> HttpResponse:
    photo = get_object_or_404(ProductPhoto, pk=photo_id)
    action = request.POST.get("action")
    if action in ("up", "down"):
        services.product_photo_move(photo_id=photo.pk, direction=-1 if action == "up" else 1, actor=request.user)
    elif action == "delete" and request.user.has_perm("catalog.delete_productphoto"):
        services.product_photo_delete(photo_id=photo.pk, actor=request.user)
        messages.success(request, _("Photo deleted."))
    return redirect(reverse("catalog:product-detail", args=[photo.product_id]) + "#photos")


# --- Stock --------------------------------------------------------------------------------------


@staff_required("catalog.view_stocklevel")
def stock(request: HttpRequest) -> HttpResponse:
    warehouses = list(selectors.warehouse_list(active_only=True))
    if not warehouses:
        warehouses = [services.warehouse_default()]
    selected = request.GET.get("warehouse")
    warehouse = next((w for w in warehouses if w.code == selected), warehouses[0])
    search = request.GET.get("q", "").strip()
    levels = selectors.warehouse_stock_list(warehouse_id=warehouse.pk, search=search)
    return render(request, "catalog/stock.html", {
        "warehouses": warehouses, "warehouse": warehouse, "q": search,
        "page": _page(request, levels, 50), "query": _query_without_page(request), "stage_key": "catalog",
        "recent": list(selectors.stock_movement_list(warehouse_id=warehouse.pk)[:15])
        if request.user.has_perm("catalog.view_stockmovement") else [],
    })


@staff_required("catalog.view_stockmovement")
def movement_list(request: HttpRequest) -> HttpResponse:
    sku = request.GET.get("sku", "").strip()
    kind = request.GET.get("kind", "")
    kind = kind if kind in StockMovement.Kind.values else ""
    code = request.GET.get("warehouse", "")
    warehouse = Warehouse.objects.filter(code=code).first() if code else None
    movements = selectors.stock_movement_list(sku=sku, kind=kind, warehouse_id=warehouse.pk if warehouse else None,
                                              reference=request.GET.get("reference", "").strip())
    return render(request, "catalog/movement_list.html", {
        "page": _page(request, movements, 50), "query": _query_without_page(request), "sku": sku, "kind": kind,
        "kinds": StockMovement.Kind.choices, "warehouses": selectors.warehouse_list(), "warehouse_code": code,
        "reference": request.GET.get("reference", ""), "stage_key": "catalog",
    })


@staff_required("catalog.adjust_stock")
def stock_adjust(request: HttpRequest) -> HttpResponse:
    """Adjustment, stock count and goods received, one form each, posted with `mode`."""
    mode = request.POST.get("mode") or request.GET.get("mode") or "adjust"
    initial = {"sku": request.GET.get("sku", "")}
    code = request.GET.get("warehouse")
    if code:
        initial["warehouse"] = Warehouse.objects.filter(code=code).first()
    form_classes = {"adjust": forms.StockAdjustForm, "count": forms.StockCountForm, "receive": forms.StockReceiveForm,
                    "transfer": forms.StockTransferForm}
    if mode not in form_classes:
        mode = "adjust"
    bound = {key: cls(request.POST if request.method == "POST" and key == mode else None, initial=initial,
                      prefix=key) for key, cls in form_classes.items()}
    form = bound[mode]
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        variant, warehouse = data["variant"], data["warehouse"]
        try:
            if mode == "adjust":
                services.stock_adjust(variant_id=variant.pk, warehouse_id=warehouse.pk,
                                      quantity_change=data["quantity_change"], reason=data["reason"],
                                      actor=request.user)
            elif mode == "count":
                services.stock_count(variant_id=variant.pk, warehouse_id=warehouse.pk,
                                     counted_quantity=data["counted_quantity"], reason=data["reason"],
                                     actor=request.user)
            elif mode == "transfer":
                services.stock_transfer(variant_id=variant.pk, from_warehouse_id=warehouse.pk,
                                        to_warehouse_id=data["to_warehouse"].pk, quantity=data["quantity"],
                                        reason=data["reason"], actor=request.user)
            else:
                services.stock_receive(variant_id=variant.pk, warehouse_id=warehouse.pk, quantity=data["quantity"],
                                       reference=data["reference"], reason=data["reason"], actor=request.user)
        except DomainError as exc:
            field = getattr(exc, "field", None)
            form.add_error(field if field in form.fields else None, exc.message)
        else:
            summary = selectors.variant_stock_summary(variant_id=variant.pk)
            messages.success(request, _("Stock of %(sku)s saved: %(on_hand)s on hand, %(available)s available.")
                             % {"sku": variant.sku, "on_hand": summary.on_hand, "available": summary.available})
            return redirect(f"{reverse('catalog:stock')}?warehouse={warehouse.code}")
    return render(request, "catalog/stock_adjust.html", {"forms": bound, "mode": mode, "stage_key": "catalog"})


@staff_required("catalog.adjust_stock")
def stock_count_sheet(request: HttpRequest) -> HttpResponse:
    """Stock count (opname) of many SKUs at once: type what is on the shelf, save the whole sheet.

    Only filled-in rows are counted; the sheet is all or nothing (one bad row saves none).
    """
    warehouses = list(selectors.warehouse_list(active_only=True)) or [services.warehouse_default()]
    code = request.POST.get("warehouse") or request.GET.get("warehouse")
    warehouse = next((w for w in warehouses if w.code == code), warehouses[0])
    search = request.GET.get("q", "").strip()
    page = _page(request, selectors.warehouse_stock_list(warehouse_id=warehouse.pk, search=search), 100)
    errors: dict[int, str] = {}
    values: dict[int, str] = {}
    if request.method == "POST":
        reason = request.POST.get("reason", "").strip()[:255] or _("Stock count")
        counts: list[tuple[int, int]] = []
        for key, raw in request.POST.items():
            if not key.startswith("count-") or not raw.strip():
                continue
            try:
                level_id = int(key.removeprefix("count-"))
            except ValueError:
                continue
            values[level_id] = raw.strip()
            try:
                counted = int(raw.strip())
                if counted < 0:
                    raise ValueError
            except ValueError:
                errors[level_id] = _("Enter a whole number of 0 or more.")
                continue
            counts.append((level_id, counted))
        levels = {lvl.pk: lvl for lvl in selectors.warehouse_stock_list(warehouse_id=warehouse.pk).filter(
            pk__in=[level_id for level_id, _c in counts])}
        if not errors:
            with transaction.atomic():
                for level_id, counted in sorted(counts, key=lambda c: levels[c[0]].variant_id if c[0] in levels else 0):
                    level = levels.get(level_id)
                    if level is None:
                        continue
                    try:
                        services.stock_count(variant_id=level.variant_id, warehouse_id=warehouse.pk,
                                             counted_quantity=counted, actor=request.user, reason=reason,
                                             reference=f"opname:{timezone.localdate():%Y%m%d}")
                    except DomainError as exc:
                        errors[level_id] = exc.message
                if errors:
                    transaction.set_rollback(True)
        if not errors:
            messages.success(request, _("Stock count saved for %(n)s SKUs.") % {"n": len(counts)})
            return redirect(f"{reverse('catalog:stock')}?warehouse={warehouse.code}")
        messages.error(request, _("Nothing was saved; fix the marked rows."))
    rows = [{"level": lvl, "value": values.get(lvl.pk, ""), "error": errors.get(lvl.pk)} for lvl in page.object_list]
    return render(request, "catalog/stock_count_sheet.html", {
        "warehouses": warehouses, "warehouse": warehouse, "q": search, "page": page, "rows": rows,
        "query": _query_without_page(request), "has_errors": bool(errors), "stage_key": "catalog",
    })


@staff_required("catalog.view_stocklevel")
def restock(request: HttpRequest) -> HttpResponse:
    form = forms.RestockForm(request.GET or None)
    params = form.cleaned_data if form.is_bound and form.is_valid() else {
        name: field.initial for name, field in forms.RestockForm.base_fields.items()}
    lines = selectors.restock_list(**params)
    return render(request, "catalog/restock.html", {
        "form": form if form.is_bound else forms.RestockForm(initial=params), "lines": lines, "params": params,
        "can_see_costs": request.user.has_perm(COST_PERMISSION), "stage_key": "catalog",
    })


@staff_required("catalog.view_warehouse")
def warehouse_list(request: HttpRequest) -> HttpResponse:
    warehouses = selectors.warehouse_list().annotate(
        sku_count=Count("stock_levels", filter=Q(stock_levels__on_hand__gt=0)),
        on_hand_total=Coalesce(Sum("stock_levels__on_hand"), 0),
        reserved_total=Coalesce(Sum("stock_levels__reserved"), 0),
    )
    return render(request, "catalog/warehouse_list.html", {"warehouses": warehouses, "stage_key": "catalog"})


def _warehouse_form_page(request: HttpRequest, warehouse: Warehouse | None) -> HttpResponse:
    initial = forms.WarehouseForm.initial_for(warehouse) if warehouse else None
    form = forms.WarehouseForm(request.POST or None, warehouse=warehouse, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.warehouse_save(warehouse_id=warehouse.pk if warehouse else None, actor=request.user,
                                    **form.cleaned_data)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Warehouse saved."))
            return redirect("catalog:warehouse-list")
    title = _("Edit %(name)s") % {"name": warehouse.name} if warehouse else _("New warehouse")
    return render(request, "catalog/form.html", {"form": form, "title": title, "stage_key": "catalog",
                                                 "back": reverse("catalog:warehouse-list")})


@staff_required("catalog.add_warehouse")
def warehouse_create(request: HttpRequest) -> HttpResponse:
    return _warehouse_form_page(request, None)


@staff_required("catalog.change_warehouse")
def warehouse_edit(request: HttpRequest, warehouse_id: int) -> HttpResponse:
    return _warehouse_form_page(request, get_object_or_404(Warehouse, pk=warehouse_id))


# --- Market research and channels ---------------------------------------------------------------


@staff_required("catalog.view_competitorprice")
def competitor_list(request: HttpRequest) -> HttpResponse:
    can_add = request.user.has_perm("catalog.add_competitorprice")
    form = forms.CompetitorPriceForm(request.POST or None, initial={"product": request.GET.get("product")})
    if request.method == "POST":
        if not can_add:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.competitor_price_add(
                    product_id=data["product"].pk, competitor=data["competitor"], platform=data["platform"],
                    url=data["url"], price_amount=data["price_amount"], observed_on=data["observed_on"],
                    note=data["note"], actor=request.user,
                )
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("Competitor price recorded."))
                return redirect("catalog:competitor-list")
    search = request.GET.get("q", "").strip()
    records = selectors.competitor_price_list(search=search, platform=request.GET.get("platform", ""))
    page = _page(request, records, 50)
    rows = []
    for record in page.object_list:
        if record.variant_id:
            ours = record.variant.price_amount
        else:
            prices = [v.price_amount for v in record.product.variants.all() if v.is_active and v.price_amount > 0]
            ours = min(prices) if prices else None
        position = price_position(our_price_amount=ours, competitor_amounts=[record.price_amount]) if ours else None
        rows.append({"record": record, "our_price": ours, "position": position})
    return render(request, "catalog/competitor_list.html", {
        "page": page, "rows": rows, "form": form, "can_add": can_add, "q": search,
        "query": _query_without_page(request), "platforms": PLATFORM_CHOICES, "stage_key": "catalog",
    })


@staff_required("catalog.view_channelcatalogsettings")
def channel_settings(request: HttpRequest) -> HttpResponse:
    can_edit = request.user.has_perm("catalog.change_channelcatalogsettings")
    channels = list(Channel.objects.annotate(
        listing_count=Count("listings", filter=Q(listings__is_active=True))).order_by("name"))
    existing = selectors.channel_settings_map()
    rows = []
    saved = False
    for channel in channels:
        instance = existing.get(channel.pk) or ChannelCatalogSettings(channel=channel)
        form = forms.ChannelSettingsForm(
            request.POST if request.method == "POST" and request.POST.get("channel") == str(channel.pk) else None,
            instance=instance, prefix=f"c{channel.pk}",
        )
        if form.is_bound:
            if not can_edit:
                raise PermissionDenied
            if form.is_valid():
                services.channel_settings_save(channel_id=channel.pk, actor=request.user, **form.cleaned_data)
                saved = True
        rows.append({"channel": channel, "form": form, "listings": channel.listing_count})
    if saved:
        messages.success(request, _("Channel settings saved."))
        return redirect("catalog:channel-settings")
    return render(request, "catalog/channel_settings.html", {"rows": rows, "can_edit": can_edit,
                                                             "stage_key": "catalog"})


@staff_required("catalog.view_stockpushattempt")
def push_list(request: HttpRequest) -> HttpResponse:
    failed = request.GET.get("failed") == "1"
    attempts = selectors.stock_push_attempt_list(failed_only=failed)
    return render(request, "catalog/push_list.html", {
        "page": _page(request, attempts, 50), "failed": failed, "query": _query_without_page(request),
        "channels": Channel.objects.filter(is_active=True).order_by("name"), "stage_key": "catalog",
    })


@require_POST
@staff_required("catalog.adjust_stock", "catalog.view_stockpushattempt")
def push_resync(request: HttpRequest) -> HttpResponse:
    channel_id = request.POST.get("channel")
    queued = services.stock_push_all(channel_id=parse_id(channel_id))
    messages.success(request, _("%(n)s listings queued for a stock push.") % {"n": queued})
    return redirect("catalog:push-list")


# --- Import and export --------------------------------------------------------------------------


@upload_limit(imports.MAX_FILE_BYTES)
@staff_required("catalog.import_catalog")
def import_upload(request: HttpRequest) -> HttpResponse:
    form = forms.ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        record = imports.catalog_import_prepare(filename=upload.name, content=upload.read(), actor=request.user)
        return redirect("catalog:import-detail", import_id=record.pk)
    return render(request, "catalog/import.html", {
        "form": form, "columns": imports.COLUMNS,
        "recent": CatalogImport.objects.select_related("created_by")[:10], "stage_key": "catalog",
    })


@staff_required("catalog.import_catalog")
def import_detail(request: HttpRequest, import_id: int) -> HttpResponse:
    record = get_object_or_404(CatalogImport, pk=import_id)
    if request.method == "POST":
        try:
            record = imports.catalog_import_apply(import_id=record.pk, actor=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Import applied."))
        return redirect("catalog:import-detail", import_id=record.pk)
    return render(request, "catalog/import_detail.html", {"record": record, "stage_key": "catalog"})


@staff_required("catalog.import_catalog")
def export(request: HttpRequest, fmt: str) -> HttpResponse:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if fmt == "xlsx":
        response = HttpResponse(
            imports.catalog_export_xlsx(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="katalog-{stamp}.xlsx"'
    elif fmt == "csv":
        response = HttpResponse(imports.catalog_export_csv(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="katalog-{stamp}.csv"'
    elif fmt == "template":
        response = HttpResponse(imports.import_template_csv(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="katalog-template.csv"'
    else:
        raise Http404
    return response
