"""Stock movements of many orders in one go: the marketplace webhook drain's batches.

`stock_reserve_many`, `stock_commit_many` and `stock_release_many` do what a call of
stock_reserve / stock_commit / stock_release per reference does, with the same guarantees (each
reference all or nothing, idempotent per reference, rows locked in (variant, warehouse) order so
batches and single calls never deadlock), in a fixed number of statements per batch instead of
2-8 per order. A batch holds the stock rows of every order in it, so the fewer statements it runs
while holding them, the less other batches and web orders selling the same products wait.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.errors import InvalidStockChange, OutOfStock
from catalog.models import ProductVariant, StockLevel, StockMovement
from catalog.services.push import listed_variant_ids, stock_push_schedule
from catalog.services.stock import (
    StockRequest,
    _lock_existing_levels,
    _lock_levels,
    _lock_reservable_levels,
    _plan_reserve,
    _summed,
)
from core.db import insert_instances
from core.errors import NotFound

Kind = StockMovement.Kind
LEDGER_KINDS = (Kind.RESERVE, Kind.RELEASE, Kind.SHIPMENT)


@dataclass(frozen=True)
class ReserveRequest:
    reference: str
    lines: Sequence[StockRequest]


def _holdings_many(references: Sequence[str]) -> dict[str, dict[tuple[int, int], tuple[int, int]]]:
    """Per reference and (variant, warehouse): (units still reserved, shipments so far)."""
    rows = (
        StockMovement.objects.filter(reference__in=set(references), kind__in=LEDGER_KINDS)
        .values("reference", "variant_id", "warehouse_id")
        .annotate(held=Sum("reserved_change"), shipped=Count("pk", filter=Q(kind=Kind.SHIPMENT)))
        .order_by()
    )
    found: dict[str, dict[tuple[int, int], tuple[int, int]]] = defaultdict(dict)
    for row in rows:
        found[row["reference"]][(row["variant_id"], row["warehouse_id"])] = (row["held"], row["shipped"])
    return found


def _write_levels(changes: dict[int, tuple[int, int]]) -> None:
    """Apply (reserved change, on_hand change) per locked row id in one UPDATE."""
    if not changes:
        return
    quote = connection.ops.quote_name
    values = ", ".join(["(%s::bigint, %s::integer, %s::integer)"] * len(changes))
    params = [value for level_id, (reserved, on_hand) in sorted(changes.items())
              for value in (level_id, reserved, on_hand)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(StockLevel._meta.db_table)} s SET {quote('reserved')} = s.{quote('reserved')} + c.r, "  # noqa: S608
            f"{quote('on_hand')} = s.{quote('on_hand')} + c.o FROM (VALUES {values}) AS c(id, r, o) "
            f"WHERE s.{quote('id')} = c.id",
            params,
        )
        if cursor.rowcount != len(changes):
            raise RuntimeError(f"stock batch: {cursor.rowcount} of {len(changes)} rows updated")


def stock_reserve_many(
    *, requests: Sequence[ReserveRequest], actor=None, listed: set[int] | None = None
) -> dict[str, Exception | None]:
    """Reserve each request's lines, all or nothing per request, in the order given.

    Returns, per reference, None (reserved, or it already held or shipped its stock: a no-op like
    stock_reserve's repeat) or the error stock_reserve would have raised (OutOfStock naming every
    short SKU, NotFound for an unknown variant); nothing is written for a request with an error.
    Statements: the locked rows, the ledger check of every reference, one UPDATE of the rows, one
    INSERT of the ledger, and the stock push's requests. Call inside a transaction to keep the
    rows locked with the caller's other writes; `listed` as in stock_reserve.
    """
    wanted_by_ref: dict[str, dict[int, int]] = {}
    for request in requests:
        if not request.reference:
            raise InvalidStockChange(_("A reservation needs a reference."), field="reference")
        if request.reference in wanted_by_ref:
            raise InvalidStockChange(_("A reference appears twice in one batch."), field="reference")
        wanted_by_ref[request.reference] = _summed(request.lines)
    results: dict[str, Exception | None] = dict.fromkeys(wanted_by_ref)
    variant_ids = {variant_id for wanted in wanted_by_ref.values() for variant_id in wanted}
    if not variant_ids:
        return results
    if listed is None:
        listed = set(listed_variant_ids(variant_ids))
    with transaction.atomic(savepoint=False):
        levels = _lock_reservable_levels(variant_ids, None)
        # The ledger check runs after the locks, so it sees a reservation that committed meanwhile.
        holdings = _holdings_many(list(wanted_by_ref))
        skus = {level.variant_id: level.variant_sku for level in levels}
        missing = variant_ids - set(skus)
        if missing:  # no stock row anywhere: an unknown variant, or one never stocked (short)
            skus.update(ProductVariant.objects.filter(pk__in=missing).values_list("pk", "sku"))
        default_id = next((level.warehouse_id for level in levels if level.warehouse_is_default), None)
        changes: dict[int, tuple[int, int]] = {}
        movements: list[StockMovement] = []
        reserved_variants: set[int] = set()
        now = timezone.now()
        for reference, wanted in wanted_by_ref.items():
            if not wanted:
                continue
            held = holdings.get(reference, {})
            if any(units > 0 or shipped for units, shipped in held.values()):
                continue  # holds or shipped its stock already: a repeat
            unknown = sorted(set(wanted) - set(skus))
            if unknown:
                results[reference] = NotFound(
                    _("Variants do not exist: %(ids)s.") % {"ids": ", ".join(map(str, unknown))}
                )
                continue
            # Planned against the rows as the earlier requests of this batch left them.
            plan, shortages = _plan_reserve(wanted=wanted, variants=skus, levels=levels, default_id=default_id,
                                            candidates=None)
            if shortages:
                results[reference] = OutOfStock(shortages)
                continue
            for row, take in plan:
                row.reserved += take
                reserved, on_hand = changes.get(row.pk, (0, 0))
                changes[row.pk] = (reserved + take, on_hand)
                movements.append(StockMovement(
                    variant_id=row.variant_id, warehouse_id=row.warehouse_id, kind=Kind.RESERVE,
                    reserved_change=take, reference=reference, actor=actor if getattr(actor, "pk", None) else None,
                    created_at=now,
                ))
            reserved_variants.update(wanted)
        _write_levels(changes)
        insert_instances(movements)
        if reserved_variants:
            stock_push_schedule(variant_ids=reserved_variants, listed=listed & reserved_variants)
    return results


def _settle_many(*, references: Sequence[str], actor, kind: str, reason: str = "") -> set[str]:
    references = sorted({reference for reference in references if reference})
    if not references:
        return set()
    pairs = {pair for held in _holdings_many(references).values() for pair, (units, _s) in held.items() if units > 0}
    if not pairs:
        return set()
    with transaction.atomic(savepoint=False):
        locked = {
            (row.variant_id, row.warehouse_id): row
            for row in _lock_existing_levels({v for v, _w in pairs}, {w for _v, w in pairs})
        }
        # Re-read under the locks: a concurrent settle of the same reference has finished by now.
        holdings = _holdings_many(references)
        missing = sorted({pair for held in holdings.values() for pair, (units, _s) in held.items()
                          if units > 0 and pair not in locked})
        if missing:  # reserved in a warehouse outside the lock pass (e.g. deactivated since)
            locked.update(_lock_levels(missing))
        changes: dict[int, tuple[int, int]] = {}
        movements: list[StockMovement] = []
        settled: set[str] = set()
        variants: set[int] = set()
        now = timezone.now()
        for reference in references:
            for pair, (units, _shipped) in sorted(holdings.get(reference, {}).items()):
                if units <= 0:
                    continue
                row = locked[pair]
                on_hand_change = -units if kind == Kind.SHIPMENT else 0
                reserved, on_hand = changes.get(row.pk, (0, 0))
                changes[row.pk] = (reserved - units, on_hand + on_hand_change)
                movements.append(StockMovement(
                    variant_id=pair[0], warehouse_id=pair[1], kind=kind, on_hand_change=on_hand_change,
                    reserved_change=-units, reference=reference, reason=reason[:255],
                    actor=actor if getattr(actor, "pk", None) else None, created_at=now,
                ))
                settled.add(reference)
                variants.add(pair[0])
        _write_levels(changes)
        insert_instances(movements)
        if variants:
            stock_push_schedule(variant_ids=variants)
    return settled


def stock_commit_many(*, references: Sequence[str], actor=None) -> set[str]:
    """stock_commit for many references at once; returns those that had stock to ship."""
    return _settle_many(references=references, actor=actor, kind=Kind.SHIPMENT)


def stock_release_many(*, references: Sequence[str], actor=None, reason: str = "") -> set[str]:
    """stock_release for many references at once; returns those that had stock to give back."""
    return _settle_many(references=references, actor=actor, kind=Kind.RELEASE, reason=reason)
