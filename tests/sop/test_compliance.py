"""SOP compliance measured from the orders' and payments' events through the deadline engine."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from catalog.services import stock_receive
from core import roles
from orders.services import CustomerInput, LineInput, order_confirm, order_create, order_mark_paid
from sop import selectors
from sop.handbook_id import handbook_load
from sop.models import Target
from sop.services.summary import weekly_summary_send
from tests.catalog.factories import VariantFactory
from tests.factories import ChannelFactory

WIB = ZoneInfo("Asia/Jakarta")
pytestmark = pytest.mark.django_db


@pytest.fixture
def orders(make_user):
    """Two paid orders on Monday 6 April 2026: one confirmed in 40 working minutes, one the next morning."""
    handbook_load()
    cs = make_user(roles.CUSTOMER_SERVICE, username="cs-rina", first_name="Rina")
    channel = ChannelFactory(code="WEB")
    variant = VariantFactory(sku="KAOS-C")
    stock_receive(variant_id=variant.pk, quantity=10, reason="awal")
    made = []
    for paid_at, confirmed_at in (
        (datetime(2026, 4, 6, 9, 0, tzinfo=WIB), datetime(2026, 4, 6, 9, 40, tzinfo=WIB)),
        # paid 11:50, lunch 12-13 does not count: due 13:50; confirmed 14:30 is late
        (datetime(2026, 4, 6, 11, 50, tzinfo=WIB), datetime(2026, 4, 6, 14, 30, tzinfo=WIB)),
    ):
        with time_machine.travel(paid_at - timedelta(minutes=5), tick=False):
            order = order_create(channel_id=channel.pk, lines=[LineInput(variant_id=variant.pk, quantity=1)],
                                 customer=CustomerInput(name="Budi", phone="081299990000"))
        with time_machine.travel(paid_at, tick=False):
            order_mark_paid(order_id=order.pk, source="gateway")
        with time_machine.travel(confirmed_at, tick=False):
            order_confirm(order_id=order.pk, actor=cs)
        made.append(order)
    return made


def test_confirm_within_one_working_hour_counts_lunch_as_closed(orders):
    target = Target.objects.get(metric="order_confirm")
    with time_machine.travel(datetime(2026, 4, 8, 9, 0, tzinfo=WIB)):
        result = selectors.target_compliance(target=target, start=date(2026, 4, 6), end=date(2026, 4, 6))

    assert result.available and (result.total, result.met) == (2, 1)
    assert result.share == 50
    assert [b["ref"] for b in result.breaches] == [orders[1].number]
    assert result.breaches[0]["url"].endswith(f"/orders/{orders[1].pk}/")
    assert result.breaches[0]["late_minutes"] == 40
    assert result.by_staff[0]["staff"] == "Rina"


def test_the_compliance_page_links_each_breach_to_its_order(orders, client, owner):
    client.force_login(owner)
    page = client.get("/dashboard/sop/compliance/?start=2026-04-06&end=2026-04-06")
    assert page.status_code == 200
    assert f'data-breach="{orders[1].number}"'.encode() in page.content
    assert client.get("/dashboard/sop/compliance/?start=2026-04-07&end=2026-04-01").status_code == 400


def test_targets_of_apps_not_installed_say_so(orders):
    from django.apps import apps

    target = Target.objects.get(metric="complaint_first_reply")
    result = selectors.target_compliance(target=target, start=date(2026, 4, 6), end=date(2026, 4, 6))
    installed = any(m.__name__ == "Case" for m in apps.get_app_config("aftersales").get_models())
    if not installed:
        assert not result.available
        assert "aftersales" in result.message
        assert result.total == 0 and result.share is None


def test_the_weekly_summary_names_the_worst_steps_with_their_handbook_lines_once(orders, make_user):
    make_user(roles.OWNER, username="pemilik", email="pemilik@toko.id")
    with time_machine.travel(datetime(2026, 4, 13, 7, 0, tzinfo=WIB)):
        assert weekly_summary_send() == 1
        assert weekly_summary_send() == 0  # the same week is not sent twice

    message = mail.outbox[0]
    assert message.to == ["pemilik@toko.id"]
    assert "Konfirmasi pesanan baru" in message.body
    assert "paling lambat 1 jam kerja" in message.body  # the handbook line the breach breaks
    assert orders[1].number in message.body
