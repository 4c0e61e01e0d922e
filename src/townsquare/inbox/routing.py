"""Routing stored posts into conversations (called once per stored batch by the ingest pipeline).

The figures of every touched conversation are recomputed from all of its posts, so the result does not
depend on the order in which posts arrive, within a batch or across batches. Queries per batch are a
handful plus one per 500 touched threads, whatever the size of the batch.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import F, Q

from townsquare.channels.models import Channel
from townsquare.inbox.contacts import contacts_for_identities
from townsquare.inbox.models import Conversation, ConversationEvent, Status
from townsquare.inbox.priority import priority_compute
from townsquare.orgs.models import Organisation
from townsquare.posts.models import Post

CHUNK = 500
THREAD_FIELDS = (
    "id",
    "conversation_root_id",
    "network",
    "created_at",
    "text",
    "mentions",
    "extra",
    "author_id",
    "author__handle",
    "author__display_name",
    "author__verified",
    "author__followers",
    "complaint",
    "sentiment",
)
FIGURES = [
    "channel",
    "contact",
    "subject",
    "priority_computed",
    "first_public_message_at",
    "first_response_at",
    "last_message_at",
    "last_public_message_at",
    "status",
    "status_changed_at",
    "snoozed_until",
]


@dataclass
class Message:
    id: int
    thread: object  # the conversation root's post id, or ("direct", channel id, identity id)
    network: str
    created_at: datetime
    text: str
    mentions: list[str]
    author_id: int
    handle: str
    display_name: str
    verified: bool
    followers: int | None
    complaint: bool | None  # from the enrichment labels
    sentiment: str
    channel: Channel | None  # set when the organisation wrote it


class ChannelIndex:
    """The organisation's channels by (network, lower-case handle)."""

    def __init__(self, organisation: Organisation) -> None:
        self.by_handle = {
            (channel.network, channel.handle.lower()): channel
            for channel in Channel.objects.filter(organisation=organisation)
        }

    def __bool__(self) -> bool:
        return bool(self.by_handle)

    def get(self, network: str, handle: str) -> Channel | None:
        return self.by_handle.get((network, handle.lower().lstrip("@")))


def direct_recipient(post_extra: dict) -> str:
    """Direct messages carry their recipient's handle in `extra.direct_to` (see docs/inbox.md)."""
    return str(post_extra.get("direct_to") or "") if isinstance(post_extra, dict) else ""


def conversations_route(*, organisation: Organisation, posts: list[Post]) -> list[Conversation]:
    """Thread newly stored posts into the organisation's conversations; returns those touched."""
    channels = ChannelIndex(organisation)
    if not posts or not channels:
        return []
    with transaction.atomic():
        roots = _current_roots(posts)
        existing = _public_conversations(organisation, roots)
        merged_into = _follow_moved_roots(organisation, existing, roots)
        messages = _thread_messages(organisation, channels, roots, posts)
        touched = _apply(organisation, channels, messages, existing, posts)
        _ensure_reply_events(organisation, touched, messages)
        for old, new in merged_into:
            if new in touched:
                ConversationEvent.objects.create(
                    organisation=organisation,
                    conversation=new,
                    kind=ConversationEvent.MERGE,
                    detail={"merged": old},
                    at=new.last_message_at,
                )
    return list(touched)


def _current_roots(posts: list[Post]) -> set[int]:
    """Threading sets roots on fresh copies of the posts: read them back (the objects passed may be stale)."""
    ids = [post.id for post in posts if not direct_recipient(post.extra)]
    roots = set()
    for start in range(0, len(ids), CHUNK):
        roots.update(
            Post.objects.filter(id__in=ids[start : start + CHUNK]).values_list("conversation_root_id", flat=True)
        )
    return roots


def _public_conversations(organisation: Organisation, roots: set[int]) -> dict[object, Conversation]:
    found = {}
    ids = list(roots)
    for start in range(0, len(ids), CHUNK):
        for conversation in Conversation.objects.filter(
            organisation=organisation, kind=Conversation.PUBLIC, root_post_id__in=ids[start : start + CHUNK]
        ):
            found[conversation.root_post_id] = conversation
    return found


