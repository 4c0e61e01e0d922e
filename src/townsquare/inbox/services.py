"""Working conversations: assign, change status, snooze, notes, replies, and waking snoozed ones."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from townsquare.inbox.figures import policy_for
from townsquare.inbox.models import Conversation, ConversationEvent, DraftMarker, OutgoingReply, Status, Team
from townsquare.inbox.senders import ReplyFailed, ReplyUnavailable, reply_publish, reply_unavailable_reason
from townsquare.orgs.models import Membership
from townsquare.orgs.roles import Permission
from townsquare.posts.models import Post

DRAFT_FRESH = timedelta(seconds=30)
NOTE_MENTION = re.compile(r"(?<![\w@])@([\w.+-]+)")


def _event(conversation: Conversation, actor, kind: str, **fields) -> ConversationEvent:
    return ConversationEvent.objects.create(
        organisation_id=conversation.organisation_id,
        conversation=conversation,
        actor=actor,
        kind=kind,
        at=timezone.now(),
        **fields,
    )


def conversation_set_status(
    *, conversation: Conversation, actor, status: str, snoozed_until: datetime | None = None
) -> Conversation:
    if status not in Status.values:
        raise ValueError(f"unknown status {status!r}")
    if status == Status.SNOOZED and (snoozed_until is None or snoozed_until <= timezone.now()):
        raise ValueError("snooze until a time in the future")
    now = timezone.now()
    conversation.status = status
    conversation.status_changed_at = now
    conversation.snoozed_until = snoozed_until if status == Status.SNOOZED else None
    if status == Status.RESOLVED:
        conversation.resolved_at = now
    conversation.save(update_fields=["status", "status_changed_at", "snoozed_until", "resolved_at"])
    detail = {"status": status, "until": snoozed_until.isoformat() if snoozed_until else None}
    _event(conversation, actor, ConversationEvent.STATUS, detail=detail)
    return conversation


def conversation_assign(*, conversation: Conversation, actor, assignee=None, team: Team | None = None) -> Conversation:
    if assignee is not None and not assignee.memberships.filter(organisation_id=conversation.organisation_id).exists():
        raise ValueError("the assignee is not a member of this organisation")
    if team is not None and team.organisation_id != conversation.organisation_id:
        raise ValueError("a team of another organisation")
    conversation.assignee = assignee
    conversation.team = team
    conversation.save(update_fields=["assignee", "team"])
    detail = {"assignee": assignee.get_username() if assignee else None, "team": team.name if team else None}
    _event(conversation, actor, ConversationEvent.ASSIGNMENT, detail=detail)
    return conversation


def conversation_set_priority(*, conversation: Conversation, actor, priority: str) -> Conversation:
    """An empty priority returns to the computed one."""
    conversation.priority_override = priority
    conversation.save(update_fields=["priority_override"])
    _event(conversation, actor, ConversationEvent.PRIORITY, detail={"priority": priority or "computed"})
    return conversation


def conversation_add_note(*, conversation: Conversation, actor, text: str) -> ConversationEvent:
    """An internal note; @username mentions of the organisation's members are recorded."""
    names = set(NOTE_MENTION.findall(text))
    mentioned = list(
        get_user_model()
        .objects.filter(username__in=names, memberships__organisation_id=conversation.organisation_id)
        .values_list("username", flat=True)
    )
    return _event(conversation, actor, ConversationEvent.NOTE, text=text, mentions=sorted(mentioned))


def draft_touch(*, conversation: Conversation, user) -> None:
    """Mark `user` as writing a reply now (refreshed while they type)."""
    DraftMarker.objects.update_or_create(conversation=conversation, user=user, defaults={"updated_at": timezone.now()})


def draft_clear(*, conversation: Conversation, user) -> None:
    DraftMarker.objects.filter(conversation=conversation, user=user).delete()


@dataclass
class ReplyConflict:
    """What a member did not see before replying: others writing, replies sent since."""

    writers: list[str]
    replies: list[ConversationEvent]

    def __bool__(self) -> bool:
        return bool(self.writers or self.replies)


def reply_conflicts(*, conversation: Conversation, user, seen_event_id: int) -> ReplyConflict:
    writers = (
        DraftMarker.objects.filter(conversation=conversation, updated_at__gte=timezone.now() - DRAFT_FRESH)
        .exclude(user=user)
        .values_list("user__username", flat=True)
    )
    replies = (
        conversation.events.filter(kind=ConversationEvent.REPLY, id__gt=seen_event_id)
        .exclude(actor=user)
        .select_related("actor")
    )
    return ReplyConflict(writers=sorted(writers), replies=list(replies))


class ReplyNotSent(Exception):
    def __init__(self, conflict: ReplyConflict) -> None:
        super().__init__("someone else is writing or has just replied")
        self.conflict = conflict


def member_can(*, actor, organisation_id: int, permission: str) -> bool:
    membership = Membership.objects.filter(organisation_id=organisation_id, user=actor).first() if actor else None
    return membership is not None and membership.can(permission)


