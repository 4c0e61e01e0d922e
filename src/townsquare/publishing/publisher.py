"""Publishing claimed posts: call the network with the post's idempotency key, then record the outcome.

A transient failure puts the post back as `scheduled` with a backoff; a permanent one (or too many attempts)
marks it `failed`, keeps it, and tells the author and approver.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from townsquare.publishing.claims import scheduled_posts_claim, worker_name
from townsquare.publishing.links import text_with_short_links
from townsquare.publishing.media import media_items
from townsquare.publishing.models import PostStatus, PublishAttempt, ScheduledPost
from townsquare.publishing.networks import PublishError, network_publish
from townsquare.publishing.notify import failure_notify

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)


def retry_delay(attempts: int) -> timedelta:
    """30 s after the first failure, doubling each time, at most an hour."""
    return min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_CAP)


@dataclass
class RunResult:
    published: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def _lease_held(post: ScheduledPost):
    # Every write after the network call is conditional on still holding the lease: if it expired and another
    # worker claimed the post, that worker finishes it (idempotently) and this one writes nothing.
    return ScheduledPost.objects.filter(id=post.id, status=PostStatus.PUBLISHING, claimed_by=post.claimed_by)


def scheduled_post_publish(*, post: ScheduledPost) -> str:
    """Publish one post claimed by this worker; returns the attempt's outcome."""
    started = timezone.now()
    external_id, error, permanent, wait = "", "", False, None
    try:
        external_id = network_publish(
            channel=post.channel,
            text=text_with_short_links(post=post),
            key=str(post.idempotency_key),
            media=media_items(post=post),
        )
    except PublishError as failure:
        error, permanent, wait = str(failure), failure.permanent, failure.retry_after
    except Exception as failure:  # an unexpected error is treated as transient: the key makes a retry safe
        logger.exception("publishing post %s failed", post.id)
        error = f"{type(failure).__name__}: {failure}"
    finished = timezone.now()
    if not error:
        outcome = PublishAttempt.Outcome.PUBLISHED
        changes = {"status": PostStatus.PUBLISHED, "published_external_id": external_id, "published_at": finished}
    elif permanent or post.attempts >= MAX_ATTEMPTS:
        outcome = PublishAttempt.Outcome.FAILED
        changes = {"status": PostStatus.FAILED}
    else:
        outcome = PublishAttempt.Outcome.RETRY
        # Never sooner than the network asked (its Retry-After), nor sooner than the backoff.
        delay = max(retry_delay(post.attempts), timedelta(seconds=wait or 0))
        changes = {"status": PostStatus.SCHEDULED, "next_attempt_at": finished + delay}
    with transaction.atomic():
        _lease_held(post).update(**changes, last_error=error, claimed_by="", claimed_at=None)
        PublishAttempt.objects.create(
            post=post,
            number=post.attempts,
            worker=post.claimed_by,
            started_at=started,
            finished_at=finished,
            outcome=outcome,
            error=error,
            external_id=external_id,
        )
        if outcome == PublishAttempt.Outcome.FAILED:
            post.last_error = error
            transaction.on_commit(lambda: failure_notify(post=post))
    return outcome


def scheduled_posts_publish_due(*, worker: str | None = None, batch: int = 10, max_batches: int = 0) -> RunResult:
    """Claim and publish due posts, batch by batch, until none is due (or `max_batches`, when given)."""
    worker = worker or worker_name()
    result = RunResult()
    batches = 0
    while not max_batches or batches < max_batches:
        claimed = scheduled_posts_claim(worker=worker, limit=batch)
        if not claimed:
            break
        batches += 1
        for post in claimed:
            outcome = scheduled_post_publish(post=post)
            {"published": result.published, "retry": result.retrying, "failed": result.failed}[outcome].append(post.id)
    return result
