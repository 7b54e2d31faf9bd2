"""Customer payment pages linked from the order-status page: proof of transfer, gateway checkout."""

from __future__ import annotations

import hmac

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.middleware import upload_limit
from core.ratelimit import Throttled
from payments import conf
from payments.forms import ProofUploadForm
from payments.models import GATEWAY_METHODS, Payment, PaymentMethod, PaymentStatus
from payments.selectors import payment_instructions_for_order
from payments.services.checkout import CheckoutUnavailable, payment_checkout_start
from payments.services.proofs import proof_upload as proof_upload_service


def _order_for(request: HttpRequest, number: str, key: str):
    """The order a customer link names; wrong keys count against the client like /track/ links do
    (core.ratelimit), and past the limit a wrong key is answered 429."""
    from orders.models import Order
    from orders.track_views import LINKS, link_subjects

    allowed = LINKS.attempt(*link_subjects(request))
    order = Order.objects.filter(number=number).first()
    if order is None or not hmac.compare_digest(order.access_key.encode(), key.encode()):
        if not allowed:
            raise Throttled(LINKS.window_seconds)
        raise Http404
    if allowed:
        LINKS.release(*link_subjects(request))
    return order


@upload_limit(conf.proof_max_bytes)
@never_cache
def proof_upload(request: HttpRequest, number: str, key: str) -> HttpResponse:
    order = _order_for(request, number, key)
    payment = (
        Payment.objects.filter(order=order, method=PaymentMethod.BANK_TRANSFER).order_by("-created_at", "-id").first()
    )
    if payment is None:
        raise Http404
    form = ProofUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            proof_upload_service(
                payment_id=payment.pk,
                data=form.cleaned_data["file"].read(),
                sender_name=form.cleaned_data["sender_name"],
                sender_bank=form.cleaned_data["sender_bank"],
                declared_amount=form.cleaned_data["declared_amount"],
            )
        except DomainError as exc:
            form.add_error("file" if "file" in exc.detail else None, exc.message)
        else:
            messages.success(request, _("Thank you! We will check your transfer shortly."))
            return redirect(request.path)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "payments/proof_upload.html",
        {"order": order, "payment": payment, "form": form,
         "instructions": payment_instructions_for_order(order_id=order.pk)},
        status=status,
    )


@never_cache
@require_POST
def checkout_start(request: HttpRequest, number: str, key: str) -> HttpResponse:
    """'Pay now': send the customer to the gateway's page for the order's open online payment."""
    order = _order_for(request, number, key)
    payment = (
        Payment.objects.filter(order=order, method__in=list(GATEWAY_METHODS), status=PaymentStatus.PENDING)
        .order_by("-created_at", "-id").first()
    )
    track_url = reverse("track:order", kwargs={"number": order.number, "key": order.access_key})
    if payment is None:
        messages.info(request, _("This order has no online payment waiting."))
        return redirect(track_url)
    try:
        url = payment_checkout_start(payment_id=payment.pk, finish_url=request.build_absolute_uri(track_url))
    except CheckoutUnavailable:
        messages.error(request, _("Online payment is not available right now. Please try again in a few minutes."))
        return redirect(track_url)
    except DomainError:  # settled or cancelled since the page was shown
        messages.info(request, _("This order has no online payment waiting."))
        return redirect(track_url)
    return redirect(url)
