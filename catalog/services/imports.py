"""Catalog import and export (CSV and XLSX) with the same columns both ways.

One row per variant and warehouse. Import is two steps: `catalog_import_prepare` reads and checks
every row and stores a preview (what would be created or changed) or the row-by-row errors
(row number, column, problem); `catalog_import_apply` checks again and applies the whole file in
one transaction. A file with any error changes nothing.

Matching: a row's SKU finds an existing variant (its product is updated from the row); a new SKU
joins the product with the same name (from the file or the database), or a new product. Empty
cells leave existing values alone. Stock cells set on_hand in that warehouse through a stock count,
so the ledger records the import as the reason.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.errors import ImportHasErrors
from catalog.models import CatalogImport, Product, ProductVariant, StockLevel, Warehouse
from core.errors import Conflict, DomainError
from core.money import AmountError, parse_idr

COLUMNS = [
    "product_name",
    "category",
    "brand",
    "description",
    "weight_grams",
    "sku",
    "variant_name",
    "barcode",
    "price_amount",
    "cost_amount",
    "low_stock_threshold",
    "warehouse",
    "on_hand",
]
REQUIRED = ("product_name", "sku")
INTEGER_COLUMNS = ("weight_grams", "low_stock_threshold", "on_hand")
MONEY_COLUMNS = ("price_amount", "cost_amount")
PRODUCT_COLUMNS = {"category": "category", "brand": "brand", "description": "description",
                   "weight_grams": "weight_grams"}
VARIANT_COLUMNS = {"variant_name": "name", "barcode": "barcode", "low_stock_threshold": "low_stock_threshold"}
MAX_LENGTHS = {"product_name": 255, "category": 120, "brand": 120, "sku": 64, "variant_name": 255, "barcode": 64}
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
_DOTTED = re.compile(r"^\d{1,3}(\.\d{3})+$")


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    problem: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "problem": self.problem}


# --- Reading files ------------------------------------------------------------------------------


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_table(*, filename: str, content: bytes) -> tuple[list[dict], list[RowError]]:
    """Rows as {column: text, "_row": number} from CSV or XLSX; the header is row 1."""
    if len(content) > MAX_FILE_BYTES:
        return [], [RowError(0, "", _("The file is larger than 5 MB."))]
    name = filename.lower()
    try:
        if name.endswith(".xlsx"):
            from openpyxl import load_workbook

            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
            table = [[_cell(c) for c in row] for row in workbook.worksheets[0].iter_rows(values_only=True)]
            workbook.close()
        elif name.endswith(".csv") or name.endswith(".txt"):
            try:
                text = content.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = content.decode("cp1252")
            first = text.splitlines()[0] if text else ""
            delimiter = max(",;\t", key=first.count) if first else ","
            table = [[_cell(c) for c in row] for row in csv.reader(io.StringIO(text), delimiter=delimiter)]
        else:
            return [], [RowError(0, "", _("Upload a .csv or .xlsx file."))]
    except Exception as exc:  # a broken upload must become a row error, not a 500
        return [], [RowError(0, "", _("The file cannot be read: %(e)s") % {"e": exc})]
    if not table or not any(table[0]):
        return [], [RowError(1, "", _("The file is empty."))]
    header = [h.strip().lower() for h in table[0]]
    errors = [RowError(1, col, _("Required column is missing.")) for col in REQUIRED if col not in header]
    unknown = [h for h in header if h and h not in COLUMNS]
    errors += [RowError(1, h, _("Unknown column.")) for h in unknown]
    if errors:
        return [], errors
    rows = []
    for number, raw in enumerate(table[1:], start=2):
        if not any(raw):
            continue
        row = {col: (raw[i] if i < len(raw) else "") for i, col in enumerate(header) if col}
        row["_row"] = number
        rows.append(row)
    if len(rows) > MAX_ROWS:
        return [], [RowError(0, "", _("At most %(n)s rows per file.") % {"n": MAX_ROWS})]
    return rows, []


def _integer(text: str) -> int | None:
    text = text.replace("Rp", "").replace(" ", "").strip()
    if text.isdigit():
        return int(text)
    if _DOTTED.match(text):
        return int(text.replace(".", ""))
    raise ValueError(text)


# --- Checking and planning ----------------------------------------------------------------------


def plan_rows(rows: Iterable[dict]) -> tuple[list[dict], list[RowError], dict]:
    """Check every row against the database; return (planned actions, errors, summary)."""
    rows = list(rows)
    errors: list[RowError] = []
    clean: list[dict] = []
    for row in rows:
        n = row["_row"]
        values: dict = {"_row": n}
        for col in COLUMNS:
            text = (row.get(col) or "").strip()
            if col in REQUIRED and not text:
                errors.append(RowError(n, col, _("This column is required.")))
                continue
            if col in MAX_LENGTHS and len(text) > MAX_LENGTHS[col]:
                errors.append(RowError(n, col, _("Longer than %(n)s characters.") % {"n": MAX_LENGTHS[col]}))
                continue
            if col in INTEGER_COLUMNS and text:
                try:
                    values[col] = _integer(text)
                except ValueError:
                    errors.append(RowError(n, col, _("%(v)r is not a whole number of 0 or more.") % {"v": text}))
                continue
            if col in MONEY_COLUMNS and text:
                try:
                    values[col] = parse_idr(text)
                except AmountError as exc:
                    errors.append(RowError(n, col, exc.message))
                continue
            values[col] = text if text else None
        if values.get("sku") and " " in values["sku"]:
            errors.append(RowError(n, "sku", _("A SKU cannot contain spaces.")))
        clean.append(values)

    skus = {v["sku"] for v in clean if v.get("sku")}
    existing = {v.sku: v for v in ProductVariant.objects.filter(sku__in=skus).select_related("product")}
    warehouses = {w.code: w for w in Warehouse.objects.filter(is_active=True)}
    default = next((w for w in warehouses.values() if w.is_default), None)
    levels = {
        (lvl.variant.sku, lvl.warehouse.code): lvl
        for lvl in StockLevel.objects.filter(variant__sku__in=skus).select_related("variant", "warehouse")
    }

    first_by_sku: dict[str, dict] = {}
    stock_seen: dict[tuple[str, str], int] = {}
    product_by_name: dict[str, int | str] = {}
    for values in clean:
        sku = values.get("sku")
        if sku and sku in existing and values.get("product_name"):
            product_by_name.setdefault(values["product_name"].lower(), existing[sku].product_id)

    plan: list[dict] = []
    summary = {"products_created": 0, "variants_created": 0, "variants_updated": 0, "stock_counts": 0}
    new_products: set[str] = set()
    for values in clean:
        n, sku = values["_row"], values.get("sku")
        if not sku or not values.get("product_name"):
            continue
        # The same SKU on several rows (one per warehouse) must agree on everything but the stock.
        earlier = first_by_sku.get(sku)
        if earlier is not None:
            for col in COLUMNS:
                if col in ("warehouse", "on_hand"):
                    continue
                if values.get(col) is not None and earlier.get(col) is not None and values[col] != earlier[col]:
                    problem = _("Differs from row %(r)s for the same SKU.") % {"r": earlier["_row"]}
                    errors.append(RowError(n, col, problem))
        else:
            first_by_sku[sku] = values

        warehouse_code = values.get("warehouse")
        if values.get("on_hand") is not None or warehouse_code:
            if warehouse_code and warehouse_code not in warehouses:
                problem = _("No active warehouse with code %(c)r.") % {"c": warehouse_code}
                errors.append(RowError(n, "warehouse", problem))
                continue
            if values.get("on_hand") is None:
                errors.append(RowError(n, "on_hand", _("Give the stock for this warehouse.")))
                continue
            code = warehouse_code or (default.code if default else "")
            if not code:
                errors.append(RowError(n, "warehouse", _("There is no default warehouse; name one.")))
                continue
            if (sku, code) in stock_seen:
                errors.append(RowError(n, "warehouse", _("Row %(r)s already sets this SKU's stock here.")
                                       % {"r": stock_seen[(sku, code)]}))
                continue
            stock_seen[(sku, code)] = n
            level = levels.get((sku, code))
            if level is not None and values["on_hand"] < level.reserved:
                errors.append(RowError(n, "on_hand", _("%(r)s units are reserved for orders; on hand cannot be less.")
                                       % {"r": level.reserved}))
                continue
            values["_warehouse"] = code

        action = {"row": n, "sku": sku, "changes": []}
        variant = existing.get(sku)
        if variant is None:
            if earlier is None:
                key = values["product_name"].lower()
                if key not in product_by_name:
                    found = Product.objects.filter(name__iexact=values["product_name"]).order_by("pk").first()
                    product_by_name[key] = found.pk if found else f"new:{key}"
                if product_by_name[key] == f"new:{key}" and key not in new_products:
                    new_products.add(key)
                    summary["products_created"] += 1
                    action["changes"].append(_("new product %(p)s") % {"p": values["product_name"]})
                summary["variants_created"] += 1
                action["changes"].append(_("new variant"))
        elif earlier is None:
            diffs = []
            for col, attr in {**VARIANT_COLUMNS, "price_amount": "price_amount", "cost_amount": "cost_amount"}.items():
                if values.get(col) is not None and getattr(variant, attr) != values[col]:
                    diffs.append(f"{col}: {getattr(variant, attr)} → {values[col]}")
            for col, attr in {**PRODUCT_COLUMNS, "product_name": "name"}.items():
                if values.get(col) is not None and getattr(variant.product, attr) != values[col]:
                    diffs.append(f"{col}: {getattr(variant.product, attr)} → {values[col]}")
            if diffs:
                summary["variants_updated"] += 1
                action["changes"].extend(diffs)
        if values.get("_warehouse"):
            level = levels.get((sku, values["_warehouse"]))
            before = level.on_hand if level else 0
            if before != values["on_hand"]:
                summary["stock_counts"] += 1
                action["changes"].append(
                    _("stock %(w)s: %(a)s → %(b)s") % {"w": values["_warehouse"], "a": before, "b": values["on_hand"]}
                )
        action["values"] = {k: v for k, v in values.items() if not k.startswith("_") or k == "_warehouse"}
        plan.append(action)
    errors.sort(key=lambda e: (e.row, COLUMNS.index(e.column) if e.column in COLUMNS else -1))
    return plan, errors, summary


def catalog_import_prepare(*, filename: str, content: bytes, actor=None) -> CatalogImport:
    """Read and check a file; store the preview (or the errors). Nothing in the catalog changes."""
    rows, errors = read_table(filename=filename, content=content)
    plan, plan_errors, summary = plan_rows(rows) if rows or not errors else ([], [], {})
    errors = errors + plan_errors
    if not rows and not errors:
        errors = [RowError(2, "", _("The file has no data rows."))]
    return CatalogImport.objects.create(
        filename=filename[:255],
        status=CatalogImport.Status.INVALID if errors else CatalogImport.Status.PREVIEW,
        rows=[dict(r.items()) for r in rows],
        errors=[e.as_dict() for e in errors],
        summary={**summary, "plan": [{"row": a["row"], "sku": a["sku"], "changes": a["changes"]} for a in plan]},
        created_by=actor,
    )


def catalog_import_apply(*, import_id: int, actor=None) -> CatalogImport:
    """Apply a previewed import in one transaction; any error (found again now) changes nothing."""
    from catalog.services.products import variant_cost_set, variant_price_set
    from catalog.services.stock import stock_count

    record = CatalogImport.objects.get(pk=import_id)
    if record.status == CatalogImport.Status.APPLIED:
        raise Conflict(_("This import was already applied."))
    if record.status != CatalogImport.Status.PREVIEW:
        raise ImportHasErrors(_("Fix the file and upload it again; this one has errors."))
    plan, errors, summary = plan_rows(record.rows)
    if errors:
        record.status = CatalogImport.Status.INVALID
        record.errors = [e.as_dict() for e in errors]
        record.save(update_fields=["status", "errors"])
        raise ImportHasErrors(_("The catalog changed since the preview; the file now has errors."))
    reference = f"import:{record.pk}"
    try:
        with transaction.atomic():
            claimed = CatalogImport.objects.filter(pk=record.pk, status=CatalogImport.Status.PREVIEW).update(
                status=CatalogImport.Status.APPLIED, applied_at=timezone.now()
            )
            if not claimed:
                raise Conflict(_("This import was already applied."))
            products: dict[str, Product] = {}
            counts: list[tuple[int, int, int]] = []
            warehouses = {w.code: w for w in Warehouse.objects.filter(is_active=True)}
            for action in plan:
                v = action["values"]
                variant = ProductVariant.objects.select_related("product").filter(sku=v["sku"]).first()
                if variant is None:
                    key = v["product_name"].lower()
                    product = products.get(key) or Product.objects.filter(name__iexact=v["product_name"]).order_by(
                        "pk").first()
                    if product is None:
                        product = Product(name=v["product_name"])
                        for col, attr in PRODUCT_COLUMNS.items():
                            if v.get(col) is not None:
                                setattr(product, attr, v[col])
                        product.full_clean()
                        product.save()
                    products[key] = product
                    variant = ProductVariant(product=product, sku=v["sku"])
                    for col, attr in VARIANT_COLUMNS.items():
                        if v.get(col) is not None:
                            setattr(variant, attr, v[col])
                    variant.full_clean()
                    variant.save()
                else:
                    product = variant.product
                    products.setdefault(v["product_name"].lower(), product)
                    changed = []
                    for col, attr in {**PRODUCT_COLUMNS, "product_name": "name"}.items():
                        if v.get(col) is not None and getattr(product, attr) != v[col]:
                            setattr(product, attr, v[col])
                            changed.append(attr)
                    if changed:
                        product.full_clean()
                        product.save(update_fields=[*changed, "updated_at"])
                    changed = []
                    for col, attr in VARIANT_COLUMNS.items():
                        if v.get(col) is not None and getattr(variant, attr) != v[col]:
                            setattr(variant, attr, v[col])
                            changed.append(attr)
                    if changed:
                        variant.full_clean()
                        variant.save(update_fields=changed)
                if v.get("price_amount") is not None:
                    variant_price_set(variant_id=variant.pk, price_amount=v["price_amount"], actor=actor)
                if v.get("cost_amount") is not None:
                    variant_cost_set(variant_id=variant.pk, cost_amount=v["cost_amount"], actor=actor,
                                     note=_("Import %(f)s") % {"f": record.filename})
                if v.get("_warehouse"):
                    counts.append((variant.pk, warehouses[v["_warehouse"]].pk, v["on_hand"]))
            # Stock rows are locked in (variant, warehouse) order, like every other stock change.
            for variant_id, warehouse_id, on_hand in sorted(counts):
                level = StockLevel.objects.filter(variant_id=variant_id, warehouse_id=warehouse_id).first()
                if level is None or level.on_hand != on_hand:
                    stock_count(variant_id=variant_id, warehouse_id=warehouse_id, counted_quantity=on_hand,
                                actor=actor, reference=reference, reason=_("Import %(f)s") % {"f": record.filename})
    except (DomainError, ValueError) as exc:
        if isinstance(exc, Conflict):
            raise
        message = getattr(exc, "message", None) or "; ".join(getattr(exc, "messages", [str(exc)]))
        record.status = CatalogImport.Status.INVALID
        record.errors = [RowError(0, "", message).as_dict()]
        record.save(update_fields=["status", "errors"])
        raise ImportHasErrors(message) from exc
    record.refresh_from_db()
    record.summary = {**summary, "plan": record.summary.get("plan", [])}
    record.save(update_fields=["summary"])
    return record


# --- Export -------------------------------------------------------------------------------------


def catalog_export_rows() -> list[list]:
    """The export table: the header, then one row per variant and warehouse (or one without stock)."""
    table: list[list] = [list(COLUMNS)]
    variants = ProductVariant.objects.select_related("product").prefetch_related("stock_levels__warehouse")
    for v in variants.order_by("product__name", "sku"):
        p = v.product
        base = [p.name, p.category, p.brand, p.description, p.weight_grams, v.sku, v.name, v.barcode,
                v.price_amount, v.cost_amount, v.low_stock_threshold]
        levels = sorted(v.stock_levels.all(), key=lambda lvl: (not lvl.warehouse.is_default, lvl.warehouse.code))
        if not levels:
            table.append([*base, "", ""])
        for level in levels:
            table.append([*base, level.warehouse.code, level.on_hand])
    return table


def catalog_export_csv() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in catalog_export_rows():
        writer.writerow(row)
    return out.getvalue().encode("utf-8-sig")


def catalog_export_xlsx() -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "catalog"
    for row in catalog_export_rows():
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def import_template_csv() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerow(["Kaos Polos Premium", "Pakaian", "Rumah Kita", "Katun combed 30s", 200, "KPP-HTM-L", "Hitam / L",
                     "8991234567890", 79000, 38000, 5, "utama", 24])
    return out.getvalue().encode("utf-8-sig")
