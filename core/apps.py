from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from core import authentication, deadlines, roles, selectors
        from core.navigation import NavLink, WorkQueue, register_link, register_queue

        # Permissions of every app exist only after its migrations ran, so role grants are
        # (re)applied after each migrate rather than frozen inside one migration.
        post_migrate.connect(roles.sync_role_permissions_signal, dispatch_uid="core.sync_roles")
        authentication.connect_signals()
        deadlines.connect_signals()
        roles.grant_many([roles.OWNER, roles.ADMIN], ["core.change_calendar"])

        register_link(NavLink("settings", _("Failed background work"), "dashboard:failed-work",
                              permission="core.retry_failed_work", order=80))
        register_link(NavLink("settings", _("Working hours and holidays"), "dashboard:calendar",
                              permission="core.change_calendar", order=70))
        register_link(NavLink("settings", _("Staff accounts"), "admin:auth_user_changelist",
                              permission="auth.view_user", order=90))
        register_link(NavLink("settings", _("API documentation"), "api-docs", order=95))
        register_queue(WorkQueue(
            key="core.failed_tasks", stage="settings", title=_("Failed background tasks"),
            description=_("Tasks that failed after every retry; send them again once the cause is fixed."),
            url_name="dashboard:failed-work", count=selectors.task_failure_open_count,
            permission="core.retry_failed_work", danger=True,
        ))
        register_queue(WorkQueue(
            key="core.failed_deliveries", stage="settings", title=_("Failed webhook deliveries"),
            description=_("Provider deliveries that were stored but could not be processed."),
            url_name="dashboard:failed-work", count=selectors.inbound_delivery_failed_count,
            permission="core.retry_failed_work", danger=True,
        ))
