"""Reads for the inbox pages, always scoped to one organisation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.db.models import Case, DateTimeField, Exists, F, IntegerField, OuterRef, Q, QuerySet, When
from django.utils import timezone

from townsquare.inbox.figures import first_response_target, policy_for
from townsquare.inbox.models import Conversation, ConversationEvent, OutgoingReply, Priority, Status
from townsquare.orgs.models import Organisation
from townsquare.posts.models import Post

VIEWS = {
    "all": "All open",
    "mine": "Mine",
    "unassigned": "Unassigned",
    # Conversations holding a message the enrichment model labels a complaint.
    "complaints": "Complaints",
    "breached": "Past target",
    "resolved": "Resolved",
    # Conversations holding a reply that waits for an approver (see docs/inbox.md).
    "approval": "Replies to approve",
}


@dataclass(frozen=True)
class InboxFilters:
    view: str = "all"
    status: str = ""
    priority: str = ""
    assignee: str = ""
    sort: str = ""  # "": most recent activity first; "target": the longest waiting past its target first

    def as_query(self) -> dict[str, str]:
        """Only the filters that are set (the short form kept in links and saved views)."""
        return {key: value for key, value in asdict(self).items() if value and not (key == "view" and value == "all")}


def inbox_filters(query: Mapping[str, str]) -> InboxFilters:
    """The inbox filters from a query (or a saved view); unknown values fall back to "any"."""
    return InboxFilters(
        view=query.get("view") if query.get("view") in VIEWS else "all",
        status=query.get("status") if query.get("status") in Status.values else "",
        priority=query.get("priority") if query.get("priority") in Priority.values else "",
        assignee=str(query.get("assignee") or "")[:150],
        sort=query.get("sort") if query.get("sort") in SORTS else "",
    )


SORTS = {"": "Most recent activity first", "target": "Unanswered, closest to or furthest past its target first"}


def _by_target(conversations: QuerySet, policy) -> QuerySet:
    """Unanswered conversations first, ordered by when their first-response target falls (so the longest
    waiting past it comes first, whatever its priority), then the answered ones by recent activity."""
    answer_by = Case(
        *[
            When(_priority_is(priority), then=F("first_public_message_at") + timedelta(seconds=target))
            for priority in Priority.values
            for target in [first_response_target(policy, priority)]
        ],
        output_field=DateTimeField(),
    )
    unanswered = Case(When(first_response_at__isnull=True, then=0), default=1, output_field=IntegerField())
    return conversations.annotate(answer_by=answer_by, answered=unanswered).order_by(
        "answered", F("answer_by").asc(nulls_last=True), "-last_message_at", "-id"
    )


def _priority_is(priority: str) -> Q:
    return Q(priority_override=priority) | Q(priority_override="", priority_computed=priority)


def _holds_a_complaint() -> Q:
    """A public thread with a complaint in it, or a private conversation whose person sent one."""
    in_thread = Post.objects.filter(conversation_root_id=OuterRef("root_post_id"), complaint=True)
    from_person = Post.objects.filter(author_id=OuterRef("participant_id"), extra__has_key="direct_to", complaint=True)
    return (Q(kind=Conversation.PUBLIC) & Exists(in_thread)) | (Q(kind=Conversation.DIRECT) & Exists(from_person))


def conversation_list(
    *, organisation: Organisation, user, filters: InboxFilters, now: datetime | None = None
) -> QuerySet:
    now = now or timezone.now()
    conversations = Conversation.objects.filter(organisation=organisation).select_related(
        "contact", "channel", "assignee", "team"
    )
    if filters.view == "resolved":
        conversations = conversations.filter(status=Status.RESOLVED)
    elif filters.status:
        conversations = conversations.filter(status=filters.status)
    elif filters.view != "approval":  # a held reply waits whatever the conversation's status
        conversations = conversations.exclude(status=Status.RESOLVED)
    if filters.view == "mine":
        conversations = conversations.filter(assignee=user)
    elif filters.view == "unassigned":
        conversations = conversations.filter(assignee=None, team=None)
    elif filters.view == "complaints":
        conversations = conversations.filter(_holds_a_complaint())
    elif filters.view == "approval":
        held = OutgoingReply.objects.filter(state=OutgoingReply.State.AWAITING).values("conversation_id")
        conversations = conversations.filter(pk__in=held)
    elif filters.view == "breached":
        policy = policy_for(organisation)
        late = Q()
        for priority in Priority.values:
            deadline = now - timedelta(seconds=first_response_target(policy, priority))
            late |= _priority_is(priority) & Q(first_public_message_at__lt=deadline)
        conversations = conversations.filter(late, first_response_at=None)
    if filters.priority:
        conversations = conversations.filter(_priority_is(filters.priority))
    if filters.assignee:
        conversations = conversations.filter(assignee__username=filters.assignee)
    if filters.sort == "target":
        conversations = _by_target(conversations, policy_for(organisation))
    return conversations


def time_left_s(*, conversation: Conversation, organisation: Organisation, now: datetime | None = None) -> float | None:
    """Seconds left before the first-response target (negative: past it); None once answered."""
    if conversation.first_response_at or not conversation.first_public_message_at:
        return None
    target = first_response_target(policy_for(organisation), conversation.priority)
    deadline = conversation.first_public_message_at + timedelta(seconds=target)
    return (deadline - (now or timezone.now())).total_seconds()


def conversation_posts(*, conversation: Conversation) -> QuerySet:
    if conversation.kind == Conversation.DIRECT:
        handles = [conversation.channel.handle, conversation.participant.handle]
        return (
            Post.objects.filter(
                organisation_id=conversation.organisation_id,
                network=conversation.channel.network,
                extra__has_key="direct_to",
                author__handle__in=handles,
            )
            .select_related("author")
            .order_by("created_at", "id")
        )
    return (
        Post.objects.filter(conversation_root_id=conversation.root_post_id)
        .select_related("author")
        .order_by("created_at", "id")
    )


def conversation_events(*, conversation: Conversation, after: int = 0) -> QuerySet:
    return ConversationEvent.objects.filter(conversation=conversation, id__gt=after).select_related("actor", "post")
