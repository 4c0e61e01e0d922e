"""The public side of short links: /l/<code> counts a click and redirects; /l/<code>/done counts an action.

These are the only pages outside /o/<slug>/ that touch an organisation's data, and they need no sign-in (the
people clicking are the public). The code alone chooses the link; an unknown code is a 404. Nothing about the
person is stored (see publishing.links).
"""

from __future__ import annotations

import base64

from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from townsquare.publishing.links import link_action, link_click

# A 1x1 transparent GIF, for the action pixel.
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _uncached(response: HttpResponse) -> HttpResponse:
    # Every click and action must reach us to be counted; and short links are not for search engines.
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


@require_GET  # not HEAD: link-preview fetchers that only look are not clicks
def short_link(request, code: str):
    target = link_click(code=code)
    if target is None:
        raise Http404("No such link")
    return _uncached(HttpResponseRedirect(target))


@csrf_exempt  # called by the organisation's own site (a form's thank-you page), which has no Townsquare token
@require_http_methods(["GET", "POST"])
def short_link_done(request, code: str):
    """GET: a pixel for a thank-you page; POST: for a server or script, answers 204."""
    if not link_action(code=code):
        raise Http404("No such link")
    if request.method == "POST":
        return _uncached(HttpResponse(status=204))
    return _uncached(HttpResponse(PIXEL, content_type="image/gif"))
