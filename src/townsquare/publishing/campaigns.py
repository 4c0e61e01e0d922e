"""Campaigns and content themes: editors (Permission.PUBLISH) define them; posts are planned under them."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet

from townsquare.orgs.models import Membership, Organisation
from townsquare.orgs.roles import Permission
from townsquare.publishing.models import Campaign, ScheduledPost


def campaigns_for(*, organisation: Organisation) -> QuerySet[Campaign]:
    return Campaign.objects.filter(organisation=organisation).order_by("kind", "name")


def campaign_save(*, campaign: Campaign) -> Campaign:
    """Create or change a campaign; the colour and a name unique in the organisation are checked first."""
    campaign.full_clean()
    campaign.save()
    return campaign


def may_plan(*, membership: Membership | None, post: ScheduledPost) -> bool:
    """Approvers file any post under a campaign; contributors their own."""
    if membership is None or membership.organisation_id != post.organisation_id:
        return False
    if membership.can(Permission.PUBLISH):
        return True
    return membership.can(Permission.DRAFT) and post.author_id == membership.user_id


def scheduled_post_set_campaign(*, post: ScheduledPost, actor, campaign: Campaign | None) -> None:
    """File `post` under `campaign` (a campaign or a theme of the same organisation), or under none."""
    membership = Membership.objects.filter(organisation_id=post.organisation_id, user=actor).first()
    if not may_plan(membership=membership, post=post):
        raise PermissionDenied("Only an approver, or the post's author, can change its campaign")
    if campaign is not None and campaign.organisation_id != post.organisation_id:
        raise ValidationError("campaign: not one of this organisation's campaigns")
    ScheduledPost.objects.filter(id=post.id).update(campaign=campaign)
    post.campaign = campaign