def _follow_moved_roots(organisation, existing: dict, roots: set[int]) -> list[tuple[int, Conversation]]:
    """A late parent moves a thread's root: a conversation keyed on the old root joins the new one."""
    moved = list(
        Conversation.objects.filter(organisation=organisation, kind=Conversation.PUBLIC)
        .exclude(root_post__conversation_root=F("root_post"))
        .select_related("root_post")
    )
    merged = []
    for conversation in moved:
        new_root = conversation.root_post.conversation_root_id
        roots.add(new_root)
        if new_root not in existing:
            existing.update(_public_conversations(organisation, {new_root}))
        target = existing.get(new_root)
        if target is None:
            conversation.root_post_id = new_root
            conversation.save(update_fields=["root_post"])
            existing[new_root] = conversation
        else:
            _merge(conversation, target)
            merged.append((conversation.pk, target))
    return merged


def _merge(source: Conversation, target: Conversation) -> None:
    source.events.update(conversation=target)
    target.assignee_id = target.assignee_id or source.assignee_id
    target.team_id = target.team_id or source.team_id
    target.priority_override = target.priority_override or source.priority_override
    target.labels = sorted(set(target.labels) | set(source.labels))
    if Status.OPEN in (source.status, target.status):
        target.status = Status.OPEN
    target.save()
    source.delete()


def _thread_messages(organisation, channels: ChannelIndex, roots: set[int], posts: list[Post]) -> list[Message]:
    """Every post of the touched public threads and direct-message pairs, oldest first."""
    rows = []
    ids = list(roots)
    for start in range(0, len(ids), CHUNK):
        rows.extend(
            Post.objects.filter(organisation=organisation, conversation_root_id__in=ids[start : start + CHUNK])
            .exclude(extra__has_key="direct_to")
            .values(*THREAD_FIELDS)
        )
    pairs = _direct_pairs(channels, posts)
    if pairs:
        handles = {handle for pair in pairs for handle in pair[1:]}
        rows.extend(
            Post.objects.filter(organisation=organisation, extra__has_key="direct_to")
            .filter(Q(author__handle__in=handles))
            .values(*THREAD_FIELDS)
        )
    messages = []
    for row in rows:
        channel = channels.get(row["network"], row["author__handle"])
        recipient = direct_recipient(row["extra"])
        if recipient:
            key = _direct_key(channels, row["network"], row["author__handle"], recipient)
            if key not in pairs:
                continue
            thread = ("direct", *key)
        else:
            thread = row["conversation_root_id"]
        messages.append(
            Message(
                id=row["id"],
                thread=thread,
                network=row["network"],
                created_at=row["created_at"],
                text=row["text"],
                mentions=row["mentions"] or [],
                author_id=row["author_id"],
                handle=row["author__handle"],
                display_name=row["author__display_name"],
                verified=row["author__verified"],
                followers=row["author__followers"],
                complaint=row["complaint"],
                sentiment=row["sentiment"],
                channel=channel,
            )
        )
    messages.sort(key=lambda message: (message.created_at, message.id))
    return messages


def _direct_key(channels: ChannelIndex, network: str, author: str, recipient: str) -> tuple | None:
    """(network, channel handle, other handle) for a message between a channel and someone else."""
    if channels.get(network, author) and not channels.get(network, recipient):
        return (network, author.lower(), recipient.lower().lstrip("@"))
    if channels.get(network, recipient) and not channels.get(network, author):
        return (network, recipient.lower().lstrip("@"), author.lower())
    return None


def _direct_pairs(channels: ChannelIndex, posts: list[Post]) -> set[tuple]:
    pairs = set()
    for post in posts:
        recipient = direct_recipient(post.extra)
        if recipient and (key := _direct_key(channels, post.network, post.author.handle, recipient)):
            pairs.add(key)
    return pairs


def _apply(organisation, channels, messages: list[Message], existing: dict, posts: list[Post]) -> set[Conversation]:
    by_thread: dict[object, list[Message]] = defaultdict(list)
    for message in messages:
        by_thread[message.thread].append(message)
    threads = {key: found for key, found in by_thread.items() if _is_conversation(channels, key, found)}
    existing.update(_direct_conversations(organisation, channels, [k for k in threads if isinstance(k, tuple)]))
    first_public = {key: next(m for m in found if m.channel is None) for key, found in threads.items()}
    contacts = contacts_for_identities(
        organisation=organisation,
        identities={m.author_id: m.display_name or m.handle for m in first_public.values()},
    )
    new_ids = {post.id for post in posts}
    to_create, to_update = [], []
    for key, found in threads.items():
        conversation = existing.get(key)
        if conversation is None:
            conversation = Conversation(organisation=organisation, status=Status.OPEN)
            if isinstance(key, tuple):
                conversation.kind, conversation.participant_id = Conversation.DIRECT, first_public[key].author_id
            else:
                conversation.kind, conversation.root_post_id = Conversation.PUBLIC, key
            to_create.append(conversation)
        else:
            to_update.append(conversation)
        _set_figures(conversation, channels, key, found, first_public[key], contacts, new_ids)
    # SQLite 3.35+ and PostgreSQL return the new keys from bulk inserts.
    Conversation.objects.bulk_create(to_create, batch_size=CHUNK)
    Conversation.objects.bulk_update(to_update, FIGURES, batch_size=CHUNK)
    return set(to_create) | set(to_update)


