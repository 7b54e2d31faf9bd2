"""The couriers and services every Indonesian shop starts with (a data migration loads them; the
seller edits them on the couriers page). Rounding thresholds: JNE does not charge up to 300 g above
a whole kilogram; the others here charge any excess as a kilogram unless the seller changes it."""

COURIERS = [
    # code, name, aliases, tracking page
    ("jne", "JNE", ["JNE Express", "JNE Reguler", "JNE REG"], "https://www.jne.co.id/tracking-package?resi={resi}"),
    ("jnt", "J&T Express", ["J&T", "JNT", "J&T Express Indonesia", "jnt express"], "https://jet.co.id/track?awb={resi}"),
    ("sicepat", "SiCepat", ["SiCepat Ekspres", "SiCepat REG", "SiCepat HALU"], "https://www.sicepat.com/checkAwb/{resi}"),
    ("anteraja", "AnterAja", ["Anter Aja"], "https://anteraja.id/tracking/{resi}"),
    ("pos", "Pos Indonesia", ["POS", "Pos Kilat Khusus", "PosIND"], "https://www.posindonesia.co.id/id/tracking/{resi}"),
    ("ninja", "Ninja Xpress", ["Ninja Van", "Ninja", "Ninja Express"], "https://www.ninjaxpress.co/id-id/tracking?id={resi}"),
    ("ide", "ID Express", ["IDExpress", "ID Express Indonesia"], "https://idexpress.com/lacak-paket/?data={resi}"),
    ("spx", "SPX Express", ["Shopee Express", "SPX", "SPX Standard", "SPX Hemat", "SPX Instant"], ""),
    ("lion", "Lion Parcel", ["Lion", "LionParcel"], "https://lionparcel.com/track/stt?q={resi}"),
    ("gojek", "GoSend", ["Gojek", "GoSend Instant", "GoSend Same Day"], ""),
    ("grab", "GrabExpress", ["Grab", "GrabExpress Instant", "GrabExpress Sameday"], ""),
]

SERVICES = [
    # courier, code, name, kind, divisor, min g, threshold g, cod, cod fee %, insurance, ins %, etd min, etd max
    ("jne", "reg", "REG", "regular", 6000, 1000, 300, True, "3", True, "0.2", 2, 3),
    ("jne", "yes", "YES", "express", 6000, 1000, 300, False, "0", True, "0.2", 1, 1),
    ("jne", "oke", "OKE", "economy", 6000, 1000, 300, True, "3", True, "0.2", 3, 6),
    ("jne", "jtr", "JTR (trucking)", "trucking", 4000, 10000, 300, False, "0", True, "0.2", 4, 8),
    ("jnt", "ez", "EZ", "regular", 6000, 1000, 0, True, "3", True, "0.2", 2, 3),
    ("sicepat", "reg", "REG", "regular", 6000, 1000, 0, True, "3", True, "0.2", 2, 3),
    ("sicepat", "best", "BEST", "express", 6000, 1000, 0, True, "3", True, "0.2", 1, 1),
    ("sicepat", "gokil", "GOKIL (cargo)", "trucking", 4000, 10000, 0, False, "0", True, "0.2", 3, 6),
    ("anteraja", "reg", "Reguler", "regular", 6000, 1000, 0, True, "3", True, "0.2", 2, 4),
    ("pos", "kilat", "Pos Kilat Khusus", "regular", 6000, 1000, 0, True, "2", True, "0.25", 2, 5),
    ("ninja", "standard", "Standard", "regular", 6000, 1000, 0, True, "3", True, "0.2", 2, 4),
    ("ide", "std", "Standard", "regular", 6000, 1000, 0, True, "3", True, "0.2", 2, 4),
    ("spx", "standard", "Standard", "regular", 6000, 1000, 0, True, "0", True, "0.2", 2, 4),
    ("lion", "regpack", "REGPACK", "regular", 6000, 1000, 0, True, "3", True, "0.2", 2, 4),
    ("gojek", "instant", "Instant", "instant", 6000, 1000, 0, False, "0", True, "0.2", 0, 0),
    ("grab", "instant", "Instant", "instant", 6000, 1000, 0, False, "0", True, "0.2", 0, 0),
]


def load(Courier, CourierService) -> None:
    """Create the couriers and services that do not exist yet (never overwrites the seller's edits)."""
    couriers = {}
    for code, name, aliases, url in COURIERS:
        couriers[code], _ = Courier.objects.get_or_create(
            code=code, defaults={"name": name, "aliases": aliases, "tracking_url": url})
    for (courier, code, name, kind, divisor, minimum, threshold, cod, cod_fee, insurance, insurance_pct, low,
         high) in SERVICES:
        CourierService.objects.get_or_create(
            courier=couriers[courier], code=code,
            defaults={"name": name, "kind": kind, "volumetric_divisor": divisor, "min_weight_grams": minimum,
                      "rounding_threshold_grams": threshold, "cod_available": cod, "cod_fee_percent": cod_fee,
                      "insurance_available": insurance, "insurance_percent": insurance_pct, "etd_min_days": low,
                      "etd_max_days": high})
