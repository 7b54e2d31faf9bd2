"""Idempotent order creation: an `Idempotency-Key` sent with an order makes a retry safe.

The same key with the same request answers with the same order (created once); the same key with
another request is refused (`IdempotencyKeyReused`, 409); a request that failed leaves no key
behind, so the client may retry it. Keys are per user and forgotten after IDEMPOTENCY_KEY_DAYS.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from core.errors import Conflict
from orders.models import IdempotencyKey, Order
from orders.services.create import CreatedOrder

IDEMPOTENCY_KEY_MAX_LENGTH = 255
IDEMPOTENCY_KEY_DAYS = 7  # clients retry within minutes, not days


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"

    def __init__(self) -> None:
        super().__init__("This Idempotency-Key was already used with a different request body.",
                         detail={"field": "Idempotency-Key"})


@dataclass(frozen=True)
class IdempotentOrder:
    """The order a keyed request stands for: `created` when this request wrote it, else a replay."""

    order_id: int
    created: CreatedOrder | None = None

    @property
    def replayed(self) -> bool:
        return self.created is None


def idempotency_request_hash(data) -> str:
    """A fingerprint of the request body, the same for the same JSON whatever its key order."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _key_claim(*, user_id: int, key: str, request_hash: str) -> int | None:
    """Insert the key row and return the new order's id reserved on it, or None when the key exists.

    A key that exists is waited for when a concurrent request holds it (until that one commits or
    rolls back). The same statement takes the new order's id from the orders sequence and stores it
    on the key row (the foreign key is checked at commit, when the order exists), so the order is
    inserted with its final number and the key needs no second write.
    """
    quote = connection.ops.quote_name
    table, key_column = quote(IdempotencyKey._meta.db_table), quote("key")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (user_id, {key_column}, request_hash, response_status, created_at, order_id) "  # noqa: S608
            f"VALUES (%s, %s, %s, %s, %s, nextval(pg_get_serial_sequence(%s, 'id'))) "
            f"ON CONFLICT (user_id, {key_column}) DO NOTHING RETURNING order_id",
            [user_id, key, request_hash, 201, timezone.now(), Order._meta.db_table],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def order_create_idempotent(
    *, user_id: int, key: str, request_data, create: Callable[..., CreatedOrder]
) -> IdempotentOrder:
    """Create the order of a keyed request once; a repeat of it answers with the same order.

    `create(order_id=..., savepoint=False)` writes the order with the id reserved on the key, in the
    key's transaction: an error rolls the key back with it (no savepoint needed inside). Raises
    IdempotencyKeyReused when the key came with another body, Conflict when the key's first
    request has not finished.
    """
    request_hash = idempotency_request_hash(request_data)
    with transaction.atomic():
        order_id = _key_claim(user_id=user_id, key=key, request_hash=request_hash)
        if order_id is not None:
            created = create(order_id=order_id, savepoint=False)
    if order_id is not None:
        return IdempotentOrder(order_id=created.order.pk, created=created)
    stored = IdempotencyKey.objects.filter(user_id=user_id, key=key).first()
    if stored is None or stored.order_id is None:  # pragma: no cover - the row commits with its order
        raise Conflict("This Idempotency-Key is being processed; retry shortly.")
    if stored.request_hash != request_hash:
        raise IdempotencyKeyReused()
    return IdempotentOrder(order_id=stored.order_id)


def idempotency_keys_purge(*, now=None) -> int:
    """Forget Idempotency-Keys older than IDEMPOTENCY_KEY_DAYS; returns how many."""
    cutoff = (now or timezone.now()) - timedelta(days=IDEMPOTENCY_KEY_DAYS)
    deleted, _by_model = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
