"""Money in and out of orders: payments and their history, bank statements, settlements, ledger.

Payments are their own state machine, separate from orders. An order's payment state (unpaid,
partially paid, paid, overpaid, refunded) is derived from its payments and refunds by
`payments.states.derive_order_payment_state`, never stored by hand.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class PaymentMethod(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    VIRTUAL_ACCOUNT = "virtual_account", _("Virtual account")
    EWALLET = "ewallet", _("E-wallet")
    QRIS = "qris", _("QRIS")
    CARD = "card", _("Card")
    COD = "cod", _("Cash on delivery")
    MARKETPLACE = "marketplace", _("Marketplace settled")


GATEWAY_METHODS = {
    PaymentMethod.VIRTUAL_ACCOUNT,
    PaymentMethod.EWALLET,
    PaymentMethod.QRIS,
    PaymentMethod.CARD,
}


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    NEEDS_REVIEW = "needs_review", _("Needs review")
    PAID = "paid", pgettext_lazy("payment", "Paid")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Expired")
    PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")
    REFUNDED = "refunded", _("Refunded")


# The payment lifecycle: one service in payments.services per arrow, nothing ever goes back.
# An expired bank transfer can still receive a late credit: it goes to review, never straight to paid.
ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    PaymentStatus.PENDING: {
        PaymentStatus.PAID,
        PaymentStatus.FAILED,
        PaymentStatus.EXPIRED,
        PaymentStatus.NEEDS_REVIEW,
    },
    PaymentStatus.NEEDS_REVIEW: {PaymentStatus.PAID, PaymentStatus.FAILED, PaymentStatus.REFUNDED},
    PaymentStatus.EXPIRED: {PaymentStatus.NEEDS_REVIEW},
    PaymentStatus.PAID: {PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED},
    PaymentStatus.PARTIALLY_REFUNDED: {PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED},
    PaymentStatus.FAILED: set(),
    PaymentStatus.REFUNDED: set(),
}

OPEN_STATUSES = (PaymentStatus.PENDING, PaymentStatus.NEEDS_REVIEW)
# Statuses in which money has been received and counts for the order.
RECEIVED_STATUSES = (PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED)


class MatchDecision(models.TextChoices):
    """What Finance decides when a credit matched by hand differs from what the payment expects."""

    REFUND = "refund", _("Refund the difference")
    KEEP_CREDIT = "keep_credit", _("Keep as customer credit")
    KEEP_OUTSTANDING = "keep_outstanding", _("Keep the rest outstanding")
    ACCEPT_PAID = "accept_paid", _("Accept as paid")


OVERPAID_DECISIONS = (MatchDecision.REFUND, MatchDecision.KEEP_CREDIT)
UNDERPAID_DECISIONS = (MatchDecision.KEEP_OUTSTANDING, MatchDecision.ACCEPT_PAID)


class OrderPaymentState(models.TextChoices):
    UNPAID = "unpaid", _("Unpaid")
    PARTIALLY_PAID = "partially_paid", _("Partially paid")
    PAID = "paid", pgettext_lazy("payment", "Paid")
    OVERPAID = "overpaid", _("Overpaid")
    REFUNDED = "refunded", _("Refunded")


class BankAccount(models.Model):
    """One of the seller's accounts customers transfer to; statements are imported per account."""

    bank = models.CharField(max_length=40, help_text=_("BCA, Mandiri, BRI..."))
    account_number = models.CharField(max_length=40, unique=True)
    holder_name = models.CharField(max_length=120)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["bank", "account_number"]

    def __str__(self) -> str:
        return f"{self.bank} {self.account_number}"


