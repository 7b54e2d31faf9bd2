"""core.drain.Drain: the one debounced drain every app's drain uses (catalog stock push,
marketplace pushes, notification triggers), and its one way of failing."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from core import drain as drain_module
from core.drain import Drain, backoff_seconds


class FakeTask:
    def __init__(self) -> None:
        self.queued: list[tuple] = []

    def delay(self, *args):
        self.queued.append((args, None))

    def apply_async(self, args=(), countdown=None):
        self.queued.append((tuple(args), countdown))


@pytest.fixture
def task():
    return FakeTask()


@pytest.fixture
def make(task):
    made = []

    def make_drain(**options) -> Drain:
        drain = Drain(key="test:drain", task=lambda: task, **options)
        made.append(drain)
        return drain

    yield make_drain
    cache.delete_many(["test:drain", "test:drain:7", "test:drain:failures", "test:drain:retry",
                       "test:drain:7:retry", "test:drain:7:failures"])


def test_many_marks_queue_one_drain_until_it_has_run(make, task):
    drain = make()

    assert [drain.wake() for _ in range(5)] == [True, False, False, False, False]
    assert task.queued == [((), None)]

    drain.run(claim=lambda: [], process=len)
    assert drain.wake() is True
    assert len(task.queued) == 2


def test_a_debounced_drain_is_queued_after_its_delay_with_its_arguments(make, task):
    drain = make(delay=5)

    drain.wake(7, scope=7)

    assert task.queued == [((7,), 5)]


def test_the_drain_claims_until_nothing_is_left_and_then_drops_the_marker(make, task):
    drain = make()
    drain.wake()
    work = [[1, 2], [3], [], [4]]  # [4] arrives after the first empty claim: the look after the drop sees it

    done = drain.run(claim=lambda: work.pop(0) if work else [], process=len)

    assert done == 4
    assert cache.get("test:drain") is None


def test_a_failed_batch_is_put_back_the_marker_dropped_and_the_drain_queued_again_with_backoff(make, task):
    drain = make()
    drain.wake()
    given_back = []

    def process(batch):
        raise ConnectionError("marketplace away")

    with pytest.raises(ConnectionError):
        drain.run(claim=lambda: [1, 2], process=process, release=given_back.extend)

    assert given_back == [1, 2]
    assert cache.get("test:drain") is None
    assert task.queued[-1] == ((), 30)
    # a second failure in a row waits twice as long
    cache.delete("test:drain:retry")
    with pytest.raises(ConnectionError):
        drain.run(claim=lambda: [1], process=process, release=given_back.extend)
    assert task.queued[-1] == ((), 60)


def test_a_drain_that_ends_well_resets_the_backoff(make, task):
    drain = make()
    drain.failed()
    drain.run(claim=lambda: [], process=len)
    cache.delete("test:drain:retry")

    assert drain.failed() == 30


def test_work_given_back_queues_one_delayed_drain_at_a_time(make, task):
    drain = make()

    assert drain.retry_later(7, scope=7, attempts=3) is True
    assert drain.retry_later(7, scope=7, attempts=1) is False
    assert task.queued == [((7,), 120)]
    drain.retry_taken(scope=7)
    assert drain.retry_later(7, scope=7, attempts=1) is True


def test_backoff_doubles_from_30_seconds_up_to_ten_minutes():
    assert [backoff_seconds(n) for n in (1, 2, 3, 4, 5, 6, 10)] == [30, 60, 120, 240, 480, 600, 600]


def test_an_unreachable_cache_leaves_the_work_to_the_sweep_instead_of_failing_the_write(make, task, monkeypatch):
    drain = make()

    def down(*args, **kwargs):
        raise ConnectionError("redis is away")

    monkeypatch.setattr(drain_module.cache, "add", down)

    assert drain.wake() is False
    assert task.queued == []


def test_a_broker_that_refuses_the_task_drops_the_marker_so_the_next_mark_tries_again(make, task, monkeypatch):
    drain = make()

    def refuse(*args):
        raise ConnectionError("broker away")

    monkeypatch.setattr(task, "delay", refuse)
    with pytest.raises(ConnectionError):
        drain.wake()

    assert cache.get("test:drain") is None


def test_the_claim_loop_without_resume_processes_late_work_once_and_stops_at_max_batches():
    # the marketplace push drain's use: on_idle once, late work still processed, no marker taken back
    from core.drain import claim_loop

    queue = [[1, 2], [], [3], []]
    idled = []

    def claim():
        return queue.pop(0) if queue else []

    assert claim_loop(claim=claim, process=len, on_idle=lambda: idled.append(1)) == (3, False)
    assert idled == [1] and queue == []

    queue[:] = [[1], [2], [3]]
    assert claim_loop(claim=claim, process=len, max_batches=2) == (2, True)
    assert queue == [[3]]
