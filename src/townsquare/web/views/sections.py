"""Sections whose capabilities arrive with later work: each page says what is coming."""

from django.shortcuts import render

from townsquare.orgs.access import org_view

COMING = {
    "analytics": (
        "Analytics",
        "Objectives measured week by week: followers by number and kind, reach, shares "
        "and comments, sentiment, complaint handling and the actions that matter.",
    ),
    "stakeholders": (
        "Stakeholders",
        "Who your stakeholders are, which platforms they use, who is influential and which communities form.",
    ),
}


def _coming(section: str):
    @org_view()
    def view(request):
        title, description = COMING[section]
        return render(request, "web/coming.html", {"title": title, "description": description, "section": section})

    view.__name__ = f"{section}_coming"
    return view


analytics = _coming("analytics")
stakeholders = _coming("stakeholders")
