"""Build a believable demo shop.

Each app contributes through a `demo.py` module with `seed(ctx: DemoContext) -> None`, run in
INSTALLED_APPS order (channels before catalog before orders...), so later features add their own
demo data without touching this command.
"""

from __future__ import annotations

import importlib
import random
from dataclasses import dataclass, field

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone


@dataclass
class DemoContext:
    rng: random.Random
    now: object
    days: int
    stdout: object
    shared: dict = field(default_factory=dict)

    def say(self, message: str) -> None:
        self.stdout.write(f"  {message}")


class Command(BaseCommand):
    help = "Fill the database with a demo Indonesian shop (channels, products, stock, customers, orders...)."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when channels already exist.")
        parser.add_argument("--seed", type=int, default=20261123, help="Random seed, for repeatable data.")
        parser.add_argument("--days", type=int, default=90, help="How many days of history to create.")

    def handle(self, *args, if_empty: bool, seed: int, days: int, **options):
        # By name: core sits below every app and imports none of them.
        if if_empty and apps.get_model("channels", "Channel").objects.exists():
            self.stdout.write("Demo data already present; nothing to do.")
            return
        ctx = DemoContext(rng=random.Random(seed), now=timezone.now(), days=days, stdout=self.stdout)
        for config in apps.get_app_configs():
            try:
                module = importlib.import_module(f"{config.name}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.demo":
                    raise
                continue
            self.stdout.write(f"Seeding {config.label}...")
            with transaction.atomic():
                module.seed(ctx)
        self.stdout.write(self.style.SUCCESS("Demo shop ready."))
