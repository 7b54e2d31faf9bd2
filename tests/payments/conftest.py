from __future__ import annotations

import pytest
from django.test import override_settings

MIDTRANS_KEY = "SB-Mid-server-TEST"
XENDIT_TOKEN = "xnd-callback-token-test"


@pytest.fixture(autouse=True)
def _gateway_keys():
    with override_settings(MIDTRANS_SERVER_KEY=MIDTRANS_KEY, XENDIT_CALLBACK_TOKEN=XENDIT_TOKEN):
        yield


@pytest.fixture
def finance_user(make_user):
    from core import roles

    return make_user(roles.FINANCE, username="finance")