def _is_conversation(channels: ChannelIndex, key: object, messages: list[Message]) -> bool:
    """A thread is a conversation once someone outside speaks in it and a channel is involved (always so
    for direct messages to a channel)."""
    if not any(m.channel is None for m in messages):
        return False
    return isinstance(key, tuple) or any(
        m.channel is not None or any(channels.get(m.network, handle) for handle in m.mentions) for m in messages
    )


def _direct_conversations(organisation, channels: ChannelIndex, keys: list[tuple]) -> dict[tuple, Conversation]:
    if not keys:
        return {}
    found = {}
    for conversation in Conversation.objects.filter(organisation=organisation, kind=Conversation.DIRECT).select_related(
        "channel", "participant"
    ):
        key = (
            "direct",
            conversation.channel.network,
            conversation.channel.handle.lower(),
            conversation.participant.handle.lower(),
        )
        found[key] = conversation
    return {key: found[key] for key in keys if key in found}


def _set_figures(conversation, channels, key, messages: list[Message], first, contacts, new_ids) -> None:
    ours = [m for m in messages if m.channel is not None]
    public = [m for m in messages if m.channel is None]
    if ours:
        conversation.channel = ours[0].channel
    elif isinstance(key, tuple):  # ("direct", network, channel handle, participant handle)
        conversation.channel = channels.get(key[1], key[2])
    else:
        conversation.channel = _mentioned_channel(channels, public)
    conversation.contact_id = contacts[first.author_id]
    conversation.subject = first.text[:300]
    conversation.priority_computed = priority_compute(
        text=first.text,
        verified=first.verified,
        followers=first.followers,
        complaint=bool(first.complaint),
        negative=first.sentiment == "negative",
    )
    conversation.first_public_message_at = first.created_at
    conversation.first_response_at = next((m.created_at for m in ours if m.created_at >= first.created_at), None)
    conversation.last_message_at = messages[-1].created_at
    conversation.last_public_message_at = public[-1].created_at
    # A new public message written after the conversation was resolved or snoozed reopens it.
    if conversation.status in (Status.RESOLVED, Status.SNOOZED) and any(
        m.id in new_ids and m.created_at > (conversation.status_changed_at or m.created_at) for m in public
    ):
        conversation.status = Status.OPEN
        conversation.status_changed_at = max(m.created_at for m in public if m.id in new_ids)
        conversation.snoozed_until = None


def _mentioned_channel(channels: ChannelIndex, public: list[Message]) -> Channel:
    for message in public:
        for handle in message.mentions:
            if channel := channels.get(message.network, handle):
                return channel
    raise AssertionError("a conversation always involves a channel")


def _ensure_reply_events(organisation, conversations: set[Conversation], messages: list[Message]) -> None:
    """Every post the organisation wrote in a conversation is a reply event (actor set when sent from here)."""
    by_key = {(c.root_post_id if c.kind == Conversation.PUBLIC else None): c for c in conversations}
    direct = {
        ("direct", c.channel.network, c.channel.handle.lower(), c.participant.handle.lower()): c
        for c in conversations
        if c.kind == Conversation.DIRECT
    }
    ours = []
    for message in messages:
        if message.channel is None:
            continue
        conversation = direct.get(message.thread) if isinstance(message.thread, tuple) else by_key.get(message.thread)
        if conversation is not None:
            ours.append((conversation, message))
    if not ours:
        return
    known = set()
    post_ids = [message.id for _, message in ours]
    for start in range(0, len(post_ids), CHUNK):
        known.update(
            ConversationEvent.objects.filter(
                kind=ConversationEvent.REPLY, post_id__in=post_ids[start : start + CHUNK]
            ).values_list("post_id", flat=True)
        )
    ConversationEvent.objects.bulk_create(
        [
            ConversationEvent(
                organisation=organisation,
                conversation=conversation,
                kind=ConversationEvent.REPLY,
                post_id=message.id,
                text=message.text,
                at=message.created_at,
            )
            for conversation, message in ours
            if message.id not in known
        ],
        batch_size=CHUNK,
    )
