from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SopConfig(AppConfig):
    name = "sop"
    verbose_name = _("SOP handbook")

    def ready(self) -> None:
        from core import roles
        from core.navigation import HomePanel, NavLink, register_home_panel, register_link
        from sop import selectors

        everyone = [roles.ADMIN, roles.CUSTOMER_SERVICE, roles.WAREHOUSE, roles.FINANCE]
        roles.grant_many(everyone, ["sop.view_step", "sop.view_stepversion", "sop.add_acknowledgement",
                                    "sop.view_quizquestion", "sop.add_quizattempt"])
        roles.grant_many([roles.ADMIN], ["sop.view_compliance", "sop.view_target"])
        register_link(NavLink("reports", _("SOP handbook"), "sop:handbook", permission="sop.view_step", order=110))
        register_link(NavLink("reports", _("SOP compliance"), "sop:compliance", permission="sop.view_compliance",
                              order=120))
        register_link(NavLink("reports", _("Onboarding"), "sop:onboarding", permission="sop.view_step", order=130))
        register_home_panel(HomePanel(
            key="sop.acknowledge", template="sop/_home_pending.html", permission="sop.add_acknowledgement",
            context=lambda user: ({"steps": pending} if (pending := selectors.pending_acknowledgements(user=user))
                                  else None),
            order=5,
        ))
