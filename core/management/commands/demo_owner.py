"""Create (once) the demo owner account and print how to log in."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

from core.roles import ALL_ROLES, OWNER


class Command(BaseCommand):
    help = "Create the demo owner account (and one account per role) and print the log-in."

    def handle(self, *args, **options):
        password_file = settings.VAR_DIR / "demo-password.txt"
        User = get_user_model()
        if password_file.exists() and User.objects.filter(username="owner").exists():
            password = password_file.read_text().strip()
        else:
            password = secrets.token_urlsafe(9)
            settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
            password_file.write_text(password + "\n")
            password_file.chmod(0o600)
            usernames = {OWNER: "owner"}
            for role in ALL_ROLES:
                username = usernames.get(role, role.lower().replace(" ", "_"))
                user, _created = User.objects.get_or_create(username=username)
                user.first_name = role
                user.is_staff = role == OWNER
                user.is_superuser = False
                user.set_password(password)
                user.save()
                user.groups.set([Group.objects.get(name=role)])
        self.stdout.write(self.style.SUCCESS(
            f"\n  Demo log-in: username 'owner', password '{password}'\n"
            "  (also 'admin', 'customer_service', 'warehouse', 'finance' with the same password)\n"
        ))
