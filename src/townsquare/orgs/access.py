"""The one place where a request's organisation is resolved and checked.

Every organisation page is routed under /o/<org_slug>/ and wrapped by `org_view`. A user who is not a
member gets 404 (the organisation's existence is not revealed); a member whose role lacks the permission
gets 403.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from townsquare.orgs.models import Membership
from townsquare.orgs.roles import Permission


def membership_for(*, user, org_slug: str) -> Membership:
    if not user.is_authenticated:
        raise Http404
    membership = (
        Membership.objects.select_related("organisation").filter(user=user, organisation__slug=org_slug).first()
    )
    if membership is None:
        raise Http404("No such organisation")
    return membership


def org_view(permission: str = Permission.VIEW) -> Callable:
    """Decorate a view taking (request, org_slug, ...): sets request.organisation and request.membership."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, org_slug: str, *args, **kwargs) -> HttpResponse:
            membership = membership_for(user=request.user, org_slug=org_slug)
            if not membership.can(permission):
                raise PermissionDenied(f"Your role ({membership.get_role_display()}) cannot do this")
            request.membership = membership
            request.organisation = membership.organisation
            return view(request, *args, **kwargs)

        wrapper.org_permission = permission
        return wrapper

    return decorate
