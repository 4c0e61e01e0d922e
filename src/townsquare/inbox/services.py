"""Working conversations: assign, change status, snooze, notes, replies, and waking snoozed ones."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from townsquare.inbox.models import Conversation, ConversationEvent, DraftMarker, Status, Team
from townsquare.inbox.senders import reply_sender
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


def conversation_reply(
    *, conversation: Conversation, actor, text: str, seen_event_id: int, confirmed: bool = False
) -> ConversationEvent:
    """Reply in public on the conversation's channel. Unless `confirmed`, refuse when another member is
    writing or has replied since the member's page showed event `seen_event_id` (ReplyNotSent)."""
    text = text.strip()
    if not text:
        raise ValueError("write a reply first")
    conflict = reply_conflicts(conversation=conversation, user=actor, seen_event_id=seen_event_id)
    if conflict and not confirmed:
        raise ReplyNotSent(conflict)
    send = reply_sender(conversation.channel.network)
    post = send(channel=conversation.channel, text=text, in_reply_to=_reply_target(conversation))
    with transaction.atomic():
        # Routing the published post already recorded the reply; it was this member who wrote it.
        event = ConversationEvent.objects.filter(kind=ConversationEvent.REPLY, post=post).first()
        if event is None:
            event = _event(conversation, actor, ConversationEvent.REPLY, post=post, text=text)
        else:
            event.actor = actor
            event.save(update_fields=["actor"])
        draft_clear(conversation=conversation, user=actor)
    return event


def _reply_target(conversation: Conversation) -> str:
    """The latest public message of the thread, so the reply lands where the talk is."""
    if conversation.kind == Conversation.DIRECT:
        return ""
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
