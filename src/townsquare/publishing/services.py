"""Writes for scheduled posts: creating and scheduling them."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError

from townsquare.channels.models import Channel, ChannelStatus
from townsquare.orgs.models import Organisation
from townsquare.publishing.models import Campaign, PostStatus, ScheduledPost
from townsquare.publishing.text import text_length, text_limit, text_unit


def checked_text(*, channel: Channel, text: str) -> str:
    """The text stripped, or a ValidationError when it is empty or past the channel's network limit."""
    text = text.strip()
    if not text:
        raise ValidationError("text: a post needs some text")
    limit = text_limit(channel.network)
    length = text_length(text=text, network=channel.network)
    if limit and length > limit:
        unit = text_unit(channel.network)
        raise ValidationError(f"text: {length} {unit}, but {channel.get_network_display()} allows {limit}")
    return text


def scheduled_post_create(
    *,
    organisation: Organisation,
    channel: Channel,
    text: str,
    scheduled_at: datetime,
    author=None,
    status: str = PostStatus.DRAFT,
    campaign: Campaign | None = None,
) -> ScheduledPost:
    """A new post on one of the organisation's channels, at an aware time (stored in UTC)."""
    if channel.organisation_id != organisation.id:
        raise ValidationError("channel: not one of this organisation's channels")
    if channel.status == ChannelStatus.DISABLED:
        raise ValidationError(f"channel: {channel} is disabled")
    if scheduled_at.tzinfo is None:
        raise ValueError("scheduled_at must be time-zone aware")
    if status not in (PostStatus.DRAFT, PostStatus.SUBMITTED, PostStatus.SCHEDULED):
        raise ValidationError(f"status: a new post cannot start as {status}")
    if campaign is not None and campaign.organisation_id != organisation.id:
        raise ValidationError("campaign: not one of this organisation's campaigns")
    return ScheduledPost.objects.create(
        organisation=organisation,
        channel=channel,
        author=author,
        text=checked_text(channel=channel, text=text),
        scheduled_at=scheduled_at,
        next_attempt_at=scheduled_at,
        status=status,
        campaign=campaign,
    )
