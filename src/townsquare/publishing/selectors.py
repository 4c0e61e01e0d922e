"""Reads for scheduled posts."""

from __future__ import annotations

from datetime import UTC, datetime

from django.db.models import Count, QuerySet

from townsquare.orgs.models import Organisation
from townsquare.publishing.links import organisation_link_totals
from townsquare.publishing.models import PostStatus, ScheduledPost


def publishing_stats(*, organisation: Organisation) -> dict[str, int]:
    """How many of the organisation's posts are in each state (publishing counts as scheduled), and the clicks
    on their short links and the actions reported behind them."""
    rows = ScheduledPost.objects.filter(organisation=organisation).values("status").annotate(n=Count("id"))
    counts = {row["status"]: row["n"] for row in rows.order_by()}
    return {
        "drafts": counts.get(PostStatus.DRAFT, 0),
        "awaiting_approval": counts.get(PostStatus.SUBMITTED, 0),
        "approved": counts.get(PostStatus.APPROVED, 0),
        "scheduled": counts.get(PostStatus.SCHEDULED, 0) + counts.get(PostStatus.PUBLISHING, 0),
        "published": counts.get(PostStatus.PUBLISHED, 0),
        "failed": counts.get(PostStatus.FAILED, 0),
        **organisation_link_totals(organisation=organisation),
    }


def calendar_posts(*, organisation: Organisation, start: datetime, end: datetime) -> QuerySet[ScheduledPost]:
    """The organisation's posts planned for [start, end), every state, in time order."""
    return (
        ScheduledPost.objects.filter(organisation=organisation, scheduled_at__gte=start, scheduled_at__lt=end)
        .select_related("channel", "author", "approved_by", "campaign")
        .order_by("scheduled_at", "id")
    )


def approval_queue(*, organisation: Organisation) -> QuerySet[ScheduledPost]:
    """Posts awaiting approval, soonest first."""
    return calendar_posts(
        organisation=organisation, start=datetime.min.replace(tzinfo=UTC), end=datetime.max.replace(tzinfo=UTC)
    ).filter(status=PostStatus.SUBMITTED)
