from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from townsquare.orgs.access import org_view
from townsquare.orgs.models import Invitation, Membership
from townsquare.orgs.roles import Permission, Role
from townsquare.orgs.services import invitation_create, membership_remove, membership_set
from townsquare.web.forms import InvitationForm, OrganisationForm, RoleForm


@org_view()
def settings_index(request):
    return redirect("team", org_slug=request.organisation.slug)


@org_view()
def team(request):
    organisation = request.organisation
    form = InvitationForm(request.POST or None)
    if request.method == "POST":
        if not request.membership.can(Permission.MANAGE_TEAM):
            messages.error(request, "Your role cannot invite people.")
        elif form.is_valid():
            try:
                invitation_create(
                    organisation=organisation,
                    email=form.cleaned_data["email"],
                    role=form.cleaned_data["role"],
                    invited_by=request.user,
                    accept_url_for=lambda token: request.build_absolute_uri(reverse("invitation", args=[token])),
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
                return redirect("team", org_slug=organisation.slug)
    return render(
        request,
        "web/team.html",
        {
            "members": organisation.memberships.select_related("user").order_by("user__username"),
            "invitations": organisation.invitations.filter(accepted_at__isnull=True),
            "form": form,
            "roles": Role.choices,
            "can_manage": request.membership.can(Permission.MANAGE_TEAM),
        },
    )


@org_view(Permission.MANAGE_TEAM)
@require_POST
def member_role(request, member_id: int):
    membership = get_object_or_404(Membership, id=member_id, organisation=request.organisation)
    form = RoleForm(request.POST)
    if form.is_valid():
        role = form.cleaned_data["role"]
        touches_owner = Role.OWNER in (role, membership.role)
        if touches_owner and not request.membership.can(Permission.MANAGE_OWNERS):
            messages.error(request, "Only an owner can make or unmake owners.")
        else:
            try:
                membership_set(organisation=request.organisation, user=membership.user, role=role)
                messages.success(request, f"{membership.user.username} is now {Role(role).label}.")
            except ValidationError as error:
                messages.error(request, "; ".join(error.messages))
    return redirect("team", org_slug=request.organisation.slug)


@org_view(Permission.MANAGE_TEAM)
@require_POST
def member_remove(request, member_id: int):
    membership = get_object_or_404(Membership, id=member_id, organisation=request.organisation)
    if membership.role == Role.OWNER and not request.membership.can(Permission.MANAGE_OWNERS):
        messages.error(request, "Only an owner can remove an owner.")
    else:
        try:
            membership_remove(membership=membership)
            messages.success(request, f"{membership.user.username} was removed from the team.")
        except ValidationError as error:
            messages.error(request, "; ".join(error.messages))
    return redirect("team", org_slug=request.organisation.slug)


@org_view(Permission.MANAGE_TEAM)
@require_POST
def invitation_revoke(request, invitation_id: int):
    invitation = get_object_or_404(
        Invitation, id=invitation_id, organisation=request.organisation, accepted_at__isnull=True
    )
    invitation.delete()
    messages.success(request, f"The invitation to {invitation.email} was withdrawn.")
    return redirect("team", org_slug=request.organisation.slug)


@org_view(Permission.MANAGE_TEAM)
def organisation_settings(request):
    form = OrganisationForm(request.POST or None, instance=request.organisation)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Saved.")
        return redirect("organisation_settings", org_slug=request.organisation.slug)
    return render(request, "web/organisation_settings.html", {"form": form})
