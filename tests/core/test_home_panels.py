"""Home page panels: an app registers one; it shows for the roles with its permission only."""

from __future__ import annotations

from core import roles
from core.navigation import HomePanel, _panels, home_panels_for, register_home_panel


def test_a_panel_shows_for_users_with_its_permission_and_its_context(make_user):
    panel = HomePanel(key="test.panel", template="dashboard/stage.html", context=lambda user: {"who": user.username},
                      permission="orders.export_order", order=1, scripts=("x.js",))
    register_home_panel(panel)
    try:
        finance = make_user(roles.FINANCE, username="fin")
        warehouse = make_user(roles.WAREHOUSE, username="gudang")
        shown = [p for p in home_panels_for(finance) if p["key"] == "test.panel"]
        assert shown == [{"key": "test.panel", "template": "dashboard/stage.html", "context": {"who": "fin"},
                          "scripts": ("x.js",)}]
        assert not [p for p in home_panels_for(warehouse) if p["key"] == "test.panel"]
    finally:
        _panels.pop("test.panel", None)


def test_a_panel_whose_context_is_none_is_left_out(make_user):
    register_home_panel(HomePanel(key="test.none", template="x.html", context=lambda user: None))
    try:
        assert not [p for p in home_panels_for(make_user(roles.OWNER, username="o")) if p["key"] == "test.none"]
    finally:
        _panels.pop("test.none", None)
