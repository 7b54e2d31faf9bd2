"""Recompute every stored compliance item and daily count from scratch (after a deploy, or to check)."""

from django.core.management.base import BaseCommand

from sop.services.compliance import compliance_refresh


class Command(BaseCommand):
    help = "Rebuild the SOP compliance items and their daily counts from the orders, proofs and cases."

    def handle(self, *args, **options):
        result = compliance_refresh(rebuild=True)
        if result is None:
            self.stderr.write("Another compliance refresh is running; try again when it ends.")
            return
        self.stdout.write(f"rebuilt targets {result.rebuilt} in {result.seconds:.1f} s")
