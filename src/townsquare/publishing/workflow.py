"""Approvals: contributors submit drafts, approvers (Permission.PUBLISH) approve or send them back.

The policy check runs on submit and on approval: a blocking finding stops both; warnings are returned so
the person can see them.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from townsquare.orgs.models import Membership
from townsquare.orgs.roles import Permission
from townsquare.publishing.models import PostStatus, PublishingPolicy, ReviewEvent, ScheduledPost
from townsquare.publishing.policy import BLOCK, Finding, Image, Policy, policy_check
from townsquare.publishing.services import checked_text


def policy_for(*, organisation) -> Policy:
    stored = PublishingPolicy.objects.filter(organisation=organisation).first()
    if stored is None:
        return Policy()
    return Policy(
        words_to_avoid=tuple(stored.words_to_avoid),
        allowed_domains=tuple(stored.allowed_domains),
        actions={
            "personal_data": stored.personal_data,
            "word_to_avoid": stored.words,
            "link": stored.links,
            "alt_text": stored.alt_text,
            "offensive": stored.offensive,
        },
    )


def scheduled_post_check(*, post: ScheduledPost) -> list[Finding]:
    images = [
        Image(name=item.filename or f"image {item.position + 1}", alt_text=item.alt_text) for item in post.media.all()
    ]
    return policy_check(text=post.text, policy=policy_for(organisation=post.organisation), images=images)


def _require(*, post: ScheduledPost, actor, permission: str) -> None:
    membership = Membership.objects.filter(organisation=post.organisation, user=actor).first()
    if membership is None or not membership.can(permission):
        raise PermissionDenied(f"{actor} may not {permission} in {post.organisation}")


def _passes_policy(post: ScheduledPost) -> list[Finding]:
    findings = scheduled_post_check(post=post)
    blocking = [finding.describe() for finding in findings if finding.action == BLOCK]
    if blocking:
        raise ValidationError(["The policy check blocks this post:", *blocking])
    return findings


def _move(post: ScheduledPost, *, expected: str, event: ReviewEvent, **changes) -> None:
    # Conditional on the state the actor saw, so two approvers acting at once cannot both succeed.
    with transaction.atomic():
        if not ScheduledPost.objects.filter(id=post.id, status=expected).update(**changes):
            raise ValidationError(f"this post is no longer {PostStatus(expected).label.lower()}")
        event.save()
    for name, value in changes.items():
        setattr(post, name, value)


def scheduled_post_submit(*, post: ScheduledPost, actor) -> list[Finding]:
    """A draft goes to the approvers; returns the policy warnings."""
    _require(post=post, actor=actor, permission=Permission.DRAFT)
    findings = _passes_policy(post)
    event = ReviewEvent(post=post, actor=actor, action=ReviewEvent.Action.SUBMITTED)
    _move(post, expected=PostStatus.DRAFT, event=event, status=PostStatus.SUBMITTED, review_comment="")
    return findings


def scheduled_post_approve(*, post: ScheduledPost, actor) -> list[Finding]:
    """An approver accepts a submitted post: it is scheduled for its time. Returns the policy warnings."""
    _require(post=post, actor=actor, permission=Permission.PUBLISH)
    findings = _passes_policy(post)
    _move(
        post,
        expected=PostStatus.SUBMITTED,
        event=ReviewEvent(post=post, actor=actor, action=ReviewEvent.Action.APPROVED),
        status=PostStatus.SCHEDULED,
        approved_by=actor,
        next_attempt_at=post.scheduled_at,
    )
    return findings


def scheduled_post_send_back(*, post: ScheduledPost, actor, comment: str) -> None:
    """An approver returns a submitted post to its author as a draft, saying why."""
    _require(post=post, actor=actor, permission=Permission.PUBLISH)
    if not comment.strip():
        raise ValidationError("comment: say what should change")
    comment = comment.strip()
    event = ReviewEvent(post=post, actor=actor, action=ReviewEvent.Action.SENT_BACK, comment=comment)
    _move(post, expected=PostStatus.SUBMITTED, event=event, status=PostStatus.DRAFT, review_comment=comment)


def scheduled_post_edit(*, post: ScheduledPost, actor, text: str) -> None:
    """Change a post's text before it is approved: its author while it is a draft (sent back or not), or an
    approver while it is a draft or awaiting approval. Recorded in the review history."""
    _require(post=post, actor=actor, permission=Permission.DRAFT)
    approver = Membership.objects.get(organisation=post.organisation, user=actor).can(Permission.PUBLISH)
    if not approver and post.author_id != actor.id:
        raise PermissionDenied("Only the author or an approver can edit this post")
    editable = (PostStatus.DRAFT, PostStatus.SUBMITTED) if approver else (PostStatus.DRAFT,)
    if post.status not in editable:
        raise ValidationError(f"this post is {post.get_status_display().lower()} and can no longer be edited")
    text = checked_text(channel=post.channel, text=text)
    event = ReviewEvent(post=post, actor=actor, action=ReviewEvent.Action.EDITED)
    _move(post, expected=post.status, event=event, text=text)
