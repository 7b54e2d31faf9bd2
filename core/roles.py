"""Staff roles and what each may do.

A role is a Django group. The grants below are the single source of truth: they are applied by
`sync_role_permissions` after every migrate, so a permission added by a later app reaches its
roles without another data migration. Apps extend ROLE_PERMISSIONS from their AppConfig.ready().
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext_lazy as _

OWNER = "Owner"
ADMIN = "Admin"
CUSTOMER_SERVICE = "Customer Service"
WAREHOUSE = "Warehouse"
FINANCE = "Finance"

ROLE_LABELS = {
    OWNER: _("Owner"),
    ADMIN: _("Admin"),
    CUSTOMER_SERVICE: _("Customer Service"),
    WAREHOUSE: _("Warehouse"),
    FINANCE: _("Finance"),
}
ALL_ROLES = tuple(ROLE_LABELS)

# Permission strings ("app_label.codename") per role. "*" grants every permission that exists.
ROLE_PERMISSIONS: dict[str, set[str]] = {
    OWNER: {"*"},
    ADMIN: {
        "core.access_dashboard",
        "core.view_reports",
        "core.manage_settings",
        "core.retry_failed_work",
        "core.view_inbounddelivery",
        "core.view_taskfailure",
    },
    CUSTOMER_SERVICE: {"core.access_dashboard"},
    WAREHOUSE: {"core.access_dashboard"},
    FINANCE: {"core.access_dashboard", "core.view_reports"},
}


def grant(role: str, permissions: Iterable[str]) -> None:
    """Add permissions to a role; apps call this from ready()."""
    ROLE_PERMISSIONS[role].update(permissions)


def grant_many(roles: Iterable[str], permissions: Iterable[str]) -> None:
    permissions = list(permissions)
    for role in roles:
        grant(role, permissions)


def sync_role_permissions(*, using: str = "default") -> None:
    """Create the role groups and make their permissions exactly match ROLE_PERMISSIONS."""
    from django.contrib.auth.models import Group, Permission

    all_permissions = {
        f"{app_label}.{codename}": pk
        for pk, app_label, codename in Permission.objects.using(using).values_list(
            "pk", "content_type__app_label", "codename"
        )
    }
    for role, wanted in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.using(using).get_or_create(name=role)
        if "*" in wanted:
            ids = set(all_permissions.values())
        else:
            ids = {all_permissions[p] for p in wanted if p in all_permissions}
        group.permissions.set(ids)


def sync_role_permissions_signal(sender, using="default", **kwargs) -> None:
    # Run once per migrate, after the last app, when every permission row exists.
    from django.apps import apps

    with_models = [config for config in apps.get_app_configs() if config.models_module is not None]
    if sender is not with_models[-1]:
        return
    sync_role_permissions(using=using)
