"""Campaigns and content themes: the list (everyone), adding and changing them (Permission.PUBLISH), and
filing a post under one."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from townsquare.orgs.access import org_view
from townsquare.orgs.roles import Permission
from townsquare.publishing.campaigns import campaign_save, campaigns_for, scheduled_post_set_campaign
from townsquare.publishing.models import Campaign, ScheduledPost
from townsquare.web.forms import CampaignForm


def _saved(request, form: CampaignForm) -> Campaign | None:
    """The form's campaign saved for this organisation, or None with the reasons put on the form."""
    if not form.is_valid():
        return None
    campaign = form.save(commit=False)
    campaign.organisation = request.organisation
    try:
        return campaign_save(campaign=campaign)
    except ValidationError as error:
        form.add_error(None, error)
        return None


def _render_list(request, form: CampaignForm, status: int = 200):
    return render(
        request,
        "web/campaigns.html",
        {
            "campaigns": campaigns_for(organisation=request.organisation),
            "form": form,
            "can_manage": request.membership.can(Permission.PUBLISH),
        },
        status=status,
    )


@org_view()
def campaigns(request):
    return _render_list(request, CampaignForm(initial={"colour": "#0b5cad"}))


@org_view(Permission.PUBLISH)
@require_POST
def campaign_create(request):
    form = CampaignForm(request.POST)
    campaign = _saved(request, form)
    if campaign is None:
        return _render_list(request, form, status=400)
    messages.success(request, f"{campaign.get_kind_display()} “{campaign.name}” added.")
    return redirect("campaigns", org_slug=request.organisation.slug)


@org_view(Permission.PUBLISH)
def campaign_edit(request, campaign_id: int):
    campaign = get_object_or_404(Campaign, id=campaign_id, organisation=request.organisation)
    form = CampaignForm(request.POST or None, instance=campaign)
    if request.method == "POST" and _saved(request, form):
        messages.success(request, f"{campaign.get_kind_display()} “{campaign.name}” changed.")
        return redirect("campaigns", org_slug=request.organisation.slug)
    return render(
        request, "web/campaign_form.html", {"campaign": campaign, "form": form}, status=400 if form.is_bound else 200
    )


@org_view(Permission.DRAFT)
@require_POST
def scheduled_post_campaign(request, scheduled_post_id: int):
    post = get_object_or_404(ScheduledPost, id=scheduled_post_id, organisation=request.organisation)
    chosen = request.POST.get("campaign", "")
    campaign = None
    if chosen:
        campaign = get_object_or_404(Campaign, id=chosen if chosen.isdigit() else 0, organisation=request.organisation)
    scheduled_post_set_campaign(post=post, actor=request.user, campaign=campaign)
    messages.success(request, f"Filed under {campaign}." if campaign else "No longer filed under a campaign.")
    return redirect("scheduled_post", org_slug=request.organisation.slug, scheduled_post_id=post.id)
