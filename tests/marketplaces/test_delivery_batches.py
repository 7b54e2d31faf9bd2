"""A worker answers the waiting pushes of a channel together: one fetch per 50 orders."""

from __future__ import annotations

from core.models import InboundDelivery
from marketplaces import services
from orders.models import Order

Status = InboundDelivery.Status


def _store(fake, post_push, django_capture_on_commit_callbacks, order_ids):
    with django_capture_on_commit_callbacks(execute=False):
        for order_id in order_ids:
            assert post_push(fake, "shopee", order_id).status_code == 200
    return list(InboundDelivery.objects.order_by("pk").values_list("pk", flat=True))


def test_one_task_drains_the_waiting_pushes_of_its_channel_with_one_fetch(
    make_channel, fake, post_push, django_capture_on_commit_callbacks
):
    channel = make_channel("shopee", fake)
    for n in range(3):
        fake.put_order("shopee", f"BATCH{n}", status="READY_TO_SHIP")
    first, *others = _store(fake, post_push, django_capture_on_commit_callbacks, ["BATCH0", "BATCH1", "BATCH2"])

    assert services.delivery_process(delivery_id=first) == "processed"

    assert Order.objects.filter(channel=channel).count() == 3
    assert set(InboundDelivery.objects.values_list("status", flat=True)) == {Status.PROCESSED}
    assert [c[1] for c in fake.calls] == ["/shopee/api/v2/order/get_order_detail"]
    # and the tasks queued for the other pushes find nothing left to do
    assert [services.delivery_process(delivery_id=pk) for pk in others] == ["skipped", "skipped"]


def test_several_pushes_about_one_order_cost_one_fetch_and_one_upsert(
    make_channel, fake, post_push, django_capture_on_commit_callbacks
):
    channel = make_channel("shopee", fake)
    fake.put_order("shopee", "SAME", status="READY_TO_SHIP")
    first, *_ = _store(fake, post_push, django_capture_on_commit_callbacks, ["SAME", "SAME", "SAME"])
    fake.put_order("shopee", "SAME", status="SHIPPED")

    services.delivery_process(delivery_id=first)

    order = Order.objects.get(channel=channel)
    assert order.status == "shipped"
    assert InboundDelivery.objects.filter(status=Status.PROCESSED).count() == 3
    assert len(fake.calls) == 1


def test_a_missing_order_leaves_only_its_own_push_waiting(
    make_channel, fake, post_push, django_capture_on_commit_callbacks
):
    make_channel("shopee", fake)
    fake.put_order("shopee", "HERE", status="READY_TO_SHIP")
    fake.put_order("shopee", "GONE", status="READY_TO_SHIP")
    first, second = _store(fake, post_push, django_capture_on_commit_callbacks, ["HERE", "GONE"])
    del fake.orders[("shopee", "GONE")]

    assert services.delivery_process(delivery_id=first) == "processed"

    assert InboundDelivery.objects.get(pk=first).status == Status.PROCESSED
    waiting = InboundDelivery.objects.get(pk=second)
    assert waiting.status == Status.RECEIVED
    assert "GONE" in waiting.error


def test_pushes_of_another_channel_are_not_taken(make_channel, fake, post_push, django_capture_on_commit_callbacks):
    make_channel("shopee", fake)
    make_channel("tiktok", fake)
    fake.put_order("shopee", "S1", status="READY_TO_SHIP")
    fake.put_order("tiktok", "7001", status="AWAITING_SHIPMENT")
    with django_capture_on_commit_callbacks(execute=False):
        post_push(fake, "shopee", "S1")
        post_push(fake, "tiktok", "7001")
    shopee_delivery = InboundDelivery.objects.get(provider="shopee")

    services.delivery_process(delivery_id=shopee_delivery.pk)

    assert InboundDelivery.objects.get(provider="tiktok").status == Status.RECEIVED


