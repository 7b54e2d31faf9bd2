"""The dashboard's map: SOP stages, the pages under each, and the work queues on the home page.

Apps register their own links and queues in AppConfig.ready(), so a later app slots into the
navigation and the home page without either knowing about it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

STAGES: list[tuple[str, Promise, str]] = [
    ("catalog", _("Catalog"), "box-seam"),
    ("orders", _("Orders"), "cart"),
    ("payments", _("Payments"), "wallet2"),
    ("shipping", _("Shipping"), "truck"),
    ("aftersales", _("After-sales"), "chat-heart"),
    ("customers", _("Customers"), "people"),
    ("reports", _("Reports"), "graph-up"),
    ("settings", _("Settings"), "gear"),
]
STAGE_KEYS = {key for key, _label, _icon in STAGES}


@dataclass(frozen=True)
class NavLink:
    stage: str
    title: Promise | str
    url_name: str
    permission: str = "core.access_dashboard"
    order: int = 100


@dataclass(frozen=True)
class WorkQueue:
    """A list of things someone must act on today; `count` runs one query."""

    key: str
    stage: str
    title: Promise | str
    url_name: str
    count: Callable[[], int]
    permission: str = "core.access_dashboard"
    url_query: str = ""
    danger: bool = False
    order: int = 100
    description: Promise | str = field(default="")


@dataclass(frozen=True)
class HomePanel:
    """A block on the home page (headline KPIs, a chart): `context(user)` returns its template context,
    or None to leave it out for that user; `scripts` are static JS files it needs (loaded deferred)."""

    key: str
    template: str
    context: Callable[[object], dict | None]
    permission: str = "core.access_dashboard"
    order: int = 100
    scripts: tuple[str, ...] = ()


_links: dict[tuple[str, str], NavLink] = {}
_queues: dict[str, WorkQueue] = {}
_panels: dict[str, HomePanel] = {}


def register_link(link: NavLink) -> None:
    if link.stage not in STAGE_KEYS:
        raise ValueError(f"unknown stage {link.stage!r}")
    _links[(link.stage, link.url_name)] = link


def register_queue(queue: WorkQueue) -> None:
    if queue.stage not in STAGE_KEYS:
        raise ValueError(f"unknown stage {queue.stage!r}")
    _queues[queue.key] = queue


def register_home_panel(panel: HomePanel) -> None:
    _panels[panel.key] = panel


def home_panels_for(user) -> list[dict]:
    """The home page panels this user may see, in order, each with its context."""
    result = []
    for panel in sorted(_panels.values(), key=lambda p: (p.order, p.key)):
        if not user.has_perm(panel.permission):
            continue
        context = panel.context(user)
        if context is not None:
            result.append({"key": panel.key, "template": panel.template, "context": context,
                           "scripts": panel.scripts})
    return result


def _url(url_name: str, query: str = "") -> str | None:
    try:
        url = reverse(url_name)
    except NoReverseMatch:
        return None
    return f"{url}?{query}" if query else url


def links_for(user, stage: str) -> list[dict]:
    result = []
    for link in sorted((lnk for lnk in _links.values() if lnk.stage == stage), key=lambda lnk: lnk.order):
        url = _url(link.url_name)
        if url and user.has_perm(link.permission):
            result.append({"title": link.title, "url": url})
    return result


def navigation_for(user, path: str = "") -> list[dict]:
    """The sidebar: every stage, with the stage holding the current page marked active.

    The active stage is the one whose stage page or one of whose links is the longest prefix of
    `path`, so /dashboard/catalog/stock/5/ opens Katalog.
    """
    stages = [
        {
            "key": key,
            "title": label,
            "icon": icon,
            "url": reverse("dashboard:stage", kwargs={"stage": key}),
            "links": links_for(user, key),
            "active": False,
        }
        for key, label, icon in STAGES
    ]
    best, best_len = None, 0
    for stage in stages:
        for url in [stage["url"], *(link["url"] for link in stage["links"])]:
            if path.startswith(url) and len(url) > best_len:
                best, best_len = stage, len(url)
    if best is not None:
        best["active"] = True
    return stages


def queues_for(user, stage: str | None = None) -> list[dict]:
    """Visible queues with their counts, in stage order."""
    stage_order = {key: i for i, (key, _l, _i) in enumerate(STAGES)}
    visible = [
        q
        for q in _queues.values()
        if (stage is None or q.stage == stage) and user.has_perm(q.permission)
    ]
    visible.sort(key=lambda q: (stage_order[q.stage], q.order, q.key))
    return [
        {
            "key": q.key,
            "stage": q.stage,
            "title": q.title,
            "description": q.description,
            "url": _url(q.url_name, q.url_query),
            "count": q.count(),
            "danger": q.danger,
        }
        for q in visible
    ]
