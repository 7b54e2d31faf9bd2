"""The orders stage's pages in the dashboard navigation.

`register()` is called from OrdersConfig.ready().
"""

from django.utils.translation import gettext_lazy as _

from core.navigation import NavLink, register_link


def register() -> None:
    register_link(NavLink("orders", _("Orders"), "orders:list", permission="orders.view_order", order=10))
    register_link(NavLink("orders", _("New manual order"), "orders:create", permission="orders.add_order", order=20))
    register_link(NavLink("orders", _("Pick list"), "orders:pick-list", permission="orders.process_order", order=30))
