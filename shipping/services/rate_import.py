"""Rate tables imported from CSV or XLSX: every row checked, every problem named by row and column,
and nothing imported when any row is bad.

Columns (header row 1, any order, case-insensitive; Indonesian names accepted):
courier, service, province, city, district, price_per_kg, etd_min, etd_max. `city` and `district`
may be empty (the whole province or city). Prices accept "9000", "9.000", "Rp 9.000".
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from core import spreadsheets
from core.errors import DomainError
from core.money import AmountError, parse_idr
from shipping.models import CourierService, Rate, RateTable
from shipping.services.rates import area_key

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 50_000
READ_LIMITS = spreadsheets.Limits(max_rows=MAX_ROWS + 1, max_columns=30, max_cell_chars=500, max_seconds=30.0)
MAX_ERRORS = 200
COLUMNS = ("courier", "service", "province", "city", "district", "price_per_kg", "etd_min", "etd_max")
REQUIRED = ("courier", "service", "province", "price_per_kg")
ALIASES = {
    "kurir": "courier", "ekspedisi": "courier", "layanan": "service", "provinsi": "province",
    "kota": "city", "kabupaten/kota": "city", "kota/kabupaten": "city", "kecamatan": "district",
    "harga_per_kg": "price_per_kg", "tarif": "price_per_kg", "tarif_per_kg": "price_per_kg", "price": "price_per_kg",
    "etd_minimum": "etd_min", "etd_maksimum": "etd_max",
}


@dataclass(frozen=True)
class RateRowError:
    row: int
    column: str  # "C (price_per_kg)", or "" for the whole file
    problem: str

    def __str__(self) -> str:
        where = _("row %(row)s") % {"row": self.row} if self.row else _("file")
        if self.column:
            where += ", " + _("column %(col)s") % {"col": self.column}
        return f"{where}: {self.problem}"


class RateImportError(DomainError):
    code = "rate_import_invalid"

    def __init__(self, errors: list[RateRowError]) -> None:
        shown = errors[:MAX_ERRORS]
        super().__init__(_("The rate table has %(n)s problems; nothing was imported.") % {"n": len(errors)},
                         detail={"errors": [str(e) for e in shown]})
        self.errors = shown


def _letter(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return " ".join(str(value).split())


def read_rows(*, filename: str, content: bytes) -> tuple[list[list[str]], list[RateRowError]]:
    """The file's rows as text cells, read within READ_LIMITS by core.spreadsheets, or the errors."""
    if len(content) > MAX_FILE_BYTES:
        return [], [RateRowError(0, "", _("The file is larger than 5 MB."))]
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        kind = "xlsx"
    elif name.endswith((".csv", ".txt")):
        kind = "csv"
    else:
        return [], [RateRowError(0, "", _("Upload a .csv or .xlsx file."))]
    try:
        table = [[_cell(c) for c in row] for row in spreadsheets.read_rows(content, limits=READ_LIMITS, kind=kind)]
    except spreadsheets.TableError as exc:  # a broken or oversized upload is a clear error, never a 500
        if exc.row > READ_LIMITS.max_rows:  # counted in rate rows, the header aside
            return [], [RateRowError(0, "", _("At most %(n)s rate rows per file; split it into smaller files.")
                                     % {"n": f"{MAX_ROWS:,}".replace(",", ".")})]
        return [], [RateRowError(exc.row, "", exc.message)]
    if not table or not any(table[0]):
        return [], [RateRowError(1, "", _("The file is empty."))]
    return table, []


def _price(text: str) -> int:
    try:
        return parse_idr(text, min_amount=0)
    except AmountError as exc:
        raise ValueError(exc.message) from None


