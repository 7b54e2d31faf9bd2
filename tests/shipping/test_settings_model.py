"""The shipping settings model's own checks."""

from __future__ import annotations

from datetime import UTC, datetime, time

import time_machine

from shipping.models import ShippingSettings


def test_the_cutoff_default_passes_the_system_check_at_any_time_of_day():
    # Django warns (fields.W161, which fails `check --deploy`) about a fixed time default when the
    # check runs within 10 s of that time of day in UTC; CI ran it at 14:59:52 UTC once.
    field = ShippingSettings._meta.get_field("cutoff_time")
    with time_machine.travel(datetime(2026, 12, 4, 15, 0, 2, tzinfo=UTC), tick=False):
        assert field.check() == []
    assert field.get_default() == time(15, 0)
