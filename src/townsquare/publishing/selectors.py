"""Reads for scheduled posts."""

from __future__ import annotations

from django.db.models import Count

from townsquare.orgs.models import Organisation
from townsquare.publishing.models import PostStatus, ScheduledPost


def publishing_stats(*, organisation: Organisation) -> dict[str, int]:
    """How many of the organisation's posts are in each state (publishing counts as scheduled)."""
    rows = ScheduledPost.objects.filter(organisation=organisation).values("status").annotate(n=Count("id"))
    counts = {row["status"]: row["n"] for row in rows.order_by()}
    return {
        "drafts": counts.get(PostStatus.DRAFT, 0),
        "awaiting_approval": counts.get(PostStatus.SUBMITTED, 0),
        "approved": counts.get(PostStatus.APPROVED, 0),
        "scheduled": counts.get(PostStatus.SCHEDULED, 0) + counts.get(PostStatus.PUBLISHING, 0),
        "published": counts.get(PostStatus.PUBLISHED, 0),
        "failed": counts.get(PostStatus.FAILED, 0),
    }
