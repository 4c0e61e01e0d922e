from django.http import HttpRequest
from django.urls import reverse

SECTIONS = [
    ("inbox", "Inbox"),
    ("listening", "Listening"),
    ("calendar", "Calendar"),
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
        for name, label in SECTIONS:
            url = reverse(name, kwargs={"org_slug": organisation.slug})
            sections.append({"url": url, "label": label, "current": request.path.startswith(url)})
    return {"organisation": organisation, "membership": getattr(request, "membership", None), "sections": sections}
