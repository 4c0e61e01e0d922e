from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse

from townsquare.orgs.access import org_view


@login_required
def home(request):
    memberships = list(request.user.memberships.select_related("organisation"))
    if len(memberships) == 1:
        return redirect("posts", org_slug=memberships[0].organisation.slug)
    return render(request, "web/home.html", {"memberships": memberships})


@org_view()
def organisation_home(request):
    return redirect(reverse("posts", kwargs={"org_slug": request.organisation.slug}))
