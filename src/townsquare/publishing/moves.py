"""Moving a planned post to another time (drag to reschedule on the calendar, or its "Move" form).

A move is one conditional UPDATE on a state a worker cannot be in: a post a worker has claimed is
`publishing`, so the UPDATE (WHERE status IN the movable states) changes nothing and the move is refused;
a post moved first has a later `next_attempt_at`, which the claim's own conditional UPDATE re-checks, so a
worker can neither publish it at its old time nor lose it. Either the move or the claim wins, never both.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from townsquare.orgs.models import Membership
from townsquare.orgs.roles import Permission
from townsquare.publishing.models import PostStatus, ScheduledPost

# Not yet handed to a worker; `failed` stays where it failed, as the record of what happened.
MOVABLE = (PostStatus.DRAFT, PostStatus.SUBMITTED, PostStatus.APPROVED, PostStatus.SCHEDULED)
# A contributor may move their own posts until an approver has accepted them.
OWN_MOVABLE = (PostStatus.DRAFT, PostStatus.SUBMITTED)


def movable_states(*, membership: Membership | None, post: ScheduledPost) -> tuple[str, ...]:
    """The states in which this member may move this post: approvers any unpublished post, contributors
    their own until approval; empty when they may not move it at all."""
    if membership is None or membership.organisation_id != post.organisation_id:
        return ()
    if membership.can(Permission.PUBLISH):
        return MOVABLE
    if membership.can(Permission.DRAFT) and post.author_id == membership.user_id:
        return OWN_MOVABLE
    return ()


def may_move(*, membership: Membership | None, post: ScheduledPost) -> bool:
    return post.status in movable_states(membership=membership, post=post)


def scheduled_post_move(*, post: ScheduledPost, actor, to: datetime, now: datetime | None = None) -> None:
    """Move `post` to the aware time `to` (stored in UTC). Refused for someone who may not move it, for a
    time already past, and for a post a worker has claimed or that has been published or failed."""
    if to.tzinfo is None:
        raise ValueError("to must be time-zone aware")
    membership = Membership.objects.filter(organisation_id=post.organisation_id, user=actor).first()
    allowed = movable_states(membership=membership, post=post)
    if not allowed:
        raise PermissionDenied("Only an approver, or the author before approval, can move this post")
    if to <= (now or timezone.now()):
        raise ValidationError("time: that time has passed; pick a later one")
    moved = ScheduledPost.objects.filter(id=post.id, organisation_id=post.organisation_id, status__in=allowed).update(
        scheduled_at=to, next_attempt_at=to
    )
    if not moved:
        post.refresh_from_db(fields=["status"])
        raise ValidationError(
            f"this post is {post.get_status_display().lower()} and can no longer be moved"
            if post.status not in MOVABLE
            else "only an approver can move a post once it is approved"
        )
    post.scheduled_at = post.next_attempt_at = to