def reply_needs_approval(*, conversation: Conversation, actor) -> bool:
    """Members who may draft but not publish wait for an approver when the organisation's policy says so."""
    if member_can(actor=actor, organisation_id=conversation.organisation_id, permission=Permission.PUBLISH):
        return False
    if not member_can(actor=actor, organisation_id=conversation.organisation_id, permission=Permission.DRAFT):
        raise PermissionDenied("your role cannot reply")
    return policy_for(conversation.organisation).replies_need_approval


def conversation_reply(
    *, conversation: Conversation, actor, text: str, seen_event_id: int, confirmed: bool = False, key: str = ""
) -> ConversationEvent:
    """Reply in public on the conversation's channel. Unless `confirmed`, refuse when another member is
    writing or has replied since the member's page showed event `seen_event_id` (ReplyNotSent).

    `key` (from the reply form) is the idempotency key, stored before the network is called: sending the same
    form again (a double click, a retry after an error) publishes once. A reply that needs approval is held
    (a `reply_submitted` event is returned). Raises ReplyUnavailable or ReplyFailed; the reply is kept."""
    text = text.strip()
    if not text:
        raise ValueError("write a reply first")
    reason = conversation_reply_unavailable(conversation)
    if reason:
        raise ReplyUnavailable(reason)
    outgoing = _outgoing_for_key(conversation=conversation, actor=actor, text=text, key=key)
    if outgoing is not None and outgoing.state in (OutgoingReply.State.SENT, OutgoingReply.State.AWAITING):
        return _event_of(outgoing)  # this form was sent already
    conflict = reply_conflicts(conversation=conversation, user=actor, seen_event_id=seen_event_id)
    if conflict and not confirmed:
        raise ReplyNotSent(conflict)
    held = reply_needs_approval(conversation=conversation, actor=actor)
    if outgoing is None:
        outgoing = OutgoingReply(
            organisation_id=conversation.organisation_id,
            conversation=conversation,
            author=actor,
            text=text,
            idempotency_key=_fresh_key(key),
        )
    outgoing.state = OutgoingReply.State.AWAITING if held else OutgoingReply.State.SENDING
    outgoing.save()
    if held:
        with transaction.atomic():
            draft_clear(conversation=conversation, user=actor)
            return _event(
                conversation, actor, ConversationEvent.REPLY_SUBMITTED, text=text, detail={"outgoing": outgoing.pk}
            )
    return _send(outgoing)


