"""The garbage collector around large batches.

A batch that keeps tens of thousands of small objects alive at once (a bank statement's plans,
events and postings) promotes them to the oldest generation, which triggers full collections; each
full collection walks every object of the process, most of them the worker's own modules, models
and caches that the batch never touches. `heap_frozen()` moves what exists at the start of the
batch out of the collector's sight (`gc.freeze`) and back at its end (`gc.unfreeze`): nothing is
leaked, cycles made during the batch are still collected, and the old objects are only left out of
the scans in between. Measured on bench/reconcile.py (docs/BENCHMARKS.md, issue 9, stop 18): a
10,000-line statement's collections in the writes 0.19-0.44 s -> 0.06-0.09 s.
Not for nesting: the inner block's end unfreezes the outer block's objects too.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def heap_frozen() -> Iterator[None]:
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
