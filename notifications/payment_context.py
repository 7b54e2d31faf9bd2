"""Payment instructions for messages, from the payments app (the exact amount with its kode unik,
the shop's bank accounts, the deadline), registered as a rendering context extender.

The customer is always told the exact sum to transfer. A kode unik that raises the amount is named
as such; one that lowers it is explained as "your order total minus N" (never "kode unik -123");
a transfer opened without a code (every code of that amount was taken) asks the customer to write
the order number in the transfer's berita/description, which is how Finance matches it.
"""

from __future__ import annotations

from django.apps import apps
from django.utils import formats, timezone

from core.money import format_idr

PROVIDES = {"payment_instructions", "amount_to_pay", "payment_due"}

_TEXT = {
    "id": {
        "transfer": "Transfer tepat {amount}{code}",
        "to_accounts": " ke salah satu rekening berikut:",
        "code": " (termasuk kode unik {code}, agar pembayaran cepat kami kenali)",
        "lowered": " (total pesanan {base} dikurangi {code}, agar pembayaran cepat kami kenali)",
        "no_code": " dan tulis nomor pesanan {number} di berita/keterangan transfer, agar pembayaran Anda kami kenali",
        "account": "- {bank} {number} a.n. {holder}",
        "proof": "Sudah transfer? Unggah buktinya di halaman status pesanan.",
        "no_account": ". Nomor rekening tujuan ada di halaman status pesanan.",
        "gateway": "Selesaikan pembayaran {method} sebesar {amount} lewat halaman status pesanan.",
        "cod": "Bayar tunai {amount} kepada kurir saat paket tiba.",
    },
    "en": {
        "transfer": "Transfer exactly {amount}{code}",
        "to_accounts": " to one of these accounts:",
        "code": " (including the unique code {code}, so we can recognise your payment quickly)",
        "lowered": " (your order total {base} minus {code}, so we can recognise your payment quickly)",
        "no_code": (" and write the order number {number} in the transfer's description (berita),"
                    " so we can recognise your payment"),
        "account": "- {bank} {number} ({holder})",
        "proof": "Already paid? Upload the transfer receipt on your order status page.",
        "no_account": ". You will find the account to transfer to on your order status page.",
        "gateway": "Complete your {method} payment of {amount} on your order status page.",
        "cod": "Pay {amount} in cash to the courier when the parcel arrives.",
    },
}


def payment_context(order, language: str) -> dict:
    if not apps.is_installed("payments"):
        return {}
    from payments.models import PaymentMethod
    from payments.selectors import payment_instructions_for_order

    info = payment_instructions_for_order(order_id=order.pk)
    if not info:
        return {}
    text = _TEXT.get(language, _TEXT["id"])
    amount = format_idr(info["amount"])
    result = {"amount_to_pay": amount}
    if info.get("expires_at"):
        result["payment_due"] = formats.date_format(timezone.localtime(info["expires_at"]), "j F Y, H:i")
    method = info["method"]
    if method == PaymentMethod.COD:
        result["payment_instructions"] = text["cod"].format(amount=amount)
    elif not info.get("is_open"):
        return result
    elif method == PaymentMethod.BANK_TRANSFER:
        code = _code_text(text, info)
        accounts = info.get("bank_accounts") or []
        first = text["transfer"].format(amount=amount, code=code)
        lines = [first + (text["to_accounts"] if accounts else text["no_account"])]
        lines += [text["account"].format(bank=a.bank, number=a.account_number, holder=a.holder_name)
                  for a in accounts]
        if info.get("can_upload_proof"):
            lines.append(text["proof"])
        result["payment_instructions"] = "\n".join(lines)
    elif method != PaymentMethod.MARKETPLACE:
        result["payment_instructions"] = text["gateway"].format(method=info["method_label"], amount=amount)
    return result


def _code_text(text: dict, info: dict) -> str:
    """How the exact amount came about, in the customer's words."""
    unique_code = info.get("unique_code") or 0
    if info.get("match_by_order_number"):
        return text["no_code"].format(number=info["order_number"])
    if unique_code > 0:
        return text["code"].format(code=unique_code)
    if unique_code < 0:
        return text["lowered"].format(base=format_idr(info["base_amount"]), code=-unique_code)
    return ""
