"""Settings for bench/webhook_intake.py: the normal settings plus the ceiling view's URLconf."""

from oms.settings import *  # noqa: F403

ROOT_URLCONF = "bench.webhook_ceiling"
