from __future__ import annotations

from tests.channel_fixtures import fake, make_channel  # noqa: F401 - fixtures
