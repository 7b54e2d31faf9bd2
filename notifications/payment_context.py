"""Payment instructions for messages, from the payments app (the exact amount with its kode unik,
the shop's bank accounts, the deadline), registered as a rendering context extender."""

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
        code = text["code"].format(code=info["unique_code"]) if info.get("unique_code") else ""
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
