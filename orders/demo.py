"""Demo customers with Indonesian names, cities and mobile numbers."""

from core.phones import normalize_phone
from orders.models import Customer

FIRST = ["Budi", "Siti", "Agus", "Dewi", "Rina", "Andi", "Putri", "Joko", "Ayu", "Fajar", "Indah", "Rudi",
         "Lestari", "Hendra", "Wulan", "Bayu", "Nurul", "Yusuf", "Maya", "Dimas", "Ratna", "Eko", "Sari", "Arif"]
LAST = ["Santoso", "Wijaya", "Pratama", "Saputra", "Hidayat", "Kusuma", "Lestari", "Nugroho", "Siregar",
        "Simanjuntak", "Wibowo", "Setiawan", "Halim", "Gunawan", "Permata", "Rahmawati", "Susanto", "Harahap"]
CITIES = [("Jakarta Selatan", "DKI Jakarta"), ("Bandung", "Jawa Barat"), ("Surabaya", "Jawa Timur"),
          ("Medan", "Sumatera Utara"), ("Semarang", "Jawa Tengah"), ("Makassar", "Sulawesi Selatan"),
          ("Yogyakarta", "DI Yogyakarta"), ("Denpasar", "Bali"), ("Bekasi", "Jawa Barat"),
          ("Tangerang", "Banten"), ("Palembang", "Sumatera Selatan"), ("Malang", "Jawa Timur"),
          ("Balikpapan", "Kalimantan Timur"), ("Depok", "Jawa Barat"), ("Bogor", "Jawa Barat")]
PREFIXES = ["0812", "0813", "0821", "0852", "0857", "0878", "0877", "0896", "0881", "0838"]


def seed(ctx) -> None:
    rng = ctx.rng
    customers = []
    seen = set()
    while len(customers) < 60:
        phone = normalize_phone(rng.choice(PREFIXES) + "".join(str(rng.randint(0, 9)) for _ in range(8)))
        if phone in seen:
            continue
        seen.add(phone)
        first, last = rng.choice(FIRST), rng.choice(LAST)
        city, province = rng.choice(CITIES)
        email = f"{first}.{last}{rng.randint(1, 99)}@example.id".lower() if rng.random() < 0.6 else ""
        customers.append(Customer(name=f"{first} {last}", phone=phone, email=email, city=city, province=province))
    Customer.objects.bulk_create(customers, ignore_conflicts=True)
    ctx.say(f"{len(customers)} customers")
