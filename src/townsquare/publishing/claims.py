"""Claiming due posts so that no two workers publish the same post at the same time.

A claim is one conditional UPDATE that re-checks the due condition, inside a transaction: on PostgreSQL the
candidates are locked with SELECT ... FOR UPDATE SKIP LOCKED, on SQLite the IMMEDIATE transaction holds the
database's write lock. Either way a post moves to `publishing` under exactly one claim token (the lease).
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from townsquare.publishing.models import PostStatus, ScheduledPost


def worker_name() -> str:
    return f"{socket.gethostname()[:60]}:{os.getpid()}"


def lease_timeout() -> timedelta:
    return timedelta(seconds=settings.TOWNSQUARE_PUBLISH_LEASE_SECONDS)


def _claimable(now: datetime) -> Q:
    due = Q(status=PostStatus.SCHEDULED, next_attempt_at__lte=now)
    # A worker that died mid-publish leaves its post `publishing`; after the lease it is fair game again.
    abandoned = Q(status=PostStatus.PUBLISHING, claimed_at__lt=now - lease_timeout())
    return due | abandoned


def scheduled_posts_claim(*, worker: str, limit: int = 10, now: datetime | None = None) -> list[ScheduledPost]:
    """Claim up to `limit` due posts for `worker`; returns them in `publishing`, each holding the lease."""
    now = now or timezone.now()
    token = f"{worker}:{uuid.uuid4().hex[:12]}"
    claimable = _claimable(now)
    with transaction.atomic():
        candidates = ScheduledPost.objects.filter(claimable).order_by("next_attempt_at", "id")
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True)
        ids = list(candidates.values_list("id", flat=True)[:limit])
        if not ids:
            return []
        ScheduledPost.objects.filter(claimable, id__in=ids).update(
            status=PostStatus.PUBLISHING, claimed_by=token, claimed_at=now, attempts=F("attempts") + 1
        )
    return list(
        ScheduledPost.objects.filter(claimed_by=token, status=PostStatus.PUBLISHING).select_related(
            "channel", "organisation", "author", "approved_by"
        )
    )
