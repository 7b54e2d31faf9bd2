"""Dashboard forms. They validate input; catalog.services does the writing."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import PLATFORM_CHOICES, ChannelCatalogSettings, Product, ProductVariant, Warehouse
from channels.models import Channel
from core.forms import MoneyField, bound_numbers


class StyledForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")
        bound_numbers(self)


class ProductForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=255)
    category = forms.CharField(label=_("Category"), max_length=120, required=False)
    brand = forms.CharField(label=_("Brand"), max_length=120, required=False)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    video_url = forms.URLField(label=_("Video URL"), required=False, assume_scheme="https")
    weight_grams = forms.IntegerField(label=_("Weight (grams)"), min_value=0, initial=0)
    length_cm = forms.IntegerField(label=_("Length (cm)"), min_value=0, initial=0)
    width_cm = forms.IntegerField(label=_("Width (cm)"), min_value=0, initial=0)
    height_cm = forms.IntegerField(label=_("Height (cm)"), min_value=0, initial=0)

    @classmethod
    def initial_for(cls, product: Product) -> dict:
        return {name: getattr(product, name) for name in cls.base_fields}


class VariantForm(StyledForm):
    sku = forms.CharField(label=_("SKU"), max_length=64)
    name = forms.CharField(label=_("Variant name"), max_length=255, required=False,
                           help_text=_("e.g. 'Merah / XL'"))
    size = forms.CharField(label=_("Size"), max_length=40, required=False)
    colour = forms.CharField(label=_("Colour"), max_length=40, required=False)
    barcode = forms.CharField(label=_("Barcode"), max_length=64, required=False)
    low_stock_threshold = forms.IntegerField(label=_("Low-stock threshold"), min_value=0, initial=0)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    price_amount = MoneyField(label=_("Base price (Rp)"), initial=0)
    cost_amount = MoneyField(label=_("Cost of goods, HPP (Rp)"), initial=0)
    cost_note = forms.CharField(label=_("Why the cost changed"), max_length=255, required=False)

    def __init__(self, *args, can_price: bool = True, variant: ProductVariant | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.variant = variant
        if not can_price:
            for name in ("price_amount", "cost_amount", "cost_note"):
                del self.fields[name]

    def clean_sku(self):
        sku = self.cleaned_data["sku"].strip()
        if " " in sku:
            raise forms.ValidationError(_("A SKU cannot contain spaces."))
        taken = ProductVariant.objects.filter(sku__iexact=sku)
        if self.variant is not None:
            taken = taken.exclude(pk=self.variant.pk)
        if taken.exists():
            raise forms.ValidationError(_("Another variant already uses this SKU."))
        return sku

    @classmethod
    def initial_for(cls, variant: ProductVariant) -> dict:
        attrs = variant.attributes or {}
        return {
            "sku": variant.sku, "name": variant.name, "size": attrs.get("size", ""), "colour": attrs.get("colour", ""),
            "barcode": variant.barcode, "low_stock_threshold": variant.low_stock_threshold,
            "is_active": variant.is_active, "price_amount": variant.price_amount, "cost_amount": variant.cost_amount,
        }

    def attributes(self) -> dict:
        attrs = dict(self.variant.attributes or {}) if self.variant else {}
        for key in ("size", "colour"):
            value = self.cleaned_data.get(key, "").strip()
            if value:
                attrs[key] = value
            else:
                attrs.pop(key, None)
        return attrs


class ListingForm(StyledForm):
    variant = forms.ModelChoiceField(label=_("Variant"), queryset=ProductVariant.objects.none(), empty_label=None)
    channel = forms.ModelChoiceField(label=_("Channel"), queryset=Channel.objects.filter(is_active=True))
    price_amount = MoneyField(label=_("Channel price (Rp)"), required=False, help_text=_("Empty: use the base price."))
    item_id = forms.CharField(label=_("Marketplace item id"), max_length=64, required=False)
    model_id = forms.CharField(label=_("Marketplace model id"), max_length=64, required=False)
    is_active = forms.BooleanField(label=_("Listed"), required=False, initial=True)

    def __init__(self, *args, product: Product, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["variant"].queryset = ProductVariant.objects.filter(product=product).order_by("sku")
        self.fields["variant"].label_from_instance = lambda v: v.sku


class PhotoForm(StyledForm):
    image = forms.ImageField(label=_("Photo"), help_text=_("JPEG, PNG or WebP, at most 5 MB."))
    alt_text = forms.CharField(label=_("Description for screen readers"), max_length=200, required=False)


def _warehouse_field():
    return forms.ModelChoiceField(label=_("Warehouse"), queryset=Warehouse.objects.filter(is_active=True),
                                  empty_label=None)


def _variant_field():
    return forms.CharField(label=_("SKU"), max_length=64)


class SkuFormMixin:
    def clean_sku(self):
        sku = self.cleaned_data["sku"].strip()
        variant = ProductVariant.objects.filter(sku__iexact=sku).first()
        if variant is None:
            raise forms.ValidationError(_("No variant has this SKU."))
        self.cleaned_data["variant"] = variant
        return variant.sku


class StockAdjustForm(SkuFormMixin, StyledForm):
    sku = _variant_field()
    warehouse = _warehouse_field()
    quantity_change = forms.IntegerField(label=_("Change"), help_text=_("Positive adds, negative removes."))
    reason = forms.CharField(label=_("Reason"), max_length=255)

    def clean_quantity_change(self):
        value = self.cleaned_data["quantity_change"]
        if value == 0:
            raise forms.ValidationError(_("The change must not be zero."))
        return value


class StockCountForm(SkuFormMixin, StyledForm):
    sku = _variant_field()
    warehouse = _warehouse_field()
    counted_quantity = forms.IntegerField(label=_("Counted quantity"), min_value=0)
    reason = forms.CharField(label=_("Note"), max_length=255, required=False)


class StockReceiveForm(SkuFormMixin, StyledForm):
    sku = _variant_field()
    warehouse = _warehouse_field()
    quantity = forms.IntegerField(label=_("Quantity received"), min_value=1)
    reference = forms.CharField(label=_("Document (e.g. PO number)"), max_length=100, required=False)
    reason = forms.CharField(label=_("Note"), max_length=255, required=False)


class CompetitorPriceForm(StyledForm):
    product = forms.ModelChoiceField(label=_("Product"), queryset=Product.objects.filter(is_active=True))
    competitor = forms.CharField(label=_("Competitor"), max_length=120)
    platform = forms.ChoiceField(label=_("Platform"), choices=[("", "-"), *PLATFORM_CHOICES], required=False)
    url = forms.URLField(label=_("Link"), required=False, max_length=500, assume_scheme="https")
    price_amount = MoneyField(label=_("Price (Rp)"), min_value=1)
    observed_on = forms.DateField(label=_("Seen on"), widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("Note"), max_length=255, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["observed_on"].initial = timezone.localdate()


class ChannelSettingsForm(forms.ModelForm):
    packaging_cost_amount = MoneyField(label=_("Packaging cost (Rp)"))

    class Meta:
        model = ChannelCatalogSettings
        fields = ["packaging_cost_amount", "target_margin_percent", "stock_share_percent", "stock_cap",
                  "safety_buffer", "push_stock"]
        labels = {
            "packaging_cost_amount": _("Packaging cost (Rp)"),
            "target_margin_percent": _("Target margin %"),
            "stock_share_percent": _("Share of available stock %"),
            "stock_cap": _("Show at most"),
            "safety_buffer": _("Safety buffer"),
            "push_stock": _("Push stock to this channel"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            checkbox = isinstance(field.widget, forms.CheckboxInput)
            field.widget.attrs.setdefault("class", "form-check-input" if checkbox else "form-control form-control-sm")
        bound_numbers(self)


class ImportForm(StyledForm):
    file = forms.FileField(label=_("CSV or XLSX file"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".xlsx", ".txt")):
            raise forms.ValidationError(_("Upload a .csv or .xlsx file."))
        if upload.size > 5 * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        return upload


class RestockForm(StyledForm):
    lead_time_days = forms.IntegerField(label=_("Supplier lead time (days)"), min_value=0, max_value=365, initial=14)
    safety_days = forms.IntegerField(label=_("Safety stock (days)"), min_value=0, max_value=365, initial=7)
    cover_days = forms.IntegerField(label=_("Order enough for (days)"), min_value=1, max_value=365, initial=30)


class WarehouseForm(StyledForm):
    code = forms.SlugField(label=_("Code"), max_length=20, help_text=_("Short code used in imports, e.g. 'sby'."))
    name = forms.CharField(label=_("Name"), max_length=120)
    address = forms.CharField(label=_("Address"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    postal_code = forms.CharField(label=_("Postal code"), max_length=10, required=False)
    is_default = forms.BooleanField(label=_("Default warehouse"), required=False,
                                    help_text=_("Orders reserve stock here first."))
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, warehouse: Warehouse | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.warehouse = warehouse

    def clean_code(self):
        code = self.cleaned_data["code"]
        taken = Warehouse.objects.filter(code=code)
        if self.warehouse is not None:
            taken = taken.exclude(pk=self.warehouse.pk)
        if taken.exists():
            raise forms.ValidationError(_("Another warehouse already uses this code."))
        return code

    @classmethod
    def initial_for(cls, warehouse: Warehouse) -> dict:
        return {name: getattr(warehouse, name) for name in cls.base_fields}


class StockTransferForm(SkuFormMixin, StyledForm):
    sku = _variant_field()
    warehouse = forms.ModelChoiceField(label=_("From warehouse"), queryset=Warehouse.objects.filter(is_active=True),
                                       empty_label=None)
    to_warehouse = forms.ModelChoiceField(label=_("To warehouse"), queryset=Warehouse.objects.filter(is_active=True),
                                          empty_label=None)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1)
    reason = forms.CharField(label=_("Note"), max_length=255, required=False)

    def clean(self):
        data = super().clean()
        if data.get("warehouse") and data.get("warehouse") == data.get("to_warehouse"):
            self.add_error("to_warehouse", _("Pick two different warehouses."))
        return data
