"""Background work: failures are recorded as dead letters and can be sent again.

The worker test runs a real Celery worker thread against the configured broker (Redis in CI).
"""

import threading

import pytest
from celery import shared_task
from celery.contrib.testing.worker import start_worker

from core import services
from core.errors import Conflict
from core.models import TaskFailure
from oms.celery import app

_attempts: dict[str, int] = {}
_done = threading.Event()


@shared_task(name="tests.flaky_once", max_retries=0)
def flaky_once(key: str) -> str:
    _attempts[key] = _attempts.get(key, 0) + 1
    if _attempts[key] == 1:
        raise RuntimeError(f"first attempt for {key} fails")
    _done.set()
    return "ok"


@shared_task(name="tests.always_fails", bind=True, autoretry_for=(ValueError,), max_retries=2,
             retry_backoff=False, default_retry_delay=0)
def always_fails(self, order_id: int) -> None:
    raise ValueError(f"order {order_id} cannot be processed")


@pytest.mark.django_db
def test_a_task_that_exhausts_its_retries_leaves_a_failure_row():
    app.conf.task_eager_propagates = False
    try:
        result = always_fails.apply(args=(42,))
    finally:
        app.conf.task_eager_propagates = True

    assert result.failed()

    failure = TaskFailure.objects.get()  # one row: the retries before the last leave none
    assert failure.task_name == "tests.always_fails"
    assert failure.args == [42]
    assert "order 42 cannot be processed" in failure.exception
    assert "ValueError" in failure.traceback


@pytest.mark.django_db
def test_retrying_a_failure_twice_sends_it_once(owner, monkeypatch, django_capture_on_commit_callbacks):
    sent = []
    monkeypatch.setattr(app, "send_task", lambda name, args, kwargs: sent.append((name, args, kwargs)))
    failure = TaskFailure.objects.create(task_name="tests.flaky_once", args=["x"], exception="RuntimeError")

    with django_capture_on_commit_callbacks(execute=True):
        services.task_failure_retry(failure_id=failure.pk, actor=owner)
    with pytest.raises(Conflict), django_capture_on_commit_callbacks(execute=True):
        services.task_failure_retry(failure_id=failure.pk, actor=owner)

    assert sent == [("tests.flaky_once", ["x"], {})]


@pytest.mark.django_db
def test_retry_from_the_dashboard_sends_the_task_after_commit(staff_client, monkeypatch,
                                                            django_capture_on_commit_callbacks):
    sent = []
    monkeypatch.setattr(app, "send_task", lambda name, args, kwargs: sent.append((name, args, kwargs)))
    failure = TaskFailure.objects.create(task_name="tests.flaky_once", args=["y"], kwargs={}, exception="x")

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client("Owner").post(f"/dashboard/failed-work/{failure.pk}/retry/")

    assert response.status_code == 302
    assert sent == [("tests.flaky_once", ["y"], {})]
    failure.refresh_from_db()
    assert failure.resolved and failure.retried_by is not None


@pytest.mark.django_db(transaction=True)
def test_real_worker_records_the_failure_and_a_retry_succeeds(settings):
    app.conf.task_always_eager = False
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            app.send_task("tests.flaky_once", args=["real"])
            for _ in range(100):
                if TaskFailure.objects.filter(task_name="tests.flaky_once").exists():
                    break
                threading.Event().wait(0.1)
            failure = TaskFailure.objects.get(task_name="tests.flaky_once")
            assert "first attempt for real fails" in failure.exception

            services.task_failure_retry(failure_id=failure.pk, actor=None)

            assert _done.wait(10), "the retried task did not run"
    finally:
        app.conf.task_always_eager = True
    assert _attempts["real"] == 2
