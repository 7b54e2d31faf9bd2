import pytest

from shipping.models import Shipment, ShipmentStatus, TrackingEvent
from shipping.services.polling import RateLimiter, tracking_poll_account
from tests.fakes.aggregator import BITESHIP_KEY, FakeAggregator
from tests.shipping.factories import account

pytestmark = pytest.mark.django_db


def test_the_poll_records_each_event_once_and_moves_the_parcels(shipped):
    with FakeAggregator() as fake:
        biteship = account("biteship", base_url=fake.url, api_key=BITESHIP_KEY, requests_per_second=50)
        shipments = [shipped(f"CM-P{n}") for n in range(3)]
        Shipment.objects.filter(pk__in=[s.pk for s in shipments]).update(account=biteship)
        fake.tracking["CM-P0"] = ("delivered", [{"note": "Diterima", "status": "delivered",
                                                 "updated_at": "2026-11-21T10:00:00+07:00"}])
        first = tracking_poll_account(account_id=biteship.pk, sleep=lambda s: None)
        Shipment.objects.update(last_polled_at=None)
        second = tracking_poll_account(account_id=biteship.pk, sleep=lambda s: None)
    assert (first.asked, first.errors) == (3, 0)
    assert first.recorded == 5 and second.recorded == 0
    assert Shipment.objects.get(tracking_number="CM-P0").status == ShipmentStatus.DELIVERED
    assert Shipment.objects.get(tracking_number="CM-P1").status == ShipmentStatus.IN_TRANSIT
    assert TrackingEvent.objects.count() == 5


def test_a_failing_provider_is_counted_and_the_shipments_wait_for_the_next_run(shipped):
    with FakeAggregator() as fake:
        fake.mode = "down"
        biteship = account("biteship", base_url=fake.url, api_key=BITESHIP_KEY, requests_per_second=50)
        shipment = shipped("CM-DOWN")
        Shipment.objects.filter(pk=shipment.pk).update(account=biteship)
        result = tracking_poll_account(account_id=biteship.pk, sleep=lambda s: None)
    assert result.errors == 1 and "HTTP 500" in result.error_samples[0]
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.PICKED_UP and shipment.last_polled_at is not None


def test_the_rate_limiter_spaces_calls_to_the_limit():
    clock = [0.0]
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        clock[0] += seconds

    limiter = RateLimiter(4, clock=lambda: clock[0], sleep=sleep)
    for _n in range(9):
        limiter.wait()
    assert clock[0] == pytest.approx(2.0)  # 9 calls at 4/s: the 9th starts after 2 s
