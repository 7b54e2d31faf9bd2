import gc

import pytest

from core.heap import heap_frozen


def test_objects_older_than_the_batch_are_out_of_the_collectors_sight_until_it_ends():
    before = gc.get_freeze_count()
    assert before == 0
    with heap_frozen():
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0


def test_an_error_in_the_batch_still_unfreezes():
    with pytest.raises(ValueError), heap_frozen():
        raise ValueError("boom")
    assert gc.get_freeze_count() == 0


def test_cycles_made_inside_the_batch_are_still_collected():
    class Node:
        other: object = None

    with heap_frozen():
        a, b = Node(), Node()
        a.other, b.other = b, a
        del a, b
        assert gc.collect() >= 2
