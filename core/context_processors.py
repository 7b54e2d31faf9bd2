from core.navigation import navigation_for
from core.permissions import is_staff_member


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if not is_staff_member(user):
        return {}
    return {"nav_stages": navigation_for(user, request.path)}
