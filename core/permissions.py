"""Role checks shared by dashboard views and API endpoints."""

from __future__ import annotations

from django.contrib.auth.mixins import AccessMixin
from rest_framework.permissions import BasePermission


def load_permissions(user) -> None:
    """Read a user's own and group permissions in one statement into ModelBackend's caches.

    ModelBackend reads them in two (user permissions, group permissions) the first time a request
    checks a permission, and caches them on the user object (`_user_perm_cache`,
    `_group_perm_cache`, `_perm_cache`); this fills the same caches, so they live exactly as long
    (one request) and every later check on the object is free. Superusers need no list.
    """
    if not getattr(user, "is_active", False) or user.is_superuser or hasattr(user, "_perm_cache"):
        return
    from django.contrib.auth.models import Permission
    from django.db.models import Value

    columns = ("content_type__app_label", "codename", "source")
    own = Permission.objects.filter(user=user).annotate(source=Value("u")).values_list(*columns)
    grouped = Permission.objects.filter(group__user=user).annotate(source=Value("g")).values_list(*columns)
    user_perms: set[str] = set()
    group_perms: set[str] = set()
    for app_label, codename, source in own.union(grouped, all=True):
        (user_perms if source == "u" else group_perms).add(f"{app_label}.{codename}")
    user._user_perm_cache = user_perms
    user._group_perm_cache = group_perms
    user._perm_cache = user_perms | group_perms


def is_staff_member(user) -> bool:
    if not (user and user.is_authenticated and user.is_active):
        return False
    load_permissions(user)
    return user.has_perm("core.access_dashboard")


class IsStaffMember(BasePermission):
    """Default for every API view: an active account in one of the staff roles."""

    message = "Your account has no staff role."

    def has_permission(self, request, view) -> bool:
        return is_staff_member(request.user)


class HasPerms(BasePermission):
    """API permission built from `required_perms` (all methods) and `write_perms` (unsafe methods).

    A view sets e.g. `required_perms = ("catalog.view_product",)` and
    `write_perms = ("catalog.change_product",)`; actions may override with `get_required_perms()`.
    """

    message = "Your role does not allow this."

    def has_permission(self, request, view) -> bool:
        if not is_staff_member(request.user):
            return False
        perms = list(getattr(view, "required_perms", ()))
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            perms += list(getattr(view, "write_perms", ()))
        action_perms = getattr(view, "action_perms", {}).get(getattr(view, "action", None), ())
        perms += list(action_perms)
        return request.user.has_perms(perms)


class StaffPermissionMixin(AccessMixin):
    """Dashboard view guard: a staff role plus every permission in `permission_required`."""

    permission_required: tuple[str, ...] = ()

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not is_staff_member(request.user) or not request.user.has_perms(self.permission_required):
            self.raise_exception = True
            return self.handle_no_permission()
        return super().dispatch(request, *args, **kwargs)


def staff_required(*perms: str):
    """Function-view twin of StaffPermissionMixin."""
    from functools import wraps

    from django.contrib.auth.views import redirect_to_login
    from django.core.exceptions import PermissionDenied

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not is_staff_member(request.user) or not request.user.has_perms(perms):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
