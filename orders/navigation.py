"""The orders stage's pages in the dashboard navigation.

`register()` is called from OrdersConfig.ready().
"""

from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.navigation import NavLink, register_link

# The warehouse's pick-and-pack flow for selected orders (the shipping app registers its pick-wave
# page from its ready()); "pick list" on the orders pages goes there, so there is one pick list.
_pick_flow: list[str] = []


def register_pick_flow(url_name: str) -> None:
    _pick_flow[:] = [url_name]


def pick_flow_url(order_ids) -> str:
    """Where "pick list" for these orders leads: the registered flow, else the printable list."""
    base = reverse(_pick_flow[0] if _pick_flow else "orders:pick-list")
    return f"{base}?{urlencode({'ids': ','.join(str(i) for i in order_ids)})}"


def register() -> None:
    register_link(NavLink("orders", _("Orders"), "orders:list", permission="orders.view_order", order=10))
    register_link(NavLink("orders", _("New manual order"), "orders:create", permission="orders.add_order", order=20))