class Payment(models.Model):
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="payments")
    method = models.CharField(max_length=20, choices=PaymentMethod.choices)
    provider = models.CharField(max_length=20, blank=True, help_text=_("midtrans, xendit, or the marketplace"))
    status = models.CharField(max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.PENDING)
    reference = models.CharField(max_length=64, unique=True, help_text=_("Our payment reference, sent to gateways."))
    # Amounts in whole rupiah. amount = base_amount + unique_code is what we expect to receive. The
    # kode unik raises the amount (+1..+999) and, when those are taken, lowers it (-1..-999).
    base_amount = models.BigIntegerField()
    unique_code = models.SmallIntegerField(default=0)
    amount = models.BigIntegerField()
    # No kode unik was free for this amount: the customer writes the order number in the transfer's
    # description and the statement matcher (and Finance) match by it instead of by amount.
    match_by_order_number = models.BooleanField(default=False)
    received_amount = models.BigIntegerField(default=0)
    fee_amount = models.BigIntegerField(default=0)
    refunded_amount = models.BigIntegerField(default=0)
    provider_reference = models.CharField(max_length=128, blank=True, help_text=_("Gateway transaction id"))
    provider_status = models.CharField(max_length=40, blank=True)
    # The gateway's hosted payment page (Midtrans Snap redirect, Xendit invoice), made on first use.
    checkout_url = models.URLField(max_length=500, blank=True)
    checkout_reference = models.CharField(max_length=128, blank=True, help_text=_("Snap token or invoice id"))
    expires_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # The kode unik backstop: two open bank transfers with a code never expect the same amount
            # (those matched by order number expect the plain amount and may share it).
            models.UniqueConstraint(
                fields=["amount"],
                condition=models.Q(method="bank_transfer", status="pending", match_by_order_number=False),
                name="payment_unique_open_bank_amount",
            ),
            models.CheckConstraint(condition=models.Q(unique_code__gte=-999, unique_code__lte=999),
                                   name="payment_unique_code_within_999"),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="payment_amount_not_negative"),
            models.CheckConstraint(
                condition=models.Q(refunded_amount__lte=models.F("received_amount")),
                name="payment_refund_not_above_received",
            ),
        ]
        # Partial indexes over the open rows only: a payment that becomes paid leaves them, so
        # marking 100,000 payments paid does not write into them (see docs/BENCHMARKS.md).
        indexes = [
            models.Index(fields=["method", "status", "amount"], name="payment_open_method_amount",
                         condition=models.Q(status__in=["pending", "expired"])),
            models.Index(fields=["status"], name="payment_open_status",
                         condition=models.Q(status__in=["pending", "needs_review"])),
            models.Index(fields=["expires_at"], name="payment_open_expires_at",
                         condition=models.Q(status__in=["pending", "expired"])),
        ]
        permissions = [
            ("manage_payments", "Can verify, match and refund payments (money actions)"),
            ("import_statements", "Can import bank statements and settlement reports"),
            ("accept_short_payment", "Can accept less than expected as paid (writes the rest off)"),
        ]

    def __str__(self) -> str:
        return self.reference

    def can_transition_to(self, target: str) -> bool:
        return target in ALLOWED_TRANSITIONS.get(self.status, set())

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def unique_code_abs(self) -> int:
        return abs(self.unique_code)

    @property
    def refundable_amount(self) -> int:
        return self.received_amount - self.refunded_amount


class PaymentEvent(models.Model):
    """Append-only history of a payment: who, when, from which status to which, and why."""

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=40)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              db_index=False)
    source = models.CharField(max_length=40, blank=True, help_text=_("staff, gateway, statement, system, api"))
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.payment_id} {self.kind}"


def _proof_path(instance: PaymentProof, filename: str) -> str:
    return f"payment-proofs/{instance.payment_id}/{filename}"


