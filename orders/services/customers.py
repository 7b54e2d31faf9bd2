"""Customers, deduplicated across channels by normalised phone, then by e-mail."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.phones import normalize_phone
from orders.inputs import CustomerInput
from orders.models import Customer


def clean_phone(raw: str, *, field: str = "phone") -> str:
    """E.164 or "" for an empty value; ValidationError naming `field` for a bad number."""
    if not (raw or "").strip():
        return ""
    try:
        return normalize_phone(raw)
    except ValueError:
        raise ValidationError({field: [_("%(value)r is not a valid phone number.") % {"value": raw}]}) from None


def clean_email(raw: str, *, field: str = "email") -> str:
    email = (raw or "").strip().lower()
    if not email:
        return ""
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({field: [_("%(value)r is not a valid e-mail address.") % {"value": raw}]}) from None
    return email


def customer_get_or_create(*, customer: CustomerInput) -> Customer:
    """The customer with this phone (any format) or e-mail, created when there is none.

    Phone wins over e-mail: the same phone is the same person on every channel. Blank contact
    details of an existing customer are filled in from the input; nothing else is overwritten.
    Raises ValidationError (field `name`, `phone` or `email`) for a missing name, a bad phone
    number or e-mail, or when neither a phone nor an e-mail is given.
    """
    name = (customer.name or "").strip()
    if not name:
        raise ValidationError({"name": [_("The customer's name is required.")]})
    phone = clean_phone(customer.phone)
    email = clean_email(customer.email)
    if not phone and not email:
        raise ValidationError({"phone": [_("Give the customer's phone number or e-mail address.")]})
    return _get_or_create(name=name, phone=phone, email=email)


def customer_for_contact(*, name: str, phone: str = "", email: str = "") -> Customer | None:
    """Lenient twin for marketplace data: masked or invalid contacts are ignored, not errors.

    Returns None when nothing usable identifies the buyer (the order keeps the name it came with).
    """
    try:
        phone = clean_phone(phone)
    except ValidationError:
        phone = ""
    try:
        email = clean_email(email)
    except ValidationError:
        email = ""
    if not phone and not email:
        return None
    return _get_or_create(name=(name or "").strip() or phone or email, phone=phone, email=email)


def _get_or_create(*, name: str, phone: str, email: str) -> Customer:
    found = None
    if phone and not email:
        # Only a phone to match by (with an e-mail, a phoneless customer of that address is
        # looked for before a new one is made).
        found, created = _insert_or_find_by_phone(name=name, phone=phone, email=email)
        if created:
            return found
    elif phone:
        found = Customer.objects.filter(phone=phone).first()
    if found is None and email:
        found = Customer.objects.filter(email=email).order_by("id").first()
        if found is not None and found.phone and phone and found.phone != phone:
            # Same e-mail, different phone: a different person sharing an address; keep them apart.
            found = None
    if found is not None:
        changed = []
        if phone and not found.phone:
            found.phone = phone
            changed.append("phone")
        if email and not found.email:
            found.email = email
            changed.append("email")
        if changed:
            try:
                with transaction.atomic():
                    found.save(update_fields=changed)
            except IntegrityError:
                # Another customer took this phone meanwhile: use that one.
                return Customer.objects.get(phone=phone)
        return found
    if phone:
        created = _insert_unless_phone_taken(name=name, phone=phone, email=email)
        # None: a concurrent request created the same phone first; its row is committed now.
        return created if created is not None else Customer.objects.get(phone=phone)
    return Customer.objects.create(name=name, phone=phone, email=email)


def _insert_unless_phone_taken(*, name: str, phone: str, email: str) -> Customer | None:
    """INSERT ... ON CONFLICT DO NOTHING on the unique phone: one statement and no savepoint.

    Replaces a savepoint, an INSERT and a release (an IntegrityError would abort the caller's
    transaction): the hot path of every order from a new buyer. None when the phone is taken.
    """
    customer = Customer(name=name, phone=phone, email=email, created_at=timezone.now())
    fields = [f for f in Customer._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    params = [f.get_db_prep_save(f.pre_save(customer, add=True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(Customer._meta.db_table)} ({columns}) VALUES ({placeholders}) "  # noqa: S608
            f"ON CONFLICT ({quote('phone')}) WHERE {quote('phone')} <> '' DO NOTHING RETURNING {quote('id')}",
            params,
        )
        row = cursor.fetchone()
    if row is None:
        return None
    customer.pk = row[0]
    customer._state.adding = False
    customer._state.db = connection.alias
    return customer


def _insert_or_find_by_phone(*, name: str, phone: str, email: str) -> tuple[Customer | None, bool]:
    """(customer, created) for a phone in one statement: insert it, or read who has it.

    Every order from a buyer with a phone goes through here. When the phone belongs to a row
    committed by a transaction that started after this statement, neither part returns it:
    (None, False), and the caller reads it with a plain query.
    """
    customer = Customer(name=name, phone=phone, email=email, created_at=timezone.now())
    fields = list(Customer._meta.concrete_fields)
    insert_fields = [f for f in fields if not f.primary_key]
    quote = connection.ops.quote_name
    table = quote(Customer._meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    params = [f.get_db_prep_save(f.pre_save(customer, add=True), connection) for f in insert_fields]
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH ins AS (INSERT INTO {table} ({', '.join(quote(f.column) for f in insert_fields)}) "  # noqa: S608
            f"VALUES ({', '.join(['%s'] * len(insert_fields))}) "
            f"ON CONFLICT ({quote('phone')}) WHERE {quote('phone')} <> '' DO NOTHING RETURNING {columns}) "
            f"SELECT {columns}, true FROM ins UNION ALL "
            f"(SELECT {columns}, false FROM {table} WHERE {quote('phone')} = %s LIMIT 1)",
            [*params, phone],
        )
        row = cursor.fetchone()
    if row is None:
        return None, False
    return Customer.from_db(connection.alias, [f.attname for f in fields], row[:-1]), row[-1]
