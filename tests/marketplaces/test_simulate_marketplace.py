from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from channels import selectors
from channels.models import Channel
from core.models import InboundDelivery
from orders.models import Order

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("provider", ["shopee", "lazada", "tokopedia"])
def test_the_simulator_streams_signed_pushes_that_become_orders(make_channel, make_variant, live_server, monkeypatch,
                                                                provider):
    # given a channel (without working credentials) and products in the catalog
    channel = make_channel(provider, api_base_url="https://partner.shopeemobile.com", callback_url="")
    before = Channel.objects.get(pk=channel.pk)
    make_variant("KAOS-HITAM-L", stock=50)
    make_variant("KAOS-PUTIH-M", stock=50)
    monkeypatch.setattr(selectors, "PUSH_LOOKUP_TTL", 0)
    out = StringIO()
    # when the simulator sends a dozen pushes to the running app
    call_command("simulate_marketplace", provider=provider, url=live_server.url, count=12, rate=50, linger=0,
                 seed=7, stdout=out)
    # then every push was accepted and processed into orders
    assert out.getvalue().count(": 200") == 12
    assert InboundDelivery.objects.filter(status="processed").count() == 12
    assert Order.objects.filter(channel=channel).count() >= 5
    # and the channel's settings are restored
    after = Channel.objects.get(pk=channel.pk)
    assert (after.api_base_url, after.callback_url, after.credentials_token) == (
        before.api_base_url, before.callback_url, before.credentials_token
    )


def test_the_simulator_needs_a_channel_and_bounded_numbers(db):
    with pytest.raises(CommandError, match="No active shopee channel"):
        call_command("simulate_marketplace", count=1)
    with pytest.raises(CommandError, match="--count"):
        call_command("simulate_marketplace", count=0)