def test_many_pushes_queue_one_drain_which_processes_them_all_and_lets_the_next_push_queue_again(
    make_channel, fake, post_push, django_capture_on_commit_callbacks, monkeypatch
):
    from django.core.cache import cache

    from marketplaces import tasks

    channel = make_channel("shopee", fake)
    for n in range(3):
        fake.put_order("shopee", f"DRAIN{n}", status="READY_TO_SHIP")
    queued: list[int] = []
    monkeypatch.setattr(tasks.deliveries_drain, "delay", lambda channel_id: queued.append(channel_id))
    # when three pushes arrive while no drain is running
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(3):
            post_push(fake, "shopee", f"DRAIN{n}")
    # then one drain is queued for the channel
    assert queued == [channel.pk]
    # and when it runs, every waiting push is processed with one fetch and the marker is gone
    assert tasks.deliveries_drain.run(channel.pk) == 3
    assert set(InboundDelivery.objects.values_list("status", flat=True)) == {Status.PROCESSED}
    assert len(fake.calls) == 1
    assert cache.get(tasks.DRAIN_KEY.format(channel_id=channel.pk)) is None
    # so the next push queues a new drain
    fake.put_order("shopee", "DRAIN9", status="READY_TO_SHIP")
    with django_capture_on_commit_callbacks(execute=True):
        post_push(fake, "shopee", "DRAIN9")
    assert queued == [channel.pk, channel.pk]


def test_a_push_that_failed_transiently_is_retried_later_with_backoff_not_by_the_drain(
    make_channel, fake, post_push, django_capture_on_commit_callbacks, delayed_retries
):
    from marketplaces import tasks

    channel = make_channel("shopee", fake)
    fake.put_order("shopee", "LATER", status="READY_TO_SHIP")
    fake.fail_next = 1
    retries = delayed_retries
    # when the drain meets a 503 from the marketplace
    with django_capture_on_commit_callbacks(execute=True):
        post_push(fake, "shopee", "LATER")
    # then the push waits, with a retry of the channel queued in 30 s
    delivery = InboundDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (Status.RECEIVED, 1)
    assert "503" in delivery.error
    assert retries == [((channel.pk,), 30)]
    assert tasks.deliveries_drain.run(channel.pk) == 0  # a drain does not loop on it
    # and the retry processes it
    assert tasks.deliveries_retry.run(channel.pk) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Status.PROCESSED, 2)


def test_a_push_failing_transiently_every_time_ends_failed_after_the_last_attempt(
    make_channel, fake, post_push, django_capture_on_commit_callbacks, delayed_retries
):
    from marketplaces import tasks

    channel = make_channel("shopee", fake)
    fake.put_order("shopee", "DOWN", status="READY_TO_SHIP")
    fake.fail_next = 1000
    with django_capture_on_commit_callbacks(execute=True):
        post_push(fake, "shopee", "DOWN")

    for attempt in range(1, services.DELIVERY_MAX_ATTEMPTS):
        # the backoff grows with each attempt: 30 s, 60 s, 120 s...
        assert delayed_retries[-1] == ((channel.pk,), min(30 * 2 ** (attempt - 1), 600))
        tasks.deliveries_retry.run(channel.pk)

    delivery = InboundDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (Status.FAILED, services.DELIVERY_MAX_ATTEMPTS)
    assert tasks.deliveries_retry.run(channel.pk) == 0


def test_a_backlog_starts_helper_drains_that_share_the_work(make_channel, fake, post_push,
                                                            django_capture_on_commit_callbacks, monkeypatch):
    from marketplaces import tasks

    channel = make_channel("shopee", fake)
    with django_capture_on_commit_callbacks(execute=False):
        for n in range(120):
            fake.put_order("shopee", f"BL{n:03d}", status="READY_TO_SHIP")
            post_push(fake, "shopee", f"BL{n:03d}")
    started: list[tuple] = []
    monkeypatch.setattr(tasks.deliveries_drain, "delay", lambda *args: started.append(args))
    monkeypatch.setattr(services, "DELIVERY_BACKLOG_BATCH", services.DELIVERY_BATCH)

    assert tasks.deliveries_drain.run(channel.pk) == 120

    assert started == [(channel.pk, 1), (channel.pk, 2)]  # one helper per full batch, up to the slots
    assert InboundDelivery.objects.filter(status=Status.PROCESSED).count() == 120
    assert Order.objects.filter(channel=channel).count() == 120


