"""A report table's cells: escaped text, right-aligned formatted numbers, links where the table
links a column (the _table.html row, rendered by the report_cells tag)."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import translation

from analytics.reports.base import Column, Table


def test_cells_escape_text_format_numbers_and_link_the_linked_column():
    table = Table(
        key="orders", title="Orders",
        columns=[Column("number", "Order", "text"), Column("net", "Net", "money"), Column("share", "Share", "percent")],
        rows=[{"number": "<b>SO-1</b>", "url": "/dashboard/orders/1/?a=1&b=2", "net": 1_250_000, "share": 12.5},
              {"number": "SO-2", "url": "", "net": None, "share": None}],
        links={"number": "url"},
    )

    with translation.override("id"):
        html = render_to_string("analytics/_table.html", {"table": table})

    assert '<td data-col="number"><a href="/dashboard/orders/1/?a=1&amp;b=2">&lt;b&gt;SO-1&lt;/b&gt;</a></td>' in html
    assert '<td class="text-end money" data-col="net">Rp 1.250.000</td>' in html
    assert '<td class="text-end money" data-col="share">12,5 %</td>' in html
    assert '<td class="text-end money" data-col="net">–</td>' in html  # nothing to show is a dash
    assert "<b>" not in html
