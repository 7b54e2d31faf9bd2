"""Dashboard and customer-page forms of the orders app.

Forms validate and turn input into the plain values the services take; they never write.
"""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from channels.models import Channel
from core.forms import MoneyField, bound_numbers
from core.phones import normalize_phone
from core.untrusted import parse_id
from orders.models import OrderStatus, PaymentMethod

# Channels whose orders staff type in by hand (chat, social, shop counter).
MANUAL_CHANNEL_KINDS = (
    Channel.Kind.WHATSAPP,
    Channel.Kind.INSTAGRAM,
    Channel.Kind.FACEBOOK,
    Channel.Kind.OFFLINE,
    Channel.Kind.WEBSITE,
)

PAYMENT_METHOD_CHOICES = PaymentMethod.choices
# A hand-typed order is never paid through a marketplace.
MANUAL_PAYMENT_METHOD_CHOICES = [(v, label) for v, label in PaymentMethod.choices if v != PaymentMethod.MARKETPLACE]

PAGE_SIZES = (25, 50, 100, 200)
MAX_TAGS = 20
MAX_TAG_LENGTH = 40


def _control(widget: forms.Widget, *, small: bool = False) -> forms.Widget:
    css = "form-select" if isinstance(widget, forms.Select) else "form-control"
    if isinstance(widget, forms.CheckboxInput):
        css = "form-check-input"
    if small and css != "form-check-input":
        css += f" {css}-sm"
    widget.attrs.setdefault("class", css)
    return widget


def style_form(form: forms.BaseForm, *, small: bool = False) -> None:
    """Bootstrap classes on every widget, and sane bounds on every whole number (core.forms.bound_numbers)."""
    for field in form.fields.values():
        _control(field.widget, small=small)
    bound_numbers(form)


def parse_tags(raw: str) -> list[str]:
    """`"vip, reseller"` -> ["vip", "reseller"]: trimmed, lower case, unique, in order."""
    tags: list[str] = []
    for part in re.split(r"[,\n]", raw or ""):
        tag = part.strip().lower()
        if not tag:
            continue
        if len(tag) > MAX_TAG_LENGTH:
            raise ValidationError(
                _("Tag %(tag)s is longer than %(max)d characters.") % {"tag": tag[:20] + "…", "max": MAX_TAG_LENGTH}
            )
        if tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise ValidationError(_("At most %(max)d tags.") % {"max": MAX_TAGS})
    return tags


class TagsField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", _("Separate tags with commas."))
        super().__init__(**kwargs)

    def clean(self, value):
        return parse_tags(super().clean(value))


# --- Order list ---------------------------------------------------------------------------------


