"""Builders for publishing tests, through the real services."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from townsquare.publishing.models import PostStatus, ScheduledPost
from townsquare.publishing.services import scheduled_post_create

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def make_post(organisation, channel, *, text: str = "Bins collected as normal", at=None, **extra) -> ScheduledPost:
    return scheduled_post_create(
        organisation=organisation,
        channel=channel,
        text=text,
        scheduled_at=at or NOW - timedelta(minutes=1),
        status=extra.pop("status", PostStatus.SCHEDULED),
        **extra,
    )
