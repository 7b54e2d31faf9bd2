"""Stock: every change of on_hand or reserved goes through here and writes one ledger row per stock row.

Rules that hold for every function below:

- Rows are locked with `select_for_update` in ascending (variant_id, warehouse_id) order, so two
  transactions touching the same SKUs in any order wait for each other instead of deadlocking.
- `0 <= reserved <= on_hand` is checked here first and enforced by a database constraint as backstop.
- The ledger (StockMovement) always sums to the StockLevel figures: `on_hand == sum(on_hand_change)`
  and `reserved == sum(reserved_change)` per variant and warehouse.
- After commit, the affected variants are queued for the debounced channel stock push.

Reservation by reference ("order:123"): `stock_reserve` records RESERVE rows under the reference;
`stock_release` and `stock_commit` work out what is still reserved under it from the ledger, so all
three are idempotent and safe to retry.

Warehouse choice in `stock_reserve` when no warehouse is given: the default warehouse first; when it
cannot cover a line, the rest comes from the other active warehouses, the one with the most
available first (a line may be split over warehouses; each part is its own RESERVE row).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.errors import InvalidStockChange, OutOfStock, Shortage
from catalog.models import ProductVariant, StockLevel, StockMovement, Warehouse
from catalog.services.push import listed_variant_ids, stock_push_schedule
from core.errors import NotFound

Kind = StockMovement.Kind


@dataclass(frozen=True)
class StockRequest:
    variant_id: int
    quantity: int


DEFAULT_WAREHOUSE_CODE = "utama"


def warehouse_default() -> Warehouse:
    """The default warehouse; a fresh installation gets 'Gudang Utama'."""
    warehouse = Warehouse.objects.filter(is_default=True).first()
    if warehouse is not None:
        return warehouse
    warehouse, _created = Warehouse.objects.get_or_create(
        code=DEFAULT_WAREHOUSE_CODE, defaults={"name": "Gudang Utama", "is_default": True}
    )
    return warehouse


def _warehouse(warehouse_id: int | None) -> Warehouse:
    if warehouse_id is None:
        return warehouse_default()
    try:
        return Warehouse.objects.get(pk=warehouse_id, is_active=True)
    except Warehouse.DoesNotExist:
        raise NotFound(_("Warehouse %(id)s does not exist or is inactive.") % {"id": warehouse_id}) from None


def _variant(variant_id: int) -> ProductVariant:
    try:
        return ProductVariant.objects.only("id", "sku").get(pk=variant_id)
    except ProductVariant.DoesNotExist:
        raise NotFound(_("Variant %(id)s does not exist.") % {"id": variant_id}) from None


def _lock_levels(pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], StockLevel]:
    """Create missing rows, then lock them all in (variant_id, warehouse_id) order."""
    pairs = sorted(set(pairs))
    if not pairs:
        return {}
    StockLevel.objects.bulk_create(
        [StockLevel(variant_id=v, warehouse_id=w) for v, w in pairs], ignore_conflicts=True
    )
    variant_ids = {v for v, _w in pairs}
    warehouse_ids = {w for _v, w in pairs}
    rows = (
        StockLevel.objects.select_for_update(of=("self",))
        .filter(variant_id__in=variant_ids, warehouse_id__in=warehouse_ids)
        .order_by("variant_id", "warehouse_id")
    )
    wanted = set(pairs)
    return {(r.variant_id, r.warehouse_id): r for r in rows if (r.variant_id, r.warehouse_id) in wanted}


def _lock_existing_levels(variant_ids: Iterable[int], warehouse_ids: Iterable[int] | None = None) -> list[StockLevel]:
    qs = StockLevel.objects.select_for_update(of=("self",)).filter(variant_id__in=set(variant_ids))
    if warehouse_ids is not None:
        qs = qs.filter(warehouse_id__in=set(warehouse_ids))
    return list(qs.order_by("variant_id", "warehouse_id"))


def _save(level: StockLevel) -> None:
    level.save(update_fields=["on_hand", "reserved"])


def _summed(lines: Sequence[StockRequest]) -> dict[int, int]:
    wanted: dict[int, int] = defaultdict(int)
    for line in lines:
        if int(line.quantity) <= 0:
            raise InvalidStockChange(
                _("Quantity must be at least 1, got %(q)s.") % {"q": line.quantity}, field="quantity"
            )
        wanted[int(line.variant_id)] += int(line.quantity)
    return dict(wanted)


def _reference_holdings(reference: str) -> dict[tuple[int, int], int]:
    """What is still reserved under a reference, per (variant, warehouse), from the ledger."""
    rows = (
        StockMovement.objects.filter(reference=reference, kind__in=(Kind.RESERVE, Kind.RELEASE, Kind.SHIPMENT))
        .values("variant_id", "warehouse_id")
        .annotate(held=Sum("reserved_change"))
        .order_by()
    )
    return {(r["variant_id"], r["warehouse_id"]): r["held"] for r in rows}


def _reference_is_holding_or_shipped(reference: str) -> bool:
    """True when the reference still holds reserved units somewhere, or has shipped (one query)."""
    rows = (
        StockMovement.objects.filter(reference=reference, kind__in=(Kind.RESERVE, Kind.RELEASE, Kind.SHIPMENT))
        .values("variant_id", "warehouse_id")
        .annotate(held=Sum("reserved_change"), shipped=Count("pk", filter=Q(kind=Kind.SHIPMENT)))
        .order_by()
    )
    return any(r["held"] > 0 or r["shipped"] for r in rows)


def _prepare_reserve(
    *, reference: str, lines: Sequence[StockRequest], warehouse_id: int | None
) -> tuple[dict[int, int], dict[int, str], list[int], int]:
    """Validate a reservation request: (wanted per variant, SKUs, candidate warehouses, default warehouse)."""
    if not reference:
        raise InvalidStockChange(_("A reservation needs a reference."), field="reference")
    wanted = _summed(lines)
    variants = dict(ProductVariant.objects.filter(pk__in=wanted).values_list("pk", "sku")) if wanted else {}
    missing = sorted(set(wanted) - set(variants))
    if missing:
        raise NotFound(_("Variants do not exist: %(ids)s.") % {"ids": ", ".join(map(str, missing))})
    if warehouse_id is not None:
        _warehouse(warehouse_id)
        return wanted, variants, [warehouse_id], warehouse_id
    active = list(Warehouse.objects.filter(is_active=True).values_list("pk", "is_default"))
    default_id = next((pk for pk, is_default in active if is_default), None) or warehouse_default().pk
    return wanted, variants, sorted({pk for pk, _d in active} | {default_id}), default_id


def _plan_reserve(
    *,
    wanted: dict[int, int],
    variants: dict[int, str],
    levels: Iterable[StockLevel],
    default_id: int | None,
    candidates: Iterable[int] | None,
) -> tuple[list[tuple[StockLevel, int]], list[Shortage]]:
    """Which locked rows give how many units: the default warehouse first, then the most available.

    `candidates=None` takes every row given. Returns (plan, shortages); nothing is written.
    """
    candidates = set(candidates) if candidates is not None else None
    by_variant: dict[int, list[StockLevel]] = defaultdict(list)
    for level in levels:
        if candidates is None or level.warehouse_id in candidates:
            by_variant[level.variant_id].append(level)

    plan: list[tuple[StockLevel, int]] = []
    shortages: list[Shortage] = []
    for variant_id in sorted(wanted):
        need = wanted[variant_id]
        rows = sorted(
            by_variant.get(variant_id, []),
            key=lambda r: (r.warehouse_id != default_id, -r.available, r.warehouse_id),
        )
        total = sum(max(r.available, 0) for r in rows)
        if total < need:
            shortages.append(Shortage(sku=variants[variant_id], requested=need, available=total))
            continue
        for row in rows:
            if need == 0:
                break
            take = min(need, row.available)
            if take > 0:
                plan.append((row, take))
                need -= take
    return plan, shortages


def _reserve_locked(
    *,
    reference: str,
    wanted: dict[int, int],
    variants: dict[int, str],
    levels: Iterable[StockLevel],
    default_id: int,
    candidates: Iterable[int],
    actor,
) -> None:
    """Plan and write a reservation on rows already locked; all or nothing."""
    plan, shortages = _plan_reserve(wanted=wanted, variants=variants, levels=levels, default_id=default_id,
                                    candidates=candidates)
    if shortages:
        raise OutOfStock(shortages)

    movements = []
    for row, take in plan:
        row.reserved += take
        _save(row)
        movements.append(
            StockMovement(
                variant_id=row.variant_id, warehouse_id=row.warehouse_id, kind=Kind.RESERVE,
                reserved_change=take, reference=reference, actor=actor,
            )
        )
    StockMovement.objects.bulk_create(movements)


def stock_reserve(
    *,
    reference: str,
    lines: Sequence[StockRequest],
    actor=None,
    warehouse_id: int | None = None,
    listed: Iterable[int] | None = None,
) -> None:
    """Reserve every line or nothing; raise OutOfStock naming every short SKU.

    Idempotent per reference: when the reference still holds a reservation, or its stock was already
    shipped, nothing happens. After a full release the reference may reserve again; to change what
    an order holds in one step use `stock_reserve_replace`. Quantities of the same variant on
    several lines are summed.

    Three statements for a reservation without a warehouse (any number of lines): the listed
    variants, the sorted `SELECT ... FOR UPDATE` of the rows in active warehouses (with their SKUs
    and default flag, so no separate variant or warehouse query), and one statement that checks the
    ledger for the reference, updates every planned row and writes the ledger rows (see
    `_write_reservation`). No savepoint: nothing is written before the plan holds, and errors are
    raised after the block, so a caller that catches OutOfStock keeps a usable transaction.
    `listed` (the variants among the lines listed on some active channel, as
    `catalog.selectors.variants_for_sale` reports) saves the first statement.
    """
    if not reference:
        raise InvalidStockChange(_("A reservation needs a reference."), field="reference")
    wanted = _summed(lines)
    if not wanted:
        return
    if warehouse_id is not None:
        _warehouse(warehouse_id)
    if listed is None:  # read before the locks: keeps the locked section short
        listed = listed_variant_ids(wanted)
    else:  # the caller read which variants are listed (catalog.selectors.variants_for_sale)
        listed = [variant_id for variant_id in listed if variant_id in wanted]
    error: Exception | None = None
    with transaction.atomic(savepoint=False):
        levels = _lock_reservable_levels(wanted, warehouse_id)
        variants = {level.variant_id: level.variant_sku for level in levels}
        if set(wanted) - set(variants):  # no stock row anywhere for some variant (or no such variant)
            variants.update(ProductVariant.objects.filter(pk__in=set(wanted) - set(variants)).values_list("pk", "sku"))
        missing = sorted(set(wanted) - set(variants))
        if missing:
            error = NotFound(_("Variants do not exist: %(ids)s.") % {"ids": ", ".join(map(str, missing))})
        else:
            default_id = warehouse_id or next((lvl.warehouse_id for lvl in levels if lvl.warehouse_is_default), None)
            plan, shortages = _plan_reserve(wanted=wanted, variants=variants, levels=levels, default_id=default_id,
                                            candidates=None)
            if shortages:
                # A repeat for a reference that holds its stock is a no-op even when stock ran out since.
                if not _reference_is_holding_or_shipped(reference):
                    error = OutOfStock(shortages)
            elif _write_reservation(reference=reference, plan=plan, actor=actor):
                stock_push_schedule(variant_ids=wanted.keys(), listed=listed)
    if error is not None:
        raise error


def _lock_reservable_levels(variant_ids: Iterable[int], warehouse_id: int | None) -> list[StockLevel]:
    """Lock the variants' rows in the given warehouse, or in every active one, in (variant, warehouse)
    order; each row carries `variant_sku` and `warehouse_is_default`.

    Every reservation runs this, so it is one plain statement (the ORM's compilation of the joined
    `select_for_update` cost more than the database spent on it).
    """
    ids = sorted(set(variant_ids))
    level, variant, warehouse = (
        StockLevel._meta.db_table, ProductVariant._meta.db_table, Warehouse._meta.db_table,
    )
    where = "s.warehouse_id = %s" if warehouse_id is not None else "w.is_active"
    sql = (
        f"SELECT s.id, s.variant_id, s.warehouse_id, s.on_hand, s.reserved, "  # noqa: S608
        f"v.sku AS variant_sku, w.is_default AS warehouse_is_default "
        f"FROM {level} s JOIN {variant} v ON v.id = s.variant_id JOIN {warehouse} w ON w.id = s.warehouse_id "
        f"WHERE s.variant_id IN ({', '.join(['%s'] * len(ids))}) AND {where} "
        f"ORDER BY s.variant_id, s.warehouse_id FOR UPDATE OF s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*ids, *([warehouse_id] if warehouse_id is not None else [])])
        rows = cursor.fetchall()
    names = ["id", "variant_id", "warehouse_id", "on_hand", "reserved"]
    levels = []
    for row in rows:
        level = StockLevel.from_db(connection.alias, names, row[:5])
        level.variant_sku, level.warehouse_is_default = row[5], bool(row[6])
        levels.append(level)
    return levels


def _write_reservation(*, reference: str, plan: list[tuple[StockLevel, int]], actor) -> bool:
    """Check the ledger, update the locked rows and write the RESERVE rows, in one statement.

    The ledger check runs in a statement that starts after the rows were locked, so it sees a
    concurrent reservation under the same reference that committed while this one waited. When
    the reference still holds stock (or shipped it), nothing is written and False is returned.
    """
    if not plan:
        return False
    quote = connection.ops.quote_name
    level_table = quote(StockLevel._meta.db_table)
    movement_table = quote(StockMovement._meta.db_table)
    values = ", ".join(["(%s::integer, %s::bigint, %s::integer)"] * len(plan))
    params: list = [reference, Kind.RESERVE, Kind.RELEASE, Kind.SHIPMENT, Kind.SHIPMENT]
    for n, (row, take) in enumerate(plan):
        params += [n, row.pk, take]
    params += [Kind.RESERVE, reference, "", actor.pk if getattr(actor, "pk", None) else None, timezone.now()]
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH guard AS (SELECT NOT EXISTS (SELECT 1 FROM {movement_table} m "  # noqa: S608
            f"WHERE m.{quote('reference')} = %s AND m.{quote('kind')} IN (%s, %s, %s) "
            f"GROUP BY m.{quote('variant_id')}, m.{quote('warehouse_id')} "
            f"HAVING SUM(m.{quote('reserved_change')}) > 0 OR COUNT(*) FILTER (WHERE m.{quote('kind')} = %s) > 0"
            f") AS fresh), "
            f"plan (n, level_id, take) AS (VALUES {values}), "
            f"upd AS (UPDATE {level_table} s SET {quote('reserved')} = s.{quote('reserved')} + plan.take "
            f"FROM plan WHERE s.{quote('id')} = plan.level_id AND (SELECT fresh FROM guard) "
            f"RETURNING plan.n, s.{quote('variant_id')}, s.{quote('warehouse_id')}, plan.take) "
            f"INSERT INTO {movement_table} ({quote('variant_id')}, {quote('warehouse_id')}, {quote('kind')}, "
            f"{quote('on_hand_change')}, {quote('reserved_change')}, {quote('reference')}, {quote('reason')}, "
            f"{quote('actor_id')}, {quote('created_at')}) "
            f"SELECT upd.{quote('variant_id')}, upd.{quote('warehouse_id')}, %s, 0, upd.take, %s, %s, %s, %s "
            f"FROM upd ORDER BY upd.n",
            params,
        )
        written = cursor.rowcount
    if written and written != len(plan):
        raise RuntimeError(f"stock reservation {reference}: {written} of {len(plan)} rows written")
    return bool(written)


def stock_reserve_replace(
    *,
    reference: str,
    lines: Sequence[StockRequest],
    actor=None,
    warehouse_id: int | None = None,
    reason: str = "",
) -> None:
    """Swap what `reference` holds for `lines` (an edited order), all or nothing.

    What the reference still holds is released and the new lines reserved in one transaction,
    with one lock pass over the old and new rows in (variant, warehouse) order, so it cannot
    deadlock against other reservations. The released units count as available for the new lines.
    On OutOfStock the old reservation stays as it was. Empty `lines` just releases.
    """
    wanted, variants, candidates, default_id = _prepare_reserve(
        reference=reference, lines=lines, warehouse_id=warehouse_id
    )
    held_before = _reference_holdings(reference)
    with transaction.atomic():
        variant_ids = set(wanted) | {v for v, _w in held_before}
        warehouse_ids = set(candidates) | {w for _v, w in held_before}
        levels = _lock_existing_levels(variant_ids, warehouse_ids)
        holdings = {pair: held for pair, held in _reference_holdings(reference).items() if held > 0}
        by_pair = {(lvl.variant_id, lvl.warehouse_id): lvl for lvl in levels}
        missing_pairs = [pair for pair in holdings if pair not in by_pair]
        if missing_pairs:  # held in a warehouse outside the lock pass (e.g. deactivated since): lock it too
            by_pair.update(_lock_levels(missing_pairs))
        releases = []
        for pair in sorted(holdings):
            row = by_pair[pair]
            row.reserved -= holdings[pair]
            _save(row)
            releases.append(
                StockMovement(
                    variant_id=pair[0], warehouse_id=pair[1], kind=Kind.RELEASE, reserved_change=-holdings[pair],
                    reference=reference, reason=(reason or _("Replaced by a new reservation"))[:255], actor=actor,
                )
            )
        StockMovement.objects.bulk_create(releases)
        if wanted:
            # Plans against the figures with the old reservation given back; OutOfStock rolls the
            # release back too, so the reference keeps what it held.
            _reserve_locked(reference=reference, wanted=wanted, variants=variants, levels=list(by_pair.values()),
                            default_id=default_id, candidates=candidates, actor=actor)
        stock_push_schedule(variant_ids=set(wanted) | {v for v, _w in holdings})


def _settle(*, reference: str, actor, kind: str, reason: str = "") -> None:
    holdings = {pair: held for pair, held in _reference_holdings(reference).items() if held > 0}
    if not holdings:
        return
    with transaction.atomic():
        # The rows exist (they were reserved); lock them in (variant, warehouse) order, then re-read
        # what the reference holds now that concurrent callers for it have finished.
        locked = {
            (row.variant_id, row.warehouse_id): row
            for row in _lock_existing_levels({v for v, _w in holdings}, {w for _v, w in holdings})
        }
        holdings = {pair: held for pair, held in _reference_holdings(reference).items() if held > 0}
        movements = []
        for pair in sorted(holdings):
            held = holdings[pair]
            row = locked.get(pair) or _lock_levels([pair])[pair]
            row.reserved -= held
            on_hand_change = 0
            if kind == Kind.SHIPMENT:
                row.on_hand -= held
                on_hand_change = -held
            _save(row)
            movements.append(
                StockMovement(
                    variant_id=pair[0], warehouse_id=pair[1], kind=kind, on_hand_change=on_hand_change,
                    reserved_change=-held, reference=reference, reason=reason[:255], actor=actor,
                )
            )
        StockMovement.objects.bulk_create(movements)
        stock_push_schedule(variant_ids={pair[0] for pair in holdings})


def stock_release(*, reference: str, actor=None, reason: str = "") -> None:
    """Give back whatever is still reserved under `reference` (cancelled order). Idempotent."""
    _settle(reference=reference, actor=actor, kind=Kind.RELEASE, reason=reason)


def stock_commit(*, reference: str, actor=None) -> None:
    """The reserved goods left the warehouse: on_hand and reserved both go down. Idempotent."""
    _settle(reference=reference, actor=actor, kind=Kind.SHIPMENT)


def _positive(quantity: int, field: str = "quantity") -> int:
    quantity = int(quantity)
    if quantity <= 0:
        raise InvalidStockChange(_("Quantity must be at least 1."), field=field)
    return quantity


def _single_change(
    *,
    variant_id: int,
    warehouse_id: int | None,
    kind: str,
    actor,
    reason: str,
    reference: str,
    change_for,
    field: str,
) -> StockMovement:
    variant = _variant(variant_id)
    warehouse = _warehouse(warehouse_id)
    with transaction.atomic():
        row = _lock_levels([(variant.pk, warehouse.pk)])[(variant.pk, warehouse.pk)]
        change = change_for(row)
        new_on_hand = row.on_hand + change
        if new_on_hand < 0:
            raise InvalidStockChange(
                _("%(sku)s would go below zero in %(wh)s (on hand %(on_hand)s, change %(change)s).")
                % {"sku": variant.sku, "wh": warehouse.name, "on_hand": row.on_hand, "change": change},
                field=field,
            )
        if new_on_hand < row.reserved:
            raise InvalidStockChange(
                _(
                    "%(sku)s in %(wh)s would fall below the %(reserved)s units reserved for orders; "
                    "release or ship those orders first."
                )
                % {"sku": variant.sku, "wh": warehouse.name, "reserved": row.reserved},
                field=field,
            )
        row.on_hand = new_on_hand
        _save(row)
        movement = StockMovement.objects.create(
            variant_id=variant.pk, warehouse_id=warehouse.pk, kind=kind, on_hand_change=change,
            reference=reference[:100], reason=reason[:255], actor=actor,
        )
        if change:
            stock_push_schedule(variant_ids=[variant.pk])
    return movement


def stock_receive(
    *,
    variant_id: int,
    quantity: int,
    warehouse_id: int | None = None,
    actor=None,
    reference: str = "",
    reason: str = "",
) -> StockMovement:
    """Goods received (purchase, production): on_hand goes up."""
    quantity = _positive(quantity)
    return _single_change(
        variant_id=variant_id, warehouse_id=warehouse_id, kind=Kind.RECEIPT, actor=actor, reason=reason,
        reference=reference, change_for=lambda row: quantity, field="quantity",
    )


def stock_adjust(
    *,
    variant_id: int,
    quantity_change: int,
    reason: str,
    warehouse_id: int | None = None,
    actor=None,
    reference: str = "",
) -> StockMovement:
    """A correction with a reason (damaged, lost, found). Never below zero or below what is reserved."""
    quantity_change = int(quantity_change)
    if quantity_change == 0:
        raise InvalidStockChange(_("The change must not be zero."), field="quantity_change")
    if not (reason or "").strip():
        raise InvalidStockChange(_("Say why the stock is adjusted."), field="reason")
    return _single_change(
        variant_id=variant_id, warehouse_id=warehouse_id, kind=Kind.ADJUSTMENT, actor=actor, reason=reason.strip(),
        reference=reference, change_for=lambda row: quantity_change, field="quantity_change",
    )


def stock_count(
    *,
    variant_id: int,
    counted_quantity: int,
    warehouse_id: int | None = None,
    actor=None,
    reason: str = "",
    reference: str = "",
) -> StockMovement:
    """Stock count (opname): on_hand becomes what was counted; the difference is the ledger row.

    A count that matches the books still writes a row (change 0), so the count itself is on record.
    """
    counted_quantity = int(counted_quantity)
    if counted_quantity < 0:
        raise InvalidStockChange(_("A count cannot be negative."), field="counted_quantity")
    return _single_change(
        variant_id=variant_id, warehouse_id=warehouse_id, kind=Kind.COUNT, actor=actor,
        reason=reason or _("Stock count"), reference=reference,
        change_for=lambda row: counted_quantity - row.on_hand, field="counted_quantity",
    )


def stock_return_restock(
    *,
    variant_id: int,
    quantity: int,
    reference: str,
    warehouse_id: int | None = None,
    actor=None,
    reason: str = "",
) -> StockMovement | None:
    """Returned goods that can be sold again go back on the shelf.

    Idempotent per (reference, variant): a second call for the same return document does nothing
    and returns None.
    """
    quantity = _positive(quantity)
    if not reference:
        raise InvalidStockChange(_("A return restock needs a reference."), field="reference")
    variant = _variant(variant_id)
    warehouse = _warehouse(warehouse_id)
    with transaction.atomic():
        _lock_levels([(variant.pk, warehouse.pk)])
        if StockMovement.objects.filter(reference=reference, variant_id=variant.pk, kind=Kind.RETURN).exists():
            return None
        return _single_change(
            variant_id=variant.pk, warehouse_id=warehouse.pk, kind=Kind.RETURN, actor=actor, reason=reason,
            reference=reference, change_for=lambda row: quantity, field="quantity",
        )


def stock_bin_set(*, variant_id: int, warehouse_id: int | None = None, bin_location: str, actor=None) -> StockLevel:
    """Record where a variant sits in a warehouse (rack/shelf/bin code); no stock changes.

    The code is kept as typed (trimmed, upper case); an empty code clears it.
    """
    code = " ".join((bin_location or "").split()).upper()
    if len(code) > 40:
        raise InvalidStockChange(_("A bin location has at most 40 characters."), field="bin_location")
    variant = _variant(variant_id)
    warehouse = _warehouse(warehouse_id)
    with transaction.atomic():
        row = _lock_levels([(variant.pk, warehouse.pk)])[(variant.pk, warehouse.pk)]
        if row.bin_location != code:
            row.bin_location = code
            row.save(update_fields=["bin_location"])
    return row


def stock_transfer(
    *,
    variant_id: int,
    from_warehouse_id: int,
    to_warehouse_id: int,
    quantity: int,
    actor=None,
    reason: str = "",
    reference: str = "",
) -> None:
    """Move available units between warehouses: two TRANSFER rows, out and in."""
    quantity = _positive(quantity)
    if from_warehouse_id == to_warehouse_id:
        raise InvalidStockChange(_("Pick two different warehouses."), field="to_warehouse")
    variant = _variant(variant_id)
    source, target = _warehouse(from_warehouse_id), _warehouse(to_warehouse_id)
    with transaction.atomic():
        locked = _lock_levels([(variant.pk, source.pk), (variant.pk, target.pk)])
        out, into = locked[(variant.pk, source.pk)], locked[(variant.pk, target.pk)]
        if out.available < quantity:
            raise InvalidStockChange(
                _("Only %(n)s of %(sku)s are available in %(wh)s.")
                % {"n": out.available, "sku": variant.sku, "wh": source.name},
                field="quantity",
            )
        out.on_hand -= quantity
        into.on_hand += quantity
        _save(out)
        _save(into)
        StockMovement.objects.bulk_create(
            [
                StockMovement(variant_id=variant.pk, warehouse_id=source.pk, kind=Kind.TRANSFER,
                              on_hand_change=-quantity, reference=reference, reason=reason, actor=actor),
                StockMovement(variant_id=variant.pk, warehouse_id=target.pk, kind=Kind.TRANSFER,
                              on_hand_change=quantity, reference=reference, reason=reason, actor=actor),
            ]
        )


def warehouse_save(
    *,
    code: str,
    name: str,
    warehouse_id: int | None = None,
    address: str = "",
    city: str = "",
    postal_code: str = "",
    is_default: bool = False,
    is_active: bool = True,
    actor=None,
) -> Warehouse:
    """Create or update a warehouse. Making one the default takes the flag from the old default;
    the default warehouse cannot be deactivated, and there is always exactly one default."""
    from django.core.exceptions import ValidationError

    with transaction.atomic():
        if warehouse_id is None:
            warehouse = Warehouse(code=code)
        else:
            warehouse = Warehouse.objects.select_for_update().get(pk=warehouse_id)
            warehouse.code = code
        was_default = warehouse.pk is not None and warehouse.is_default
        if was_default and not is_default:
            raise ValidationError({"is_default": _("Make another warehouse the default instead.")})
        if is_default and not is_active:
            raise ValidationError({"is_active": _("The default warehouse must stay active.")})
        if not Warehouse.objects.filter(is_default=True).exclude(pk=warehouse.pk).exists():
            is_default = True  # the first warehouse, or the only default, stays the default
        warehouse.name, warehouse.address, warehouse.city = name, address, city
        warehouse.postal_code, warehouse.is_active = postal_code, is_active
        if is_default and not was_default:
            Warehouse.objects.filter(is_default=True).exclude(pk=warehouse.pk).update(is_default=False)
        warehouse.is_default = is_default
        warehouse.full_clean()
        warehouse.save()
    return warehouse
