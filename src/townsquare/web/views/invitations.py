from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone

from townsquare.orgs.models import Invitation
from townsquare.orgs.services import invitation_accept
from townsquare.web.forms import AccountForm


def invitation(request, token: str):
    """Accept an invitation: signed-in users accept; others create an account here or sign in first."""
    pending = (
        Invitation.objects.select_related("organisation")
        .filter(token=token, accepted_at__isnull=True, expires_at__gte=timezone.now())
        .first()
    )
    if pending is None:
        return render(request, "web/invitation_invalid.html", status=404)
    form = AccountForm(request.POST or None) if not request.user.is_authenticated else None
    if request.method == "POST":
        user = request.user
        if form is not None:
            if not form.is_valid():
                return render(request, "web/invitation.html", {"invitation": pending, "form": form})
            users = get_user_model()
            if users.objects.filter(username=form.cleaned_data["username"]).exists():
                form.add_error("username", "That username is taken; sign in first if it is yours.")
                return render(request, "web/invitation.html", {"invitation": pending, "form": form})
            user = users.objects.create_user(
                username=form.cleaned_data["username"], email=pending.email, password=form.cleaned_data["password"]
            )
            login(request, user)
        try:
            invitation_accept(token=token, user=user)
        except ValidationError as error:
            messages.error(request, "; ".join(error.messages))
            return redirect("home")
        messages.success(request, f"Welcome to {pending.organisation.name}.")
        return redirect("posts", org_slug=pending.organisation.slug)
    return render(request, "web/invitation.html", {"invitation": pending, "form": form})
