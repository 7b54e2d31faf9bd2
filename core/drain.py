"""One debounced drain: mark work dirty, run one drain task for it, with one way of failing.

The work itself is durable rows (stock push requests, notification triggers, inbound deliveries);
this helper decides when a drain runs. A Redis marker (SET NX, `cache.add`) says "a drain is queued
or running": whoever marks work while it exists queues nothing, so a burst of writes costs one
Redis round trip each and one task in all. The marker expires by itself (`marker_ttl`) if a worker
dies mid-drain; each app's periodic sweep catches what is left in between.

The drain (`Drain.run`, its loop `claim_loop` shared with drains that keep their own marker
handling, as the marketplace push drain) claims a batch atomically (the caller's `claim`, e.g. SELECT ... FOR
UPDATE SKIP LOCKED and delete), processes it, and goes on until a claim comes back empty. Then it
drops the marker and claims once more: work committed between the last claim and the drop saw the
marker and queued nothing. It carries on only if it takes the marker back (else a newer drain has
it). The same semantics on failure, everywhere:

- an exception while processing a batch puts the claimed work back (the caller's `release`),
  drops the marker, queues the drain again after a backoff (30 s, 1, 2, 4... up to 10 minutes,
  counted per drain in Redis and reset by a drain that ends well) and re-raises, so the task's
  own failure record (OmsTask's TaskFailure, the worker log) still sees it;
- work that fails on its own (one bad order, a marketplace that answers 503) is the caller's to
  keep for later: a drain never loops on it, and `retry_later` queues one delayed drain for it.

A cache that cannot be reached never turns a committed write into an error: `wake` logs it and
leaves the work to the sweep.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache

logger = logging.getLogger(__name__)

RETRY_BASE_SECONDS = 30
RETRY_MAX_SECONDS = 600


def backoff_seconds(attempts: int, *, base: int = RETRY_BASE_SECONDS, maximum: int = RETRY_MAX_SECONDS) -> int:
    """30 s after the first failure, then doubling up to `maximum`."""
    return min(base * 2 ** max(attempts - 1, 0), maximum)


@dataclass(frozen=True)
class Drain:
    """A debounced drain named by `key` (a Redis key; `scope` makes one per channel, per slot...).

    `task` returns the Celery task that drains (looked up late: tasks import the services that
    wake them). `delay` debounces: work marked within `delay` seconds of the first is drained by
    one task.
    """

    key: str
    task: Callable[[], Any]
    delay: float = 0
    marker_ttl: int = 120
    run_seconds: float = 60  # one task drains this long at most, then the drain goes on in a fresh one

    def _key(self, scope: Any) -> str:
        return f"{self.key}:{scope}" if scope not in (None, "") else self.key

    # --- marking ---------------------------------------------------------------------------
    def wake(self, *args: Any, scope: Any = "") -> bool:
        """Make sure a drain is queued (call after the work committed). True if this call queued it."""
        key = self._key(scope)
        try:
            first = cache.add(key, 1, timeout=max(self.marker_ttl, int(self.delay * 4)))
        except Exception:
            logger.warning("drain %s: cache unavailable, leaving the work to the sweep", key, exc_info=True)
            return False
        if not first:
            return False
        try:
            self._queue(args)
        except Exception:
            cache.delete(key)
            raise
        return True

    def _queue(self, args: tuple) -> None:
        task = self.task()
        if self.delay:
            task.apply_async(args, countdown=self.delay)
        else:
            task.delay(*args)

    def idle(self, *, scope: Any = "") -> None:
        """Drop the marker: the drain found nothing left (or gives up), the next mark queues one."""
        try:
            cache.delete(self._key(scope))
        except Exception:
            logger.warning("drain %s: cache unavailable", self._key(scope), exc_info=True)

    def resume(self, *, scope: Any = "") -> bool:
        """Take the marker back after `idle` found late work; False when a newer drain has it."""
        return bool(cache.add(self._key(scope), 1, timeout=self.marker_ttl))

    # --- failing ---------------------------------------------------------------------------
    def failed(self, *args: Any, scope: Any = "") -> int:
        """Count a failed drain and queue the next one after the backoff; returns the countdown."""
        failures_key = f"{self._key(scope)}:failures"
        cache.add(failures_key, 0, timeout=RETRY_MAX_SECONDS * 4)
        try:
            attempts = cache.incr(failures_key)
        except ValueError:  # expired in between
            attempts = 1
        countdown = backoff_seconds(attempts)
        self.retry_later(*args, scope=scope, countdown=countdown)
        return countdown

    def succeeded(self, *, scope: Any = "") -> None:
        cache.delete(f"{self._key(scope)}:failures")

    def retry_later(self, *args: Any, scope: Any = "", attempts: int = 1, countdown: int | None = None) -> bool:
        """Queue one drain after a backoff for work given back; further calls wait for it. True if queued."""
        countdown = backoff_seconds(attempts) if countdown is None else countdown
        if not cache.add(f"{self._key(scope)}:retry", 1, timeout=countdown + 60):
            return False
        self.task().apply_async(args, countdown=countdown)
        return True

    def retry_taken(self, *, scope: Any = "") -> None:
        """The delayed drain has started: the next given-back work may queue another."""
        cache.delete(f"{self._key(scope)}:retry")

    # --- draining --------------------------------------------------------------------------
    def run(
        self,
        *args: Any,
        scope: Any = "",
        claim: Callable[[], Sequence],
        process: Callable[[Sequence], int],
        release: Callable[[Sequence], None] | None = None,
    ) -> int:
        """Claim and process batches until none is left (see the module); returns what `process` counted."""
        try:
            done, more = claim_loop(
                claim=claim,
                process=process,
                release=release,
                on_idle=lambda: self.idle(scope=scope),
                resume=lambda: self.resume(scope=scope),
                deadline=time.monotonic() + self.run_seconds,
            )
        except Exception:
            self.idle(scope=scope)
            self.failed(*args, scope=scope)
            raise
        if more:
            self.task().delay(*args)  # the marker stays: this drain goes on in a fresh task
        else:
            self.succeeded(scope=scope)
        return done


def claim_loop(
    *,
    claim: Callable[[], Sequence],
    process: Callable[[Sequence], int],
    release: Callable[[Sequence], None] | None = None,
    on_idle: Callable[[], None] | None = None,
    resume: Callable[[], bool] | None = None,
    deadline: float | None = None,
    max_batches: int | None = None,
) -> tuple[int, bool]:
    """The loop of every drain: claim a batch, process it, until a claim comes back empty.

    The first time the work runs out, `on_idle()` (drop the drain's marker) and claim once more:
    work committed just before saw the marker and queued nothing, so it is not left behind. Late
    work found then is processed if `resume()` takes the marker back (the loop then idles again
    when it runs out next); when a newer drain holds it, the batch is given back (`release`) and
    the loop ends. Without `resume` the loop goes on without the marker and ends at the next empty
    claim. An exception from `process` gives its batch back and propagates. Returns (what
    `process` counted, whether it stopped at `deadline` (time.monotonic) or `max_batches` with
    work perhaps left).
    """
    done = batches = 0
    marked = on_idle is not None
    while True:
        batch = claim()
        if not batch:
            if not marked:
                return done, False
            on_idle()
            batch = claim()
            marked = bool(batch) and resume is not None and resume()
            if not batch or (resume is not None and not marked):
                if batch and release is not None:  # a newer drain holds the marker: leave it the work
                    release(batch)
                return done, False
        try:
            done += process(batch)
        except Exception:
            if release is not None:
                release(batch)
            raise
        batches += 1
        if (deadline is not None and time.monotonic() > deadline) or (max_batches and batches >= max_batches):
            return done, True
