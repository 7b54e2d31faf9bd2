"""1,000 shipping labels in one PDF (target: <= 5 s, >= 200 labels/s on this machine).

Builds the labels' data in memory (no database: the PDF drawing is what is measured), draws them
with shipping.documents.labels_pdf, repeats `--runs` times and reports the best and median time,
labels per second, the file size, and checks the page count with pypdf.

    nice .venv/bin/python bench/labels.py --labels 1000 --runs 5 [--format a6]
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--format", default="thermal", choices=["thermal", "a6"])
    args = parser.parse_args()

    import django

    django.setup()
    import pypdf
    from django.utils import translation

    from shipping.documents import LabelData, labels_pdf

    labels = [
        LabelData(
            shipment_number=f"WEB-261204-{n:06d}-1", order_number=f"WEB-261204-{n:06d}", channel_name="Website",
            courier_name=("JNE", "J&T Express", "SiCepat")[n % 3], service_name="REG",
            tracking_number=f"CM{n:012d}", sort_code="CGK-BDO-01" if n % 2 else "", sender_name="Toko Rumah Kita",
            sender_phone="081288889999", sender_city="Jakarta Barat", recipient_name=f"Pembeli {n}",
            recipient_phone="+6281255556666",
            recipient_address="Jl. Melati No. 5, RT 02/RW 03, Kel. Lebakgede, Kec. Coblong, dekat masjid",
            recipient_area="Kota Bandung, Jawa Barat, 40132", cod_amount=182_000 if n % 4 == 0 else 0,
            weight_grams=1250, items=[("KAOS-HITAM-L", 2), ("TOPI-01", 1)],
        )
        for n in range(args.labels)
    ]
    times = []
    pdf = b""
    with translation.override("id"):
        for _run in range(args.runs):
            started = time.perf_counter()
            pdf = labels_pdf(labels, fmt=args.format)
            times.append(time.perf_counter() - started)
    pages = len(pypdf.PdfReader(io.BytesIO(pdf)).pages)
    expected = args.labels if args.format == "thermal" else -(-args.labels // 4)
    assert pages == expected, (pages, expected)
    best, median = min(times), statistics.median(times)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}")
    print(f"{args.labels} labels ({args.format}) in one PDF: best {best:.2f} s, median {median:.2f} s "
          f"({args.labels / median:.0f} labels/s median), {pages} pages, {len(pdf) / 1024:.0f} KiB; "
          f"runs: {', '.join(f'{t:.2f}' for t in times)}")


if __name__ == "__main__":
    main()