def _valid_key(key: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(key)
    except (TypeError, ValueError):
        return None


def _outgoing_for_key(*, conversation: Conversation, actor, text: str, key: str) -> OutgoingReply | None:
    """The earlier attempt of this same reply form: sent, held, or not sent with the same text."""
    parsed = _valid_key(key)
    found = OutgoingReply.objects.filter(idempotency_key=parsed).first() if parsed else None
    if found is None or found.conversation_id != conversation.pk or found.author_id != getattr(actor, "pk", None):
        return None
    if found.state in (OutgoingReply.State.SENT, OutgoingReply.State.AWAITING):
        return found
    if found.state in (OutgoingReply.State.FAILED, OutgoingReply.State.SENDING) and found.text == text:
        return found
    return None


def _fresh_key(key: str) -> uuid.UUID:
    """The form's key unless it already names another reply (changed text, sent back, someone else's)."""
    parsed = _valid_key(key)
    if parsed is None or OutgoingReply.objects.filter(idempotency_key=parsed).exists():
        return uuid.uuid4()
    return parsed


def _event_of(outgoing: OutgoingReply) -> ConversationEvent:
    kind = ConversationEvent.REPLY if outgoing.state == OutgoingReply.State.SENT else ConversationEvent.REPLY_SUBMITTED
    if kind == ConversationEvent.REPLY:
        return outgoing.conversation.events.filter(kind=kind, post=outgoing.post).first()
    return outgoing.conversation.events.filter(kind=kind, detail__outgoing=outgoing.pk).first()


def _send(outgoing: OutgoingReply, *, approver=None) -> ConversationEvent:
    """Publish a stored outgoing reply with its key; record the reply event (its author as actor)."""
    conversation = outgoing.conversation
    try:
        post = reply_publish(
            channel=conversation.channel,
            text=outgoing.text,
            in_reply_to=_reply_target(conversation),
            idempotency_key=str(outgoing.idempotency_key),
            direct_to=conversation.participant.handle if conversation.kind == Conversation.DIRECT else "",
        )
    except (ReplyFailed, ReplyUnavailable) as failure:
        outgoing.state, outgoing.error = OutgoingReply.State.FAILED, str(failure)
        outgoing.save(update_fields=["state", "error", "updated_at"])
        raise
    with transaction.atomic():
        # Routing the published post already recorded the reply; it was this member who wrote it.
        event = ConversationEvent.objects.filter(kind=ConversationEvent.REPLY, post=post).first()
        detail = {"approved_by": approver.get_username()} if approver else {}
        if event is None:
            event = _event(conversation, outgoing.author, ConversationEvent.REPLY, post=post, text=outgoing.text)
        event.actor, event.detail = outgoing.author, {**event.detail, **detail}
        event.save(update_fields=["actor", "detail"])
        outgoing.state, outgoing.post, outgoing.error = OutgoingReply.State.SENT, post, ""
        outgoing.save(update_fields=["state", "post", "error", "updated_at"])
        if outgoing.author is not None:
            draft_clear(conversation=conversation, user=outgoing.author)
    return event


def replies_pending(*, conversation: Conversation) -> list[OutgoingReply]:
    """Replies awaiting an approver, and approved ones the network did not take (to try again)."""
    return list(
        conversation.outgoing_replies.filter(
            Q(state=OutgoingReply.State.AWAITING) | Q(state=OutgoingReply.State.FAILED, reviewed_by__isnull=False)
        ).select_related("author", "reviewed_by")
    )


def reply_returned_to(*, conversation: Conversation, author) -> OutgoingReply | None:
    """The author's latest reply, if an approver sent it back and no reply has gone out here since: its text
    goes back into the author's reply box to change. Sending anything newer supersedes it."""
    latest = (
        conversation.outgoing_replies.filter(author=author)
        .select_related("reviewed_by")
        .order_by("-created_at", "-id")
        .first()
    )
    if latest is None or latest.state != OutgoingReply.State.RETURNED:
        return None
    answered_since = conversation.outgoing_replies.filter(
        state=OutgoingReply.State.SENT, updated_at__gt=latest.updated_at
    ).exists()
    return None if answered_since else latest


def _claim_for_review(outgoing: OutgoingReply, actor, to_state: str) -> None:
    if not member_can(actor=actor, organisation_id=outgoing.organisation_id, permission=Permission.PUBLISH):
        raise PermissionDenied("only an approver (publish permission) can review replies")
    # Conditional on the state, so two approvers acting at once cannot both send it.
    reviewable = Q(state=OutgoingReply.State.AWAITING) | Q(state=OutgoingReply.State.FAILED, reviewed_by__isnull=False)
    claimed = OutgoingReply.objects.filter(reviewable, pk=outgoing.pk).update(
        state=to_state, reviewed_by=actor, updated_at=timezone.now()
    )
    if not claimed:
        raise ValueError("this reply was already reviewed by someone else")
    outgoing.refresh_from_db()


def reply_approve(*, outgoing: OutgoingReply, actor) -> ConversationEvent:
    """An approver accepts a held reply: it is sent as its author's, through the same path as any reply."""
    _claim_for_review(outgoing, actor, OutgoingReply.State.SENDING)
    author = outgoing.author.get_username() if outgoing.author else None
    detail = {"outgoing": outgoing.pk, "author": author}
    _event(outgoing.conversation, actor, ConversationEvent.REPLY_APPROVED, text=outgoing.text, detail=detail)
    return _send(outgoing, approver=actor)


def reply_return(*, outgoing: OutgoingReply, actor, comment: str) -> ConversationEvent:
    """An approver sends a held reply back to its author with a comment saying what to change."""
    comment = comment.strip()
    if not comment:
        raise ValueError("say what to change in the comment")
    _claim_for_review(outgoing, actor, OutgoingReply.State.RETURNED)
    OutgoingReply.objects.filter(pk=outgoing.pk).update(review_comment=comment)
    detail = {
        "outgoing": outgoing.pk,
        "reply": outgoing.text,
        "author": outgoing.author.get_username() if outgoing.author else None,
    }
    return _event(outgoing.conversation, actor, ConversationEvent.REPLY_RETURNED, text=comment, detail=detail)


def conversation_reply_unavailable(conversation: Conversation) -> str:
    """Why no reply can be sent in this conversation, or "" when one can."""
    return reply_unavailable_reason(conversation.channel, private=conversation.kind == Conversation.DIRECT)


def _reply_target(conversation: Conversation) -> str:
    """The latest message from the public in the thread (or from the person, in a private conversation), so
    the reply lands where the talk is."""
    if conversation.kind == Conversation.DIRECT:
        latest = (
            Post.objects.filter(
                organisation_id=conversation.organisation_id,
                network=conversation.channel.network,
                author=conversation.participant,
                extra__direct_to__iexact=conversation.channel.handle,
            )
            .order_by("-created_at", "-id")
            .first()
        )
        return latest.external_id if latest else ""
    latest = (
        Post.objects.filter(conversation_root_id=conversation.root_post_id)
        .exclude(author__handle__iexact=conversation.channel.handle)
        .order_by("-created_at", "-id")
        .first()
    )
    return latest.external_id if latest else conversation.root_post.external_id


def conversations_wake(*, now: datetime | None = None) -> int:
    """Snoozed conversations whose time has come are open again; each claimed once (conditional update)."""
    now = now or timezone.now()
    woken = 0
    for conversation in Conversation.objects.filter(status=Status.SNOOZED, snoozed_until__lte=now):
        claimed = Conversation.objects.filter(pk=conversation.pk, status=Status.SNOOZED).update(
            status=Status.OPEN, status_changed_at=now, snoozed_until=None
        )
        if claimed:
            woken += 1
            conversation.refresh_from_db()
            _event(conversation, None, ConversationEvent.STATUS, detail={"status": Status.OPEN, "woken": True})
    return woken
