"""Dashboard pages of shipping (Pengiriman): queues, pick waves, the pack and hand-over scan
stations, shipments, labels, disputes, on-time dispatch, couriers and rates, settings.

Thin: forms validate, services write; the scan stations talk JSON to small endpoints so a
keyboard-wedge scanner never reloads the page.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.permissions import staff_required
from core.untrusted import parse_id
from orders import documents as order_documents
from orders.models import Order, OrderLine
from shipping import documents, forms, selectors
from shipping.models import (
    Courier,
    CourierService,
    Manifest,
    PackagePreset,
    PickWave,
    RateTable,
    Shipment,
    ShipmentDirection,
    ShipmentStatus,
    ShippingRule,
    WeightDispute,
)
from shipping.services import disputes as dispute_services
from shipping.services import handover, packing
from shipping.services import shipments as shipment_services
from shipping.services.deadlines import late_dispatch_rates

VIEW = "shipping.view_shipment"
PACK = "shipping.pack_shipment"
COSTS = "shipping.view_shipping_costs"
RATES = "shipping.manage_rates"
SETTINGS = "shipping.manage_shipping_settings"
S = ShipmentStatus


def _error_text(exc: Exception) -> str:
    if isinstance(exc, DomainError):
        return exc.message
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


def _ids(request: HttpRequest, name: str = "ids") -> list[int]:
    raw = ",".join(request.POST.getlist(name) or request.GET.getlist(name))
    ids = (parse_id(part) for part in raw.replace(" ", ",").split(","))
    return list(dict.fromkeys(i for i in ids if i is not None))[:500]


def _pdf(content: bytes, filename: str, *, download: bool = True) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'{"attachment" if download else "inline"}; filename="{filename}"'
    return response


# --- overview ------------------------------------------------------------------------------------

@staff_required(VIEW)
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "shipping/index.html", {
        "counts": selectors.queue_counts(), "ldr": late_dispatch_rates(),
        "waves": PickWave.objects.filter(status=PickWave.Status.OPEN)[:10],
        "manifests": Manifest.objects.filter(status=Manifest.Status.OPEN).select_related("courier")[:10],
    })


# --- waves ---------------------------------------------------------------------------------------

@staff_required(VIEW, PACK)
def waves(request: HttpRequest) -> HttpResponse:
    """Build a wave from the orders to pick; the list of open and recent waves."""
    if request.method == "POST":
        try:
            wave = packing.wave_create(order_ids=_ids(request), actor=request.user)
        except (DomainError, ValidationError) as exc:
            messages.error(request, _error_text(exc))
            return redirect("shipping:waves")
        messages.success(request, _("Wave %(number)s created.") % {"number": wave.number})
        return redirect("shipping:wave", wave_id=wave.pk)
    to_pick = (selectors.orders_to_pick().select_related("channel").order_by("ship_by", "placed_at")[:300])
    return render(request, "shipping/waves.html", {
        "orders": to_pick, "waves": PickWave.objects.all()[:30], "preselected": set(_ids(request)),
    })


@staff_required(VIEW, PACK)
def wave_detail(request: HttpRequest, wave_id: int) -> HttpResponse:
    wave = get_object_or_404(PickWave, pk=wave_id)
    orders = packing.wave_orders(wave)
    items = order_documents.pick_list(orders)
    fmt = request.GET.get("format")
    if fmt == "pdf":
        return _pdf(order_documents.pick_list_pdf(items, orders), f"pick-{wave.number}.pdf", download=False)
    if fmt == "slips":
        return _pdf(order_documents.packing_slips_pdf(order_documents.packing_slips(orders)),
                    f"packing-{wave.number}.pdf", download=False)
    if request.method == "POST":
        packing.wave_finish(wave_id=wave.pk, actor=request.user)
        messages.success(request, _("Wave %(number)s picked.") % {"number": wave.number})
        return redirect("shipping:pack")
    shipments = {s.order_id: s for s in Shipment.objects.filter(order__in=orders, direction=ShipmentDirection.OUTBOUND)
                 .exclude(status=S.CANCELLED)}
    return render(request, "shipping/wave_detail.html", {
        "wave": wave, "orders": [(o, shipments.get(o.pk)) for o in orders], "items": items,
        "units": sum(i.quantity for i in items), "order_ids": ",".join(str(o.pk) for o in orders),
    })


# --- pack station --------------------------------------------------------------------------------

def _shipment_json(shipment: Shipment) -> dict:
    lines = shipment.lines.select_related("order_line__variant").order_by("id")
    order = shipment.order
    return {
        "id": shipment.pk, "number": shipment.number, "order": order.number, "cod": order.is_cod,
        "recipient": order.shipping_name, "city": order.shipping_city, "courier": shipment.courier_name,
        "notes": order.notes[:200],
        "lines": [{"id": ln.pk, "sku": ln.order_line.sku, "name": ln.order_line.name,
                   "barcode": ln.order_line.variant.barcode if ln.order_line.variant_id else "",
                   "quantity": ln.quantity, "scanned": ln.scanned_quantity, "ticked": bool(ln.ticked_by_id)}
                  for ln in lines],
    }


@staff_required(VIEW, PACK)
def pack(request: HttpRequest) -> HttpResponse:
    return render(request, "shipping/pack.html", {
        "presets": PackagePreset.objects.filter(is_active=True),
        "can_override": request.user.has_perm("shipping.override_pack"),
        "to_pack": selectors.orders_to_pack().order_by("ship_by", "placed_at")[:50],
    })


@require_POST
@staff_required(VIEW, PACK)
def pack_start(request: HttpRequest) -> JsonResponse:
    try:
        shipment = packing.pack_start(code=request.POST.get("code", ""), actor=request.user)
    except (DomainError, ValidationError) as exc:
        return JsonResponse({"ok": False, "message": _error_text(exc)}, status=409)
    return JsonResponse({"ok": True, "message": _("Order %(number)s: scan each item.") % {
        "number": shipment.order.number}, "shipment": _shipment_json(shipment)})


@require_POST
@staff_required(VIEW, PACK)
def pack_scan(request: HttpRequest, shipment_id: int) -> JsonResponse:
    try:
        result = packing.pack_scan_item(shipment_id=shipment_id, code=request.POST.get("code", ""),
                                        actor=request.user)
    except DomainError as exc:
        return JsonResponse({"ok": False, "message": exc.message}, status=404)
    body = {"ok": result.ok, "message": result.message, "complete": result.complete, "line": result.line_id}
    if result.shipment is not None:
        body["shipment"] = _shipment_json(result.shipment)
    return JsonResponse(body, status=200 if result.ok else 409)


@require_POST
@staff_required(VIEW, PACK, "shipping.override_pack")
def pack_tick(request: HttpRequest, line_id: int) -> JsonResponse:
    try:
        line = packing.pack_tick_line(shipment_line_id=line_id, actor=request.user,
                                      reason=request.POST.get("reason", ""))
    except (DomainError, ValidationError) as exc:
        return JsonResponse({"ok": False, "message": _error_text(exc)}, status=409)
    return JsonResponse({"ok": True, "message": _("Line ticked."), "shipment": _shipment_json(line.shipment)})


@require_POST
@staff_required(VIEW, PACK)
def pack_finish(request: HttpRequest, shipment_id: int) -> JsonResponse:
    form = forms.PackFinishForm(request.POST, request.FILES)
    if not form.is_valid():
        return JsonResponse({"ok": False, "message": form.error_text()}, status=400)
    data = form.cleaned_data
    try:
        shipment = packing.pack_finish(
            shipment_id=shipment_id, actor=request.user, preset_id=data["preset"].pk if data["preset"] else None,
            weight_grams=data["weight_grams"], length_cm=data["length_cm"] or 0, width_cm=data["width_cm"] or 0,
            height_cm=data["height_cm"] or 0, photo=data.get("photo"))
    except (DomainError, ValidationError) as exc:
        return JsonResponse({"ok": False, "message": _error_text(exc)}, status=409)
    return JsonResponse({"ok": True, "message": _("Order %(number)s packed.") % {"number": shipment.order.number},
                         "label_url": f"{_url('shipping:labels')}?ids={shipment.pk}"})


def _url(name: str, **kwargs) -> str:
    from django.urls import reverse

    return reverse(name, kwargs=kwargs or None)


# --- labels --------------------------------------------------------------------------------------

@staff_required(VIEW, PACK)
def labels(request: HttpRequest) -> HttpResponse:
    """Labels of the given shipments (`ids`) or of the orders (`orders`): PDF (thermal or A6) or ZPL.

    Orders without a parcel get one; marketplace orders with their own document use it when stored.
    """
    shipment_ids = _ids(request)
    for order_id in _ids(request, "orders"):
        existing = (Shipment.objects.filter(order_id=order_id, direction=ShipmentDirection.OUTBOUND)
                    .exclude(status=S.CANCELLED).order_by("id").first())
        if existing is None:
            try:
                existing = shipment_services.shipment_create(order_id=order_id, actor=request.user)
            except (DomainError, ValidationError) as exc:
                messages.error(request, _error_text(exc))
                return redirect(request.META.get("HTTP_REFERER") or "shipping:list")
        shipment_ids.append(existing.pk)
    if not shipment_ids:
        messages.error(request, _("Select the parcels to print."))
        return redirect("shipping:list")
    rows = list(Shipment.objects.filter(pk__in=shipment_ids).select_related(
        "order", "order__channel", "courier", "service").prefetch_related("lines__order_line"))
    rows.sort(key=lambda s: shipment_ids.index(s.pk))
    cfg = selectors.shipping_settings()
    try:
        data = [documents.label_data(s, cfg=cfg) for s in rows]
        fmt = request.GET.get("format") or cfg.label_format
        if fmt == "zpl":
            content = documents.labels_zpl(data)
            response = HttpResponse(content, content_type="text/plain; charset=utf-8")
            response["Content-Disposition"] = 'attachment; filename="labels.zpl"'
        else:
            response = _pdf(documents.labels_pdf(data, fmt=fmt), "labels.pdf")
    except documents.LabelError as exc:
        messages.error(request, exc.message)
        return redirect(request.META.get("HTTP_REFERER") or "shipping:list")
    Shipment.objects.filter(pk__in=[s.pk for s in rows], label_printed_at__isnull=True).update(
        label_printed_at=timezone.now())
    return response


# --- hand-over -----------------------------------------------------------------------------------

@staff_required(VIEW, PACK)
def handover_index(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        courier_id = request.POST.get("courier") or None
        try:
            manifest = handover.manifest_open(courier_id=parse_id(courier_id), actor=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("shipping:handover")
        return redirect("shipping:manifest", manifest_id=manifest.pk)
    return render(request, "shipping/handover.html", {
        "couriers": Courier.objects.filter(is_active=True),
        "manifests": Manifest.objects.select_related("courier").prefetch_related("items")[:30],
    })


@staff_required(VIEW, PACK)
def manifest_detail(request: HttpRequest, manifest_id: int) -> HttpResponse:
    manifest = get_object_or_404(Manifest.objects.select_related("courier"), pk=manifest_id)
    items = list(manifest.items.select_related("shipment__order").order_by("-scanned_at", "-id"))
    if request.GET.get("format") == "pdf":
        return _pdf(documents.manifest_pdf(manifest, list(reversed(items))), f"{manifest.number}.pdf")
    if request.method == "POST":
        try:
            handover.manifest_close(manifest_id=manifest.pk, driver_name=request.POST.get("driver_name", ""),
                                    actor=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Manifest %(number)s closed: print it for the courier to sign.")
                             % {"number": manifest.number})
        return redirect("shipping:manifest", manifest_id=manifest.pk)
    return render(request, "shipping/manifest.html", {"manifest": manifest, "items": items})


@require_POST
@staff_required(VIEW, PACK)
def manifest_scan(request: HttpRequest, manifest_id: int) -> JsonResponse:
    try:
        result = handover.manifest_scan(manifest_id=manifest_id, code=request.POST.get("code", ""),
                                        actor=request.user)
    except DomainError as exc:
        return JsonResponse({"ok": False, "message": exc.message}, status=404)
    body = {"ok": result.ok, "message": result.message, "count": result.count}
    if result.ok and result.shipment is not None:
        body["item"] = {"resi": result.shipment.tracking_number, "order": result.shipment.order.number,
                        "recipient": result.shipment.order.shipping_name,
                        "time": timezone.localtime().strftime("%H:%M")}
    return JsonResponse(body, status=200 if result.ok else 409)


# --- shipments -----------------------------------------------------------------------------------

@staff_required(VIEW)
def shipment_list(request: HttpRequest) -> HttpResponse:
    form = forms.ShipmentFilterForm(request.GET)
    filters = form.cleaned_data if form.is_valid() else {}
    queue = filters.get("queue") or ""
    qs = selectors.shipment_list(status=filters.get("status") or "", courier=filters.get("courier") or "",
                                 search=filters.get("q") or "", queue=queue,
                                 direction=filters.get("direction") or "")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "shipping/shipment_list.html", {"form": form, "page": page, "queue": queue,
                                                           "query": request.GET.urlencode()})


@staff_required(VIEW)
def shipment_detail(request: HttpRequest, shipment_id: int) -> HttpResponse:
    try:
        shipment = selectors.shipment_detail(shipment_id=shipment_id)
    except Shipment.DoesNotExist:
        raise Http404 from None
    can_pack = request.user.has_perm(PACK)
    return render(request, "shipping/shipment_detail.html", {
        "shipment": shipment, "can_pack": can_pack, "can_costs": request.user.has_perm(COSTS),
        "resi_form": forms.ResiForm(initial={"courier": shipment.courier_id}),
        "status_form": forms.StatusForm(shipment=shipment),
        "cancel_form": forms.ReasonForm(), "dispute_form": forms.DisputeForm(),
        "book_form": forms.BookForm(shipment=shipment) if shipment.status == S.CREATED else None,
        "tracking_url": selectors.tracking_url(shipment),
    })


@require_POST
@staff_required(VIEW, PACK)
def shipment_action(request: HttpRequest, shipment_id: int, action: str) -> HttpResponse:
    """The staff actions on one parcel; each calls one service and says what happened."""
    shipment = get_object_or_404(Shipment, pk=shipment_id)
    try:
        if action == "resi":
            form = forms.ResiForm(request.POST)
            if not form.is_valid():
                raise ValidationError(form.error_text())
            shipment_services.shipment_set_resi(
                shipment_id=shipment.pk, tracking_number=form.cleaned_data["tracking_number"],
                courier_id=form.cleaned_data["courier"].pk if form.cleaned_data["courier"] else None,
                actor=request.user)
            messages.success(request, _("Resi saved."))
        elif action == "status":
            form = forms.StatusForm(request.POST, shipment=shipment)
            if not form.is_valid():
                raise ValidationError(form.error_text())
            forms.STATUS_SERVICES[form.cleaned_data["status"]](shipment_id=shipment.pk, actor=request.user,
                                                              note=form.cleaned_data["note"])
            messages.success(request, _("Status updated."))
        elif action == "cancel":
            form = forms.ReasonForm(request.POST)
            if not form.is_valid():
                raise ValidationError(form.error_text())
            shipment_services.shipment_cancel(shipment_id=shipment.pk, actor=request.user,
                                              reason=form.cleaned_data["reason"])
            messages.success(request, _("Shipment cancelled."))
        elif action == "receive-return":
            shipment_services.shipment_receive_return(shipment_id=shipment.pk, actor=request.user,
                                                      note=request.POST.get("note", ""))
            messages.success(request, _("Return received; the goods are back in stock."))
        elif action == "book":
            form = forms.BookForm(request.POST, shipment=shipment)
            if not form.is_valid():
                raise ValidationError(form.error_text())
            from shipping.services.bookings import shipment_book

            shipment_book(shipment_id=shipment.pk, account_id=form.cleaned_data["account"].pk,
                          service_id=form.cleaned_data["service"].pk, quoted_amount=form.cleaned_data["price"] or 0,
                          destination_area_id=form.cleaned_data["area_id"],
                          destination_kecamatan_id=form.cleaned_data["kecamatan_id"], actor=request.user)
            messages.success(request, _("Booked with the courier."))
        elif action == "marketplace-doc":
            from shipping.services.marketplace_docs import marketplace_document_fetch

            marketplace_document_fetch(shipment_id=shipment.pk, actor=request.user)
            messages.success(request, _("The marketplace's shipping document is ready."))
        elif action == "dispute" and request.user.has_perm(COSTS):
            form = forms.DisputeForm(request.POST)
            if not form.is_valid():
                raise ValidationError(form.error_text())
            dispute_services.dispute_open_manual(shipment_id=shipment.pk, actor=request.user,
                                                 charged_amount=form.cleaned_data["charged_amount"],
                                                 charged_weight_grams=form.cleaned_data["charged_weight_grams"] or 0,
                                                 note=form.cleaned_data["note"])
            messages.success(request, _("Dispute opened."))
        else:
            raise Http404
    except (DomainError, ValidationError) as exc:
        messages.error(request, _error_text(exc))
    return redirect("shipping:detail", shipment_id=shipment.pk)


@staff_required(VIEW, PACK)
def marketplace_document(request: HttpRequest, shipment_id: int) -> HttpResponse:
    shipment = get_object_or_404(Shipment, pk=shipment_id)
    if not shipment.marketplace_document:
        raise Http404
    with shipment.marketplace_document.open("rb") as handle:
        return _pdf(handle.read(), f"{shipment.number}-marketplace.pdf")


# --- disputes, on-time ---------------------------------------------------------------------------

@staff_required(VIEW, COSTS)
def disputes(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        try:
            dispute_services.dispute_resolve(dispute_id=int(request.POST.get("dispute", 0) or 0),
                                             won=request.POST.get("outcome") == "won", actor=request.user,
                                             note=request.POST.get("note", "")[:500])
        except (DomainError, ValueError) as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(request, _("Dispute closed."))
        return redirect("shipping:disputes")
    rows = WeightDispute.objects.select_related("shipment__order", "shipment__courier")[:200]
    return render(request, "shipping/disputes.html", {"disputes": rows})


@staff_required(VIEW)
def on_time(request: HttpRequest) -> HttpResponse:
    return render(request, "shipping/on_time.html", {"ldr": late_dispatch_rates(),
                                                      "recent": selectors.on_time_recent()})


# --- couriers, rates, settings --------------------------------------------------------------------

@staff_required("shipping.view_courier")
def couriers(request: HttpRequest) -> HttpResponse:
    can_manage = request.user.has_perm(RATES)
    import_form = forms.RateImportForm()
    if request.method == "POST" and can_manage:
        if request.POST.get("form") == "import":
            import_form = forms.RateImportForm(request.POST, request.FILES)
            if import_form.is_valid():
                from shipping.services.rate_import import RateImportError, rate_table_import

                upload = import_form.cleaned_data["file"]
                try:
                    table = rate_table_import(name=import_form.cleaned_data["name"],
                                              origin_city=import_form.cleaned_data["origin_city"],
                                              filename=upload.name, content=upload.read(), actor=request.user)
                except RateImportError as exc:
                    import_form.add_error(None, exc.message)
                    for error in exc.errors:
                        import_form.add_error(None, str(error))
                else:
                    messages.success(request, _("Rate table %(name)s imported: %(n)s rates.")
                                     % {"name": table.name, "n": table.row_count})
                    return redirect("shipping:couriers")
        elif request.POST.get("form") == "service":
            service = get_object_or_404(CourierService, pk=request.POST.get("service"))
            form = forms.ServiceForm(request.POST, instance=service)
            if form.is_valid():
                form.save()
                messages.success(request, _("Service %(name)s saved.") % {"name": service})
            else:
                messages.error(request, form.error_text())
            return redirect("shipping:couriers")
    if request.GET.get("template") == "csv":
        from shipping.services.rate_import import TEMPLATE_CSV

        response = HttpResponse(TEMPLATE_CSV, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="rate-template.csv"'
        return response
    return render(request, "shipping/couriers.html", {
        "couriers": Courier.objects.prefetch_related(
            Prefetch("services", queryset=CourierService.objects.order_by("code"))),
        "tables": RateTable.objects.all()[:20], "rules": ShippingRule.objects.all(),
        "presets": PackagePreset.objects.all(), "import_form": import_form, "can_manage": can_manage,
    })


@staff_required(SETTINGS)
def settings_page(request: HttpRequest) -> HttpResponse:
    cfg = selectors.shipping_settings()
    form = forms.SettingsForm(request.POST or None, instance=cfg)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Shipping settings saved."))
        return redirect("shipping:settings")
    return render(request, "shipping/settings.html", {"form": form})


@staff_required(VIEW)
def order_quote(request: HttpRequest, order_id: int) -> HttpResponse:
    """The options for an order's parcel, cheapest first (or fastest with ?sort=eta)."""
    from shipping.services.rates import order_quote as quote_for

    order = get_object_or_404(Order.objects.select_related("channel").prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.select_related("variant__product"))), pk=order_id)
    sort = "eta" if request.GET.get("sort") == "eta" else "price"
    try:
        result = quote_for(order=order, live=request.GET.get("live") == "1", sort=sort)
        error = ""
    except ValueError as exc:
        result, error = None, str(exc)
    return render(request, "shipping/quote.html", {"order": order, "quote": result, "error": error, "sort": sort})
