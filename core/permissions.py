"""Role checks shared by dashboard views and API endpoints."""

from __future__ import annotations

from django.contrib.auth.mixins import AccessMixin
from rest_framework.permissions import BasePermission


def is_staff_member(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.has_perm("core.access_dashboard"))


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
