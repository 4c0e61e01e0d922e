from django.http import HttpRequest
from django.urls import reverse

SECTIONS = [
    ("inbox", "Inbox"),
    ("listening", "Listening"),
    ("calendar", "Calendar"),
    ("shares", "Posts to share"),
    ("analytics", "Analytics"),
    ("stakeholders", "Stakeholders"),
    ("posts", "Posts"),
    ("settings", "Settings"),
]


def workplace(request: HttpRequest) -> dict:
    """The organisation being worked in (set by orgs.access.org_view) and the navigation."""
    organisation = getattr(request, "organisation", None)
    sections = []
    if organisation is not None:
        urls = [(reverse(name, kwargs={"org_slug": organisation.slug}), label) for name, label in SECTIONS]
        # The longest section address the page lies under is current ("Posts to share" lies under "Calendar").
        current = max((url for url, _ in urls if request.path.startswith(url)), key=len, default=None)
        sections = [{"url": url, "label": label, "current": url == current} for url, label in urls]
    return {"organisation": organisation, "membership": getattr(request, "membership", None), "sections": sections}
