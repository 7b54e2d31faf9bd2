"""Gateway checkout: the hosted page where a customer pays a VA, e-wallet, QRIS or card payment.

Made on the customer's first ask (Midtrans Snap, Xendit invoice), never inside the order's
transaction, stored on the payment and reused; the page's reference is our payment reference, so
the callbacks (services.gateways) find it. Midtrans refuses an order_id it has seen, so a page
made but not stored is asked again as `<reference>~2`, `~3` (the callback side strips the suffix).
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass
from datetime import timedelta

import requests
from django.db import transaction
from django.utils import timezone

from core.errors import Conflict, DomainError, NotFound
from payments import conf
from payments.models import GATEWAY_METHODS, Payment, PaymentMethod, PaymentStatus
from payments.services.transitions import payment_event_write

logger = logging.getLogger(__name__)

TIMEOUT = (5, 20)  # connect, read (seconds)
MIDTRANS_ATTEMPT_SEPARATOR = "~"
MAX_MIDTRANS_ATTEMPTS = 3
# Which Snap payment channels each of our methods shows; all of them when a method is not listed.
MIDTRANS_ENABLED_PAYMENTS = {
    PaymentMethod.VIRTUAL_ACCOUNT: ["bca_va", "bni_va", "bri_va", "permata_va", "cimb_va", "echannel", "other_va"],
    PaymentMethod.EWALLET: ["gopay", "shopeepay"],
    PaymentMethod.QRIS: ["other_qris"],
    PaymentMethod.CARD: ["credit_card"],
}
XENDIT_PAYMENT_METHODS = {
    PaymentMethod.VIRTUAL_ACCOUNT: ["BCA", "BNI", "BRI", "MANDIRI", "PERMATA", "BSI", "CIMB"],
    PaymentMethod.EWALLET: ["OVO", "DANA", "SHOPEEPAY", "LINKAJA"],
    PaymentMethod.QRIS: ["QRIS"],
    PaymentMethod.CARD: ["CREDIT_CARD"],
}


class CheckoutUnavailable(DomainError):
    """The gateway could not make the payment page now (down, refused, misconfigured)."""


@dataclass(frozen=True)
class CheckoutPage:
    url: str
    reference: str


def _basic_auth(secret: str) -> str:
    return "Basic " + base64.b64encode(f"{secret}:".encode()).decode()


def _minutes_left(payment: Payment) -> int:
    if payment.expires_at is None:
        return 24 * 60
    return max(int((payment.expires_at - timezone.now()) / timedelta(minutes=1)), 1)


def _customer(payment: Payment) -> tuple[str, str, str]:
    order = payment.order
    customer = order.customer
    name = (customer.name if customer else "") or order.shipping_name or "Pelanggan"
    email = customer.email if customer else ""
    phone = (customer.phone if customer else "") or order.shipping_phone
    return name[:50], email, phone


def _midtrans_order_id(payment: Payment, attempt: int) -> str:
    return payment.reference if attempt == 1 else f"{payment.reference}{MIDTRANS_ATTEMPT_SEPARATOR}{attempt}"


def _midtrans_create(payment: Payment, *, finish_url: str) -> CheckoutPage:
    server_key = conf.midtrans_server_key()
    if not server_key:
        raise CheckoutUnavailable("Online payment is not configured (MIDTRANS_SERVER_KEY).")
    name, email, phone = _customer(payment)
    start = timezone.localtime(timezone.now())
    body = {
        "transaction_details": {"gross_amount": int(payment.amount)},
        "customer_details": {"first_name": name, **({"email": email} if email else {}),
                             **({"phone": phone} if phone else {})},
        "expiry": {"start_time": start.strftime("%Y-%m-%d %H:%M:%S %z"), "unit": "minutes",
                   "duration": _minutes_left(payment)},
    }
    if payment.method in MIDTRANS_ENABLED_PAYMENTS:
        body["enabled_payments"] = MIDTRANS_ENABLED_PAYMENTS[payment.method]
    if finish_url:
        body["callbacks"] = {"finish": finish_url}
    url = f"{conf.midtrans_snap_base_url()}/snap/v1/transactions"
    headers = {"Authorization": _basic_auth(server_key), "Accept": "application/json"}
    for attempt in range(1, MAX_MIDTRANS_ATTEMPTS + 1):
        body["transaction_details"]["order_id"] = _midtrans_order_id(payment, attempt)
        response = _post(url, body, headers)
        data = _json(response)
        if response.status_code in (200, 201) and data.get("redirect_url") and data.get("token"):
            return CheckoutPage(url=data["redirect_url"], reference=data["token"])
        messages = " ".join(str(m) for m in data.get("error_messages") or [])
        if response.status_code in (400, 406) and "order_id" in messages:
            continue  # made earlier but never stored: ask again under the next attempt's id
        raise CheckoutUnavailable(f"Midtrans refused the payment page ({response.status_code}): {messages[:200]}")
    raise CheckoutUnavailable("Midtrans refused every order id for this payment; contact the shop.")


def _xendit_create(payment: Payment, *, finish_url: str) -> CheckoutPage:
    secret_key = conf.xendit_secret_key()
    if not secret_key:
        raise CheckoutUnavailable("Online payment is not configured (XENDIT_SECRET_KEY).")
    name, email, phone = _customer(payment)
    body = {
        # Xendit accepts a repeated external_id, so a retry needs no new reference.
        "external_id": payment.reference,
        "amount": int(payment.amount),
        "currency": "IDR",
        "description": f"Pesanan {payment.order.number}",
        "invoice_duration": _minutes_left(payment) * 60,
        "customer": {"given_names": name, **({"email": email} if email else {}),
                     **({"mobile_number": phone} if phone else {})},
    }
    if payment.method in XENDIT_PAYMENT_METHODS:
        body["payment_methods"] = XENDIT_PAYMENT_METHODS[payment.method]
    if finish_url:
        body["success_redirect_url"] = body["failure_redirect_url"] = finish_url
    response = _post(f"{conf.xendit_api_base_url()}/v2/invoices", body, {"Authorization": _basic_auth(secret_key)})
    data = _json(response)
    if response.status_code in (200, 201) and data.get("invoice_url") and data.get("id"):
        return CheckoutPage(url=data["invoice_url"], reference=data["id"])
    raise CheckoutUnavailable(
        f"Xendit refused the payment page ({response.status_code}): {str(data.get('message', ''))[:200]}"
    )


def _post(url: str, body: dict, headers: dict) -> requests.Response:
    try:
        return requests.post(url, json=body, headers=headers, timeout=TIMEOUT)
    except requests.RequestException as exc:
        logger.warning("gateway checkout: %s unreachable: %s", url, exc)
        raise CheckoutUnavailable("The payment gateway cannot be reached right now; try again in a moment.") from exc


def _json(response: requests.Response) -> dict:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


CREATORS = {"midtrans": _midtrans_create, "xendit": _xendit_create}


def payment_checkout_start(*, payment_id: int, finish_url: str = "") -> str:
    """The URL of the gateway page where the customer pays this payment; made on first use.

    Raises NotFound, DomainError for a payment that is not paid through a gateway, Conflict for one
    no longer waiting for money, and CheckoutUnavailable when the gateway cannot make the page.
    The network call runs outside any transaction and lock; two customers' clicks at once may make
    two pages at the gateway, and the first one stored is the one every later click gets.
    """
    payment = Payment.objects.select_related("order", "order__customer").filter(pk=payment_id).first()
    if payment is None:
        raise NotFound(f"Payment {payment_id} does not exist.")
    if payment.method not in GATEWAY_METHODS:
        raise DomainError("This payment is not paid through the online gateway.", detail={"method": payment.method})
    if payment.status != PaymentStatus.PENDING:
        raise Conflict("This payment is no longer waiting for money.", detail={"status": payment.status})
    if payment.checkout_url:
        return payment.checkout_url
    provider = payment.provider or conf.gateway_provider()
    if provider not in CREATORS:
        raise CheckoutUnavailable(f"Unknown payment gateway {provider!r}.")
    page = CREATORS[provider](payment, finish_url=finish_url)
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment_id)
        if locked.checkout_url:
            return locked.checkout_url
        locked.checkout_url, locked.checkout_reference = page.url[:500], page.reference[:128]
        locked.save(update_fields=["checkout_url", "checkout_reference", "updated_at"])
        payment_event_write(locked, "checkout", locked.status, locked.status, actor=None, source=provider,
                            note="Payment page made", data={"checkout_reference": locked.checkout_reference})
    return page.url
