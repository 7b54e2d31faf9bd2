"""One rupiah parser (core.money.parse_idr) and the fields built on it: forms, API, admin."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django import forms
from django.utils import translation
from rest_framework import serializers

from core.forms import MoneyField
from core.money import MAX_AMOUNT, AmountError, parse_idr
from core.serializers import MoneyField as ApiMoneyField


@pytest.mark.parametrize(
    "typed",
    ["89.000", "89000", "Rp 89.000", "Rp89.000,00", "89,000.00", "Rp 89.000,-", "rp. 89.000", "IDR 89000",
     "89 000", "89.000 IDR", " 89.000 ", "89\u00a0000", "89000.00", "89000,00", "089000", 89000, 89000.0,
     Decimal("89000.00")],
)
def test_every_usual_way_of_writing_eighty_nine_thousand_rupiah_reads_as_89000(typed):
    assert parse_idr(typed) == 89_000


@pytest.mark.parametrize(
    ("typed", "amount"),
    [("1.250.000", 1_250_000), ("1,250,000", 1_250_000), ("Rp 1.250.000,00", 1_250_000),
     ("1,250,000.00", 1_250_000), ("1 250 000", 1_250_000), ("0", 0), ("Rp 500", 500), ("999", 999)],
)
def test_grouped_amounts_read_as_whole_rupiah(typed, amount):
    assert parse_idr(typed) == amount


@pytest.mark.parametrize(
    ("typed", "code"),
    [("89.5", "ambiguous"), ("89,50", "ambiguous"), ("89.00", "ambiguous"), ("1.25.000", "grouping"),
     ("1234.567", "grouping"), ("89.000.00", "grouping"), ("89.000,50", "fraction"), (89000.5, "fraction"),
     ("abc", "invalid"), ("", "invalid"), ("Rp", "invalid"), ("12abc", "invalid"), ("²", "invalid"),
     ("１２", "invalid"), ("89.000,5,0", "invalid"), ("1e6", "invalid"), ("-5.000", "negative"),
     ("-Rp 5.000", "negative"), ("9" * 50, "invalid"), ("9" * 30, "max_value"), (None, "invalid"),
     (True, "invalid"), (float("nan"), "invalid")],
)
def test_text_that_cannot_be_read_one_way_is_refused_with_a_reason(typed, code):
    with pytest.raises(AmountError) as caught:
        parse_idr(typed)

    assert caught.value.code == code
    assert caught.value.message


def test_the_reason_is_in_the_language_of_the_page():
    with pytest.raises(AmountError) as caught:
        parse_idr("89.5")

    with translation.override("id"):
        indonesian = caught.value.message
    with translation.override("en"):
        english = caught.value.message
    assert indonesian.startswith("89.5 bisa dibaca dua cara")
    assert english.startswith("89.5 can be read two ways")


def test_bounds_are_enforced_with_the_limit_in_rupiah():
    with translation.override("id"), pytest.raises(AmountError) as caught:
        parse_idr("Rp 2.000.000", max_amount=1_000_000)
    assert "Rp 1.000.000" in caught.value.message
    with pytest.raises(AmountError) as caught:
        parse_idr("0", min_amount=1)
    assert caught.value.code == "min_value"
    assert parse_idr(str(MAX_AMOUNT)) == MAX_AMOUNT
    with pytest.raises(AmountError):
        parse_idr(str(MAX_AMOUNT + 1))


def test_statements_round_sen_once_and_read_short_decimals():
    assert parse_idr("150,123.45", fractions="round") == 150_123
    assert parse_idr("89.000,50", fractions="round") == 89_001
    assert parse_idr("89.50", fractions="round") == 90
    assert parse_idr("-25.000", min_amount=None, fractions="round") == -25_000


class _MoneyForm(forms.Form):
    price_amount = MoneyField(label="Harga")
    fee_amount = MoneyField(label="Biaya", required=False, min_value=1)


@pytest.mark.parametrize("typed", ["89.000", "89000", "Rp 89.000", "Rp89.000,00", "89,000.00"])
def test_the_money_form_field_cleans_every_usual_way_to_89000(typed):
    form = _MoneyForm({"price_amount": typed, "fee_amount": ""})

    assert form.is_valid(), form.errors
    assert form.cleaned_data == {"price_amount": 89_000, "fee_amount": None}


def test_the_money_form_field_shows_its_reason_and_renders_a_text_box():
    with translation.override("id"):
        form = _MoneyForm({"price_amount": "89.5", "fee_amount": "0"})
        assert not form.is_valid()
        assert "89.5" in form.errors["price_amount"][0]
        assert form.errors["fee_amount"]
        html = str(_MoneyForm(initial={"price_amount": 1_250_000})["price_amount"])

    assert 'type="text"' in html and 'inputmode="decimal"' in html
    assert 'value="1.250.000"' in html
    assert "9223372036854775807" not in html


class _Input(serializers.Serializer):
    amount = ApiMoneyField()
    optional_amount = ApiMoneyField(required=False, allow_null=True, default=None)


@pytest.mark.parametrize("sent", [89000, "89.000", "Rp 89.000", "89,000.00", "89000", 89000.0])
def test_the_api_money_field_reads_text_amounts_the_same_way(sent):
    serializer = _Input(data={"amount": sent})

    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data == {"amount": 89_000, "optional_amount": None}


@pytest.mark.parametrize("sent", ["89.5", "abc", -1, True, [1], {"a": 1}, 10**19, "5" * 50])
def test_the_api_money_field_refuses_what_it_cannot_read(sent):
    serializer = _Input(data={"amount": sent})

    assert not serializer.is_valid()
    assert "amount" in serializer.errors


# --- Every amount input in the project goes through the one parser --------------------------------

APPS = ("core", "channels", "catalog", "orders", "payments", "notifications", "shipping", "aftersales", "marketplaces")


def _is_amount(name: str) -> bool:
    return name == "amount" or name.endswith("_amount")


def _classes(module_name: str, base: type) -> list[type]:
    import importlib
    import inspect

    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError:
        return []
    return [obj for _name, obj in inspect.getmembers(module, inspect.isclass)
            if issubclass(obj, base) and obj.__module__.startswith(module_name.split(".")[0])]


def test_every_form_field_for_an_amount_is_the_money_field():
    offenders = []
    for app in APPS:
        for form_class in _classes(f"{app}.forms", forms.BaseForm):
            for name, field in getattr(form_class, "base_fields", {}).items():
                if _is_amount(name) and not isinstance(field, MoneyField):
                    offenders.append(f"{form_class.__module__}.{form_class.__name__}.{name}")
    assert offenders == []


@pytest.mark.django_db
def test_every_writable_api_field_for_an_amount_is_the_money_field():
    offenders = []
    for app in APPS:
        for module in (f"{app}.api", f"{app}.api_views"):
            for serializer_class in _classes(module, serializers.Serializer):
                if "Output" in serializer_class.__name__:  # answers only (the house's explicit output serializers)
                    continue
                try:
                    fields = serializer_class().fields
                except Exception:  # a serializer that needs context to build; its declared fields still count
                    fields = serializer_class._declared_fields
                for name, field in fields.items():
                    if _is_amount(name) and not field.read_only and not isinstance(field, ApiMoneyField):
                        offenders.append(f"{serializer_class.__module__}.{serializer_class.__name__}.{name}")
    assert offenders == []


@pytest.mark.django_db
def test_every_admin_form_reads_amounts_with_the_money_field(rf, owner):
    from django.contrib import admin

    request = rf.get("/admin/")
    request.user = owner
    owner.is_superuser = True
    offenders = []
    for model, model_admin in admin.site._registry.items():
        if not (model_admin.has_add_permission(request) or model_admin.has_change_permission(request)):
            continue  # read-only in the admin
        form_class = model_admin.get_form(request)
        for name, field in form_class.base_fields.items():
            if _is_amount(name) and not isinstance(field, MoneyField):
                offenders.append(f"{model.__name__}.{name}")
    assert offenders == []