def plan_rate_rows(table: list[list[str]]) -> tuple[list[Rate], list[RateRowError]]:
    """Rate rows (unsaved) from a read table, or the errors; the rows need a table to be saved."""
    header = [ALIASES.get(h.strip().lower().replace(" ", "_"), h.strip().lower().replace(" ", "_"))
              for h in table[0]]
    errors = [RateRowError(1, "", _("Required column %(col)s is missing.") % {"col": col})
              for col in REQUIRED if col not in header]
    errors += [RateRowError(1, f"{_letter(i)} ({h})", _("Unknown column."))
               for i, h in enumerate(header) if h and h not in COLUMNS]
    if errors:
        return [], errors
    index = {h: i for i, h in enumerate(header) if h}
    services = {(s.courier.code, s.code): s for s in CourierService.objects.select_related("courier")}
    by_name = {(s.courier.name.lower(), s.name.lower()): s for s in services.values()}
    rates: list[Rate] = []
    seen: dict[tuple, int] = {}
    for number, raw in enumerate(table[1:], start=2):
        if not any(raw):
            continue

        def cell(col: str, raw=raw) -> str:
            i = index.get(col)
            return raw[i].strip() if i is not None and i < len(raw) else ""

        def where(col: str) -> str:
            return f"{_letter(index[col])} ({col})"

        row_errors = []
        courier, service_code = cell("courier").lower(), cell("service").lower()
        service = services.get((courier, service_code)) or by_name.get((courier, service_code))
        if not courier:
            row_errors.append(RateRowError(number, where("courier"), _("The courier is empty.")))
        elif service is None:
            row_errors.append(RateRowError(number, where("service"), _("No service %(s)s of courier %(c)s; add it "
                                                                       "on the couriers page first.")
                                           % {"s": cell("service") or "-", "c": cell("courier")}))
        if not cell("province"):
            row_errors.append(RateRowError(number, where("province"), _("The province is empty.")))
        if cell("district") and not cell("city"):
            row_errors.append(RateRowError(number, where("city"), _("A district needs its city.")))
        try:
            price = _price(cell("price_per_kg"))
            if price <= 0 or price > 10_000_000:
                raise ValueError
        except ValueError:
            price = 0
            row_errors.append(RateRowError(number, where("price_per_kg"),
                                           _("%(v)s is not a price per kg in rupiah (e.g. 9000 or 9.000).")
                                           % {"v": cell("price_per_kg") or _("empty")}))
        etd = {}
        for col in ("etd_min", "etd_max"):
            text = cell(col)
            if not text:
                etd[col] = None
                continue
            if not (text.isascii() and text.isdigit()) or int(text) > 60:
                row_errors.append(RateRowError(number, where(col), _("%(v)s is not a number of days.") % {"v": text}))
                etd[col] = None
            else:
                etd[col] = int(text)
        if etd.get("etd_min") is not None and etd.get("etd_max") is not None and etd["etd_min"] > etd["etd_max"]:
            row_errors.append(RateRowError(number, where("etd_max"), _("The maximum is below the minimum.")))
        if row_errors:
            errors.extend(row_errors)
            if len(errors) >= MAX_ERRORS:
                break
            continue
        key = (service.pk, area_key(cell("province")), area_key(cell("city")), area_key(cell("district")))
        if key in seen:
            errors.append(RateRowError(number, "", _("The same service and area as row %(n)s.") % {"n": seen[key]}))
            continue
        seen[key] = number
        destination = ", ".join(p for p in (cell("district"), cell("city"), cell("province")) if p)
        rates.append(Rate(service=service, province_key=key[1], city_key=key[2], district_key=key[3],
                          destination=destination[:300], price_per_kg_amount=price, etd_min_days=etd["etd_min"],
                          etd_max_days=etd["etd_max"]))
    if not rates and not errors:
        errors.append(RateRowError(2, "", _("The file has no rates.")))
    return rates, errors


def rate_table_import(*, name: str, origin_city: str, filename: str, content: bytes, actor=None,
                      replace_active: bool = True) -> RateTable:
    """Import a whole rate card as a new table (the previous active table of the same origin is
    switched off when `replace_active`). Any bad row: RateImportError, nothing written."""
    name, origin_city = (name or "").strip(), (origin_city or "").strip()
    problems = []
    if not name:
        problems.append(RateRowError(0, "", _("Give the table a name.")))
    if not origin_city:
        problems.append(RateRowError(0, "", _("Say which city the parcels are sent from.")))
    table, read_errors = read_rows(filename=filename, content=content)
    problems += read_errors
    if problems:
        raise RateImportError(problems)
    rates, errors = plan_rate_rows(table)
    if errors:
        raise RateImportError(errors)
    origin = area_key(origin_city)
    with transaction.atomic():
        if replace_active:
            RateTable.objects.filter(is_active=True, origin_city__iexact=origin_city).update(is_active=False)
        rate_table = RateTable.objects.create(name=name[:120], filename=(filename or "")[:255], origin_city=origin_city,
                                              row_count=len(rates), created_by=actor if getattr(
                                                  actor, "is_authenticated", False) else None)
        for rate in rates:
            rate.table = rate_table
            rate.origin_key = origin
        Rate.objects.bulk_create(rates, batch_size=2000)
    return rate_table


TEMPLATE_CSV = (
    "courier,service,province,city,district,price_per_kg,etd_min,etd_max\n"
    "jne,reg,Jawa Barat,Kota Bandung,,9000,1,2\n"
    "jne,reg,Jawa Barat,,,11000,2,3\n"
    "sicepat,reg,Bali,Kota Denpasar,,24000,2,3\n"
)
