"""The apps form layers that read top-down: an app imports only the apps below it, never one above.

The source is parsed (ast), not imported, so every import counts: module level, inside a function
(the lazy import is how a cycle hides), under TYPE_CHECKING, and a dotted name handed to
`include(...)` or `import_module(...)` as a constant string. A reference by app label
(`apps.get_model("channels", "Channel")`, a ForeignKey "channels.Channel", a permission name) is
not an import and does not count: that is how a lower layer names a model without its code.

The order, lowest first (README, "Architecture"):

    core < channels < catalog < orders < payments < shipping < notifications < aftersales
         < customers < marketplaces < analytics < sop

Inside an app, modules may import each other freely (a service may import its own app's tasks).
"""

from __future__ import annotations

import ast
from pathlib import Path

from django.apps import apps
from django.conf import settings

LAYERS = [
    "core",  # inbox, money, roles, navigation, the API's error body: knows no app
    "channels",  # the sales channel and the adapter registry (the providers register from above)
    "catalog",  # products, stock, listings, the stock push through a channel's adapter
    "orders",  # orders and their inputs (ExternalOrder), order hooks other apps register on
    "payments",  # payments of orders
    "shipping",  # shipments of paid orders, their COD payments
    "notifications",  # customer messages about orders, payments and shipments
    "aftersales",  # complaints, returns (refunds, return shipments), reviews and surveys
    "customers",  # CRM over orders, payments, messages and after-sales cases
    "marketplaces",  # provider adapters, webhooks, push drain, sync, sandbox: they write orders
    "analytics",  # reports and rollups over everything below
    "sop",  # the SOP dashboard over everything below
]

BASE = Path(settings.BASE_DIR)


def _project_apps() -> list[str]:
    return sorted(
        config.name for config in apps.get_app_configs()
        if Path(config.path).resolve().parent == BASE.resolve()
    )


def imported_names(source: str) -> list[tuple[int, str]]:
    """(line, dotted module name) of every absolute import in `source`, at any depth."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            first = node.args[0]
            if name in ("include", "import_module") and isinstance(first, ast.Constant) and isinstance(
                first.value, str
            ):
                found.append((node.lineno, first.value))
    return found


def app_imports(app: str) -> list[tuple[str, str]]:
    """(where, imported app) for every import of another project app by `app`'s modules."""
    known = set(LAYERS)
    edges = []
    for path in sorted((BASE / app).rglob("*.py")):
        for line, name in imported_names(path.read_text(encoding="utf-8")):
            top = name.split(".")[0]
            if top in known and top != app:
                edges.append((f"{path.relative_to(BASE)}:{line} imports {name}", top))
    return edges


def test_every_project_app_has_its_place_in_the_layers():
    assert sorted(LAYERS) == _project_apps()


def test_the_installed_apps_are_listed_lowest_layer_first():
    installed = [name for name in settings.INSTALLED_APPS if name in LAYERS]

    assert installed == sorted(installed, key=LAYERS.index)


def test_no_app_imports_an_app_above_it():
    upward = []
    for app in LAYERS:
        for where, target in app_imports(app):
            if LAYERS.index(target) > LAYERS.index(app):
                upward.append(f"{where} ({app} is below {target})")

    assert upward == []


def test_the_app_dependency_graph_has_no_cycle():
    graph = {app: {target for _where, target in app_imports(app)} for app in LAYERS}
    state: dict[str, str] = {}
    cycles: list[list[str]] = []

    def visit(app: str, path: list[str]) -> None:
        state[app] = "open"
        for target in sorted(graph[app]):
            if state.get(target) == "open":
                cycles.append([*path[path.index(target):], target])
            elif target not in state:
                visit(target, [*path, target])
        state[app] = "done"

    for app in LAYERS:
        if app not in state:
            visit(app, [app])

    assert cycles == []


def test_imports_inside_functions_and_url_includes_count():
    source = (
        "from core import money\n"
        "def f():\n"
        "    from orders.models import Order\n"
        "    import marketplaces.tasks\n"
        "urlpatterns = [path('', include('marketplaces.urls'))]\n"
        "def g():\n"
        "    return importlib.import_module('analytics.reports.sales')\n"
    )

    assert sorted(name for _line, name in imported_names(source)) == [
        "analytics.reports.sales", "core", "marketplaces.tasks", "marketplaces.urls", "orders.models",
    ]


def test_a_lower_app_importing_a_higher_one_would_be_caught():
    """The rule as the checker reads it: channels may not reach orders, even lazily."""
    lazy = "def channel_sync():\n    from orders.services.external import orders_upsert_external_batch\n"

    targets = {name.split(".")[0] for _line, name in imported_names(lazy)}

    assert any(LAYERS.index(t) > LAYERS.index("channels") for t in targets)