class OrderFilterForm(forms.Form):
    """The list's search box and filters; `filters()` gives the dict orders.selectors.order_list takes."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    channel = forms.ModelChoiceField(label=_("Channel"), queryset=Channel.objects.none(), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    date_from = forms.DateField(label=_("From date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    payment_method = forms.ChoiceField(label=_("Payment method"), required=False)
    sku = forms.CharField(label=_("SKU"), required=False, max_length=64)
    customer = forms.CharField(label=_("Customer"), required=False, max_length=100)
    tag = forms.CharField(label=_("Tag"), required=False, max_length=MAX_TAG_LENGTH)
    oversold = forms.ChoiceField(
        label=_("Oversold"),
        required=False,
        choices=[("", _("All")), ("1", _("Oversold only")), ("0", _("Not oversold"))],
    )
    queue = forms.ChoiceField(
        label=_("Work queue"),
        required=False,
        choices=[
            ("", _("None")),
            ("to_confirm", _("New orders to confirm")),
            ("to_pack", _("Orders to pack")),
            ("oversold", _("Oversold orders")),
        ],
    )
    per_page = forms.TypedChoiceField(
        label=_("Per page"),
        required=False,
        coerce=int,
        empty_value=PAGE_SIZES[0],
        choices=[(n, str(n)) for n in PAGE_SIZES],
    )

    def __init__(self, *args, channels=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].queryset = channels if channels is not None else Channel.objects.all()
        self.fields["channel"].empty_label = _("All channels")
        self.fields["status"].choices = [("", _("All statuses")), *OrderStatus.choices]
        self.fields["payment_method"].choices = [("", _("All payment methods")), *PAYMENT_METHOD_CHOICES]
        style_form(self, small=True)
        self.fields["q"].widget.attrs["placeholder"] = _("Search orders")

    def clean(self):
        data = super().clean()
        date_from, date_to = data.get("date_from"), data.get("date_to")
        if date_from and date_to and date_from > date_to:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def filters(self) -> dict:
        """The valid filters that were given, in the shape order_list() expects.

        A filter with an error (shown next to it) is left out; the others still apply.
        """
        if not self.is_bound:
            return {}
        self.is_valid()
        data = self.cleaned_data
        result: dict = {}
        for key in ("q", "sku", "status", "payment_method"):
            value = (data.get(key) or "").strip()
            if value:
                result[key] = value
        if (data.get("tag") or "").strip():
            result["tags"] = [data["tag"].strip().lower()]
        customer = (data.get("customer") or "").strip()
        if customer.startswith("#") and parse_id(customer[1:]):
            result["customer"] = parse_id(customer[1:])  # a link from a customer: "#<id>"
        elif customer:
            result["customer"] = customer  # name, e-mail or phone
        if data.get("queue"):
            result["queue"] = data["queue"]
        if data.get("channel"):
            result["channel"] = data["channel"].pk
        for key in ("date_from", "date_to"):
            if data.get(key):
                result[key] = data[key]
        if data.get("oversold") in ("0", "1"):
            result["oversold"] = data["oversold"] == "1"
        return result

    @property
    def page_size(self) -> int:
        if self.is_bound:
            self.is_valid()
            return self.cleaned_data.get("per_page") or PAGE_SIZES[0]
        return PAGE_SIZES[0]


BULK_ACTIONS = [
    ("confirm", _("Confirm")),
    ("pack", _("Mark packed")),
    ("pick_list", _("Print pick list")),
    ("packing_slips", _("Print packing slips")),
    ("export_csv", _("Export CSV")),
    ("export_xlsx", _("Export XLSX")),
]
MAX_BULK_ORDERS = 500


class BulkActionForm(forms.Form):
    action = forms.ChoiceField(label=_("Action"), choices=BULK_ACTIONS)
    order_ids = forms.TypedMultipleChoiceField(coerce=int, required=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any id is a valid choice; the view only acts on orders that exist.
        self.fields["order_ids"].valid_value = lambda value: parse_id(value) is not None
        self.fields["order_ids"].error_messages["required"] = _("Select at least one order.")

    def clean_order_ids(self):
        ids = list(dict.fromkeys(self.cleaned_data["order_ids"]))
        if len(ids) > MAX_BULK_ORDERS:
            raise ValidationError(_("Select at most %(max)d orders at once.") % {"max": MAX_BULK_ORDERS})
        return ids


# --- Order detail actions -----------------------------------------------------------------------


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_form(self)


class TagsForm(forms.Form):
    tags = TagsField(label=_("Tags"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_form(self)


class TransitionForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=500)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_form(self, small=True)


class ResolveOversoldForm(forms.Form):
    """Clear an order's oversold flag: map lines whose SKU matched no product, then reserve or force.

    One `map_<line id>` field per unmapped line of `order` takes the SKU of the product it really is.
    """

    note = forms.CharField(label=_("Note"), required=False, max_length=500)
    force = forms.BooleanField(
        label=_("Accept without stock (e.g. goods bought in outside the system)"), required=False
    )

    def __init__(self, *args, order=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.unmapped = [line for line in order.lines.all() if line.variant_id is None] if order else []
        for line in self.unmapped:
            self.fields[f"map_{line.pk}"] = forms.CharField(
                label=_("Product SKU for %(sku)s") % {"sku": line.sku}, required=False, max_length=64
            )
        self.order_fields(["note", *(f"map_{line.pk}" for line in self.unmapped), "force"])
        style_form(self, small=True)

    def clean(self):
        from catalog.models import ProductVariant

        data = super().clean()
        if data.get("force") and not (data.get("note") or "").strip():
            self.add_error("note", _("Say why the order is accepted without stock."))
        wanted = {line.pk: (data.get(f"map_{line.pk}") or "").strip() for line in self.unmapped}
        skus = {sku for sku in wanted.values() if sku}
        variants = dict(ProductVariant.objects.filter(sku__in=skus).values_list("sku", "pk")) if skus else {}
        data["line_variants"] = {}
        for line_id, sku in wanted.items():
            if not sku:
                continue
            if sku not in variants:
                self.add_error(f"map_{line_id}", _("No product has SKU %(sku)s.") % {"sku": sku})
            else:
                data["line_variants"][line_id] = variants[sku]
        return data


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_form(self, small=True)


class ShipForm(forms.Form):
    courier = forms.CharField(label=_("Courier"), max_length=60)
    tracking_number = forms.CharField(label=_("Tracking number (resi)"), max_length=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_form(self, small=True)


# --- Manual order -------------------------------------------------------------------------------


class ManualOrderForm(forms.Form):
    """A chat/social/offline order typed by staff; the lines come from ManualOrderLineFormSet."""

    channel = forms.ModelChoiceField(label=_("Channel"), queryset=Channel.objects.none())
    customer_phone = forms.CharField(label=_("Customer phone"), max_length=30, required=False)
    customer_name = forms.CharField(label=_("Customer name"), max_length=200)
    customer_email = forms.EmailField(label=_("Customer e-mail"), required=False)
    ship_to_customer = forms.BooleanField(
        label=_("Ship to the customer's name and phone"), required=False, initial=True
    )
    ship_name = forms.CharField(label=_("Recipient name"), max_length=200, required=False)
    ship_phone = forms.CharField(label=_("Recipient phone"), max_length=30, required=False)
    ship_address = forms.CharField(
        label=_("Address"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )
    ship_city = forms.CharField(label=_("City"), max_length=100, required=False)
    ship_province = forms.CharField(label=_("Province"), max_length=100, required=False)
    ship_postal_code = forms.CharField(label=_("Postal code"), max_length=10, required=False)
    shipping_amount = MoneyField(label=_("Shipping cost"), required=False, initial=0)
    discount_amount = MoneyField(label=_("Order discount"), required=False, initial=0)
    payment_method = forms.ChoiceField(
        label=_("Payment method"), choices=MANUAL_PAYMENT_METHOD_CHOICES, initial=PaymentMethod.BANK_TRANSFER
    )
    notes = forms.CharField(label=_("Notes"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    tags = TagsField(label=_("Tags"))
    voucher_code = forms.CharField(label=_("Voucher code"), required=False, max_length=40)
    loyalty_points = forms.IntegerField(label=_("Loyalty points to redeem"), required=False, min_value=0,
                                        max_value=10**9)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].queryset = self.channel_choices()
        self.fields["channel"].empty_label = _("Choose a channel")
        style_form(self)
        self.fields["customer_phone"].widget.attrs.update({"inputmode": "tel", "autocomplete": "off"})
        self.fields["ship_phone"].widget.attrs.update({"inputmode": "tel"})

    @staticmethod
    def channel_choices():
        return Channel.objects.filter(is_active=True, kind__in=MANUAL_CHANNEL_KINDS).order_by("name")

    @staticmethod
    def _phone(value: str, field: str, form: ManualOrderForm) -> str:
        value = (value or "").strip()
        if not value:
            return ""
        try:
            return normalize_phone(value)
        except ValueError:
            form.add_error(field, _("%(value)s is not a valid Indonesian phone number.") % {"value": value})
            return ""

    def clean(self):
        data = super().clean()
        phone_raw = (self.data.get(self.add_prefix("customer_phone")) or "").strip()
        data["customer_phone"] = self._phone(phone_raw, "customer_phone", self)
        if not phone_raw and not data.get("customer_email") and "customer_email" not in self.errors:
            self.add_error("customer_phone", _("Give the customer's phone number or e-mail."))
        if data.get("ship_to_customer"):
            data["ship_name"] = data.get("ship_name") or data.get("customer_name", "")
            data["ship_phone"] = data.get("ship_phone") or data.get("customer_phone", "")
        else:
            data["ship_phone"] = self._phone(data.get("ship_phone", ""), "ship_phone", self)
        has_address = any(
            data.get(f) for f in ("ship_address", "ship_city", "ship_province", "ship_postal_code")
        )
        if has_address:
            if not data.get("ship_address"):
                self.add_error("ship_address", _("Give the street address, or leave every address field empty."))
            if not data.get("ship_name"):
                self.add_error("ship_name", _("Give the recipient's name."))
            if not data.get("ship_phone"):
                self.add_error("ship_phone", _("Give the recipient's phone number."))
        postal = (data.get("ship_postal_code") or "").strip()
        if postal and (not postal.isdigit() or len(postal) != 5):
            self.add_error("ship_postal_code", _("An Indonesian postal code has 5 digits."))
        data["shipping_amount"] = data.get("shipping_amount") or 0
        data["discount_amount"] = data.get("discount_amount") or 0
        return data


class ManualOrderLineForm(forms.Form):
    sku = forms.CharField(label=_("SKU"), max_length=64)
    quantity = forms.IntegerField(label=_("Qty"), min_value=1, max_value=100000, initial=1)
    unit_price_amount = MoneyField(
        label=_("Unit price"), required=False, help_text=_("Empty: the product's price.")
    )
    discount_amount = MoneyField(label=_("Line discount"), required=False, initial=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_form(self, small=True)
        self.fields["sku"].widget.attrs.update({"autocomplete": "off", "class": "form-control form-control-sm sku"})
        self.fields["quantity"].widget.attrs.update({"class": "form-control form-control-sm qty"})
        self.fields["unit_price_amount"].widget.attrs.update({"class": "form-control form-control-sm price"})

    def clean_sku(self):
        return self.cleaned_data["sku"].strip()

    def clean(self):
        data = super().clean()
        data["discount_amount"] = data.get("discount_amount") or 0
        return data


class BaseManualOrderLineFormSet(forms.BaseFormSet):
    # Django's own words ("Please submit at least 1 form.") mean nothing to someone typing an order.
    default_error_messages = {
        **forms.BaseFormSet.default_error_messages,
        "too_few_forms": _("Add at least one product to the order."),
        "too_many_forms": _("An order can have at most %(num)d product lines."),
    }

    def _kept_forms(self) -> list[forms.Form]:
        return [form for form in self.forms if form.cleaned_data and not self._should_delete_form(form)]

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        from catalog.models import ProductVariant

        skus = [form.cleaned_data["sku"] for form in self._kept_forms()]
        known = {
            v.sku: v for v in ProductVariant.objects.filter(sku__in=skus).select_related("product")
        }
        self.variants = known
        for form in self.forms:
            if not form.cleaned_data or self._should_delete_form(form):
                continue
            sku = form.cleaned_data["sku"]
            variant = known.get(sku)
            if variant is None:
                form.add_error("sku", _("No product has SKU %(sku)s.") % {"sku": sku})
            elif not variant.is_active or not variant.product.is_active:
                form.add_error("sku", _("SKU %(sku)s is no longer sold.") % {"sku": sku})
            else:
                line_total = (form.cleaned_data.get("unit_price_amount") or variant.price_amount) * form.cleaned_data[
                    "quantity"
                ]
                if form.cleaned_data["discount_amount"] > line_total:
                    form.add_error("discount_amount", _("The discount is larger than the line total."))

    def lines(self) -> list[dict]:
        return [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not self._should_delete_form(form)
        ]


ManualOrderLineFormSet = forms.formset_factory(
    ManualOrderLineForm,
    formset=BaseManualOrderLineFormSet,
    extra=0,
    min_num=1,
    validate_min=True,
    max_num=100,
    validate_max=True,
    can_delete=True,
)


# --- Customer order-status page ----------------------------------------------------------------


class TrackLookupForm(forms.Form):
    number = forms.CharField(label=_("Order number"), max_length=40)
    contact = forms.CharField(
        label=_("Phone number or e-mail used for the order"),
        max_length=254,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_form(self)
        self.fields["number"].widget.attrs.update({"autocomplete": "off", "autocapitalize": "characters"})
        self.fields["contact"].widget.attrs.update({"autocomplete": "tel email"})

    def clean_number(self):
        return self.cleaned_data["number"].strip()

    def clean_contact(self):
        return self.cleaned_data["contact"].strip()