def test_once_a_pass_comes_back_full_the_next_passes_take_bigger_batches(
    make_channel, fake, post_push, django_capture_on_commit_callbacks, monkeypatch
):
    channel = make_channel("shopee", fake)
    monkeypatch.setattr(services, "DELIVERY_BATCH", 5)
    monkeypatch.setattr(services, "DELIVERY_BACKLOG_BATCH", 20)
    with django_capture_on_commit_callbacks(execute=False):
        for n in range(45):
            fake.put_order("shopee", f"BIG{n:03d}", status="READY_TO_SHIP")
            post_push(fake, "shopee", f"BIG{n:03d}")

    assert services.deliveries_drain(channel_id=channel.pk) == (45, False)

    # passes of 5, then 20 and 20: one order-detail call each
    assert len([c for c in fake.calls if c[1].endswith("get_order_detail")]) == 3
    assert Order.objects.filter(channel=channel, status="paid").count() == 45


def test_an_order_that_fails_in_a_batch_fails_only_its_own_push(
    make_channel, fake, post_push, django_capture_on_commit_callbacks, monkeypatch
):
    from orders.services import external

    channel = make_channel("shopee", fake)
    for order_id in ("OK1", "OK2"):
        fake.put_order("shopee", order_id, status="READY_TO_SHIP")
    fake.put_order("shopee", "BROKEN", status="TO_RETURN")
    real = external.map_provider_status

    def mapping(kind, status):
        if status == "TO_RETURN":
            raise RuntimeError("cannot map this order")
        return real(kind, status)

    # both the batch and its order-by-order fallback meet the broken order
    monkeypatch.setattr(external, "map_provider_status", mapping)
    ok1, broken, ok2 = _store(fake, post_push, django_capture_on_commit_callbacks, ["OK1", "BROKEN", "OK2"])

    assert services.deliveries_drain(channel_id=channel.pk) == (3, False)

    assert sorted(Order.objects.filter(channel=channel).values_list("external_id", "status")) == [
        ("OK1", "paid"), ("OK2", "paid")]
    assert InboundDelivery.objects.get(pk=ok1).status == Status.PROCESSED
    assert InboundDelivery.objects.get(pk=ok2).status == Status.PROCESSED
    failed = InboundDelivery.objects.get(pk=broken)
    assert failed.status == Status.FAILED and "cannot map this order" in failed.error


def test_a_batch_of_status_changes_costs_a_fixed_number_of_statements(
    make_channel, fake, post_push, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    channel = make_channel("shopee", fake)
    ids = [f"ST{n:03d}" for n in range(40)]
    for order_id in ids:
        fake.put_order("shopee", order_id, status="READY_TO_SHIP")
    _store(fake, post_push, django_capture_on_commit_callbacks, ids)
    services.deliveries_drain(channel_id=channel.pk)
    for order_id in ids:
        fake.put_order("shopee", order_id, status="TO_CONFIRM_RECEIVE")
    with django_capture_on_commit_callbacks(execute=False):
        for order_id in ids:
            post_push(fake, "shopee", order_id)

    # 21 whatever the number of pushes: the channel, the claim (5) and two empty claims at the
    # end (3 each), the batch (channel, savepoint pair, order locks, the reserved lines of the
    # orders that ship, one UPDATE, one event INSERT, notifications' read) and one UPDATE of the
    # deliveries; the fetch is HTTP
    with django_assert_max_num_queries(21):
        assert services.deliveries_drain(channel_id=channel.pk) == (40, False)
    assert Order.objects.filter(channel=channel, status="delivered").count() == 40
