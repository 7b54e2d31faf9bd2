"""Run the same work in several threads at the same instant, for PostgreSQL race tests."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import close_old_connections, connection


def race(n: int, work: Callable[[], object], *, timeout: float = 60) -> list:
    """Start `n` threads behind a barrier, each calling `work()`; return every outcome.

    An exception raised by `work` is returned as the outcome, so the test asserts on it. Each
    thread closes its own database connection.
    """
    barrier = threading.Barrier(n)
    results: list = []
    lock = threading.Lock()

    def run():
        try:
            barrier.wait()
            outcome = work()
        except Exception as exc:  # collected and asserted by the test
            outcome = exc
        finally:
            close_old_connections()
            connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    return results