class PaymentProof(models.Model):
    """A customer's proof of transfer, waiting for Finance to approve or reject it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("To verify")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="proofs")
    file = models.FileField(upload_to=_proof_path)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sender_name = models.CharField(max_length=120, blank=True)
    sender_bank = models.CharField(max_length=60, blank=True)
    declared_amount = models.BigIntegerField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return f"proof {self.pk} for {self.payment_id}"


class StatementImport(models.Model):
    """One uploaded bank statement and the progress of its import (the ImportJob)."""

    class Format(models.TextChoices):
        BCA_BUSINESS = "bca_business", _("BCA business (CSV)")
        BCA_PERSONAL = "bca_personal", _("BCA personal (CSV)")
        MANDIRI = "mandiri", _("Mandiri (Excel or CSV)")
        BRI = "bri", _("BRI (CSV)")
        GENERIC = "generic", _("Generic CSV with column mapping")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        PARSING = "parsing", _("Reading rows")
        MATCHING = "matching", _("Matching")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    bank_account = models.ForeignKey(
        BankAccount, null=True, blank=True, on_delete=models.PROTECT, related_name="imports"
    )
    format = models.CharField(max_length=20, choices=Format.choices)
    column_mapping = models.JSONField(default=dict, blank=True)
    file = models.FileField(upload_to="statements/")
    filename = models.CharField(max_length=255)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    rows_total = models.PositiveIntegerField(default=0)
    rows_parsed = models.PositiveIntegerField(default=0)
    rows_new = models.PositiveIntegerField(default=0)
    rows_duplicate = models.PositiveIntegerField(default=0)
    rows_credit = models.PositiveIntegerField(default=0)
    rows_matched = models.PositiveIntegerField(default=0)
    rows_ambiguous = models.PositiveIntegerField(default=0)
    rows_left = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.status})"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, int(self.rows_parsed * 100 / self.rows_total))


class LineMatch(models.TextChoices):
    UNMATCHED = "unmatched", _("Unmatched")
    MATCHED = "matched", _("Matched automatically")
    MANUAL = "manual", _("Matched by hand")
    SPLIT = "split", _("Split over several payments")
    AMBIGUOUS = "ambiguous", _("Ambiguous")
    NOT_OURS = "not_ours", _("Not ours")
    DEBIT = "debit", _("Debit (ignored)")
    PENDING = "pending", _("Pending at the bank")


class StatementLine(models.Model):
    """One row of a bank statement. `fingerprint` makes a re-imported row a no-op."""

    statement_import = models.ForeignKey(StatementImport, on_delete=models.CASCADE, related_name="lines")
    account = models.CharField(max_length=60, blank=True)
    booked_on = models.DateField(null=True, blank=True, db_index=True)
    description = models.CharField(max_length=500, blank=True)
    amount = models.BigIntegerField()
    is_credit = models.BooleanField()
    is_pending = models.BooleanField(default=False)
    fingerprint = models.CharField(max_length=64, unique=True)
    match_status = models.CharField(max_length=12, choices=LineMatch.choices, default=LineMatch.UNMATCHED)
    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.SET_NULL, related_name="lines")
    matched_at = models.DateTimeField(null=True, blank=True)
    matched_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   db_index=False)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["booked_on", "id"]
        indexes = [
            models.Index(fields=["match_status", "amount"], name="stmtline_open_status_amount",
                         condition=models.Q(match_status__in=["unmatched", "ambiguous"])),
        ]

    def __str__(self) -> str:
        return f"{self.booked_on} {self.amount} {'CR' if self.is_credit else 'DB'}"


class LineAllocation(models.Model):
    """Part of a statement line applied to a payment (a split, or a manual match)."""

    line = models.ForeignKey(StatementLine, on_delete=models.CASCADE, related_name="allocations")
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="allocations")
    amount = models.BigIntegerField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   db_index=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="allocation_amount_positive")]

    def __str__(self) -> str:
        return f"{self.amount} of line {self.line_id} to {self.payment_id}"


class Refund(models.Model):
    class Kind(models.TextChoices):
        CANCELLATION = "cancellation", _("Cancellation")
        RETURN = "return", _("Return")
        OVERPAYMENT = "overpayment", _("Overpayment")
        OTHER = "other", _("Other")

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="refunds")
    amount = models.BigIntegerField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    reason = models.TextField()
    reference = models.CharField(max_length=64, blank=True, help_text=_("Return or cancellation reference"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="refund_amount_positive")]

    def __str__(self) -> str:
        return f"refund {self.amount} on {self.payment_id}"


class Account(models.TextChoices):
    """Chart of accounts of the journal (codes are stable; labels are for people)."""

    BANK = "1100", _("Bank")
    GATEWAY_CLEARING = "1110", _("Payment gateway clearing")
    MARKETPLACE_CLEARING = "1120", _("Marketplace clearing")
    COD_CLEARING = "1130", _("COD with couriers")
    RECEIVABLE = "1200", _("Customer receivables")
    SALES = "4000", _("Sales")
    REFUNDS = "4100", _("Refunds")
    FEES = "6100", _("Payment and marketplace fees")
    SUSPENSE = "2900", _("Unidentified receipts")


ASSET_ACCOUNTS = (Account.BANK, Account.GATEWAY_CLEARING, Account.MARKETPLACE_CLEARING, Account.COD_CLEARING)


class JournalEntry(models.Model):
    """One balanced booking. `key` makes posting idempotent (one receipt entry per payment...)."""

    class Kind(models.TextChoices):
        CHARGE = "charge", _("Amount due")
        CHARGE_REVERSAL = "charge_reversal", _("Amount due cancelled")
        RECEIPT = "receipt", _("Receipt")
        REFUND = "refund", _("Refund")
        PAYOUT = "payout", _("Payout")
        UNIDENTIFIED = "unidentified", _("Unidentified receipt")
        WRITE_OFF = "write_off", _("Short payment accepted")

    key = models.CharField(max_length=80, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    booked_on = models.DateField(db_index=True)
    description = models.CharField(max_length=255, blank=True)
    order = models.ForeignKey("orders.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="entries")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   db_index=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["booked_on", "id"]
        verbose_name_plural = "journal entries"

    def __str__(self) -> str:
        return self.key


class JournalLine(models.Model):
    entry = models.ForeignKey(JournalEntry, on_delete=models.CASCADE, related_name="lines")
    account = models.CharField(max_length=4, choices=Account.choices)
    debit_amount = models.BigIntegerField(default=0)
    credit_amount = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(debit_amount__gte=0, credit_amount__gte=0), name="journal_line_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.debit_amount}/{self.credit_amount}"


class SettlementImport(models.Model):
    """A marketplace settlement (payout) report for one channel."""

    channel = models.ForeignKey("channels.Channel", on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(max_length=255)
    rows_total = models.PositiveIntegerField(default=0)
    rows_new = models.PositiveIntegerField(default=0)
    rows_matched = models.PositiveIntegerField(default=0)
    rows_with_difference = models.PositiveIntegerField(default=0)
    rows_unknown = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.channel_id})"


class SettlementLine(models.Model):
    class Result(models.TextChoices):
        MATCHED = "matched", _("As expected")
        DIFFERENCE = "difference", _("Difference")
        UNKNOWN_ORDER = "unknown_order", _("Unknown order")

    settlement_import = models.ForeignKey(SettlementImport, on_delete=models.CASCADE, related_name="lines")
    channel = models.ForeignKey("channels.Channel", on_delete=models.PROTECT, related_name="+")
    external_order_id = models.CharField(max_length=128, db_index=True)
    order = models.ForeignKey("orders.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    settled_on = models.DateField(null=True, blank=True)
    gross_amount = models.BigIntegerField(default=0)
    commission_amount = models.BigIntegerField(default=0)
    service_fee_amount = models.BigIntegerField(default=0)
    shipping_subsidy_amount = models.BigIntegerField(default=0)
    voucher_amount = models.BigIntegerField(default=0)
    adjustment_amount = models.BigIntegerField(default=0)
    net_amount = models.BigIntegerField(default=0)
    expected_gross_amount = models.BigIntegerField(default=0)
    expected_commission_amount = models.BigIntegerField(default=0)
    result = models.CharField(max_length=16, choices=Result.choices, db_index=True)
    differences = models.JSONField(default=dict, blank=True)
    fingerprint = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.external_order_id} {self.result}"


class CodRemittance(models.Model):
    """One courier remittance of cash collected on delivery."""

    courier = models.CharField(max_length=60, db_index=True)
    reference = models.CharField(max_length=80, blank=True)
    remitted_on = models.DateField()
    filename = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-remitted_on", "-id"]

    def __str__(self) -> str:
        return f"{self.courier} {self.remitted_on}"


class CodRemittanceLine(models.Model):
    class Result(models.TextChoices):
        MATCHED = "matched", _("As expected")
        DIFFERENCE = "difference", _("Difference")
        RETURNED = "returned", _("Returned to sender")
        UNKNOWN = "unknown", _("Unknown shipment")

    remittance = models.ForeignKey(CodRemittance, on_delete=models.CASCADE, related_name="lines")
    resi = models.CharField(max_length=64)
    order = models.ForeignKey("orders.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    collected_amount = models.BigIntegerField(default=0)
    cod_fee_amount = models.BigIntegerField(default=0)
    returned = models.BooleanField(default=False)
    expected_amount = models.BigIntegerField(default=0)
    result = models.CharField(max_length=12, choices=Result.choices)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["resi"], name="cod_line_unique_resi")]

    def __str__(self) -> str:
        return f"{self.resi} {self.result}"
