"""The customers tests share the after-sales fixtures (a shop with stock, SLA policies, staff of each
role, delivered orders): one definition, in tests/aftersales/conftest.py."""

from tests.aftersales.conftest import *  # noqa: F403
