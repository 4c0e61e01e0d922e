"""Working conversations: concurrent replies, snoozing, reopening, direct messages, contacts, the sender map."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import make_channel, store_posts
from townsquare.inbox.contacts import contact_merge, contact_split, contact_suggestions
from townsquare.inbox.models import Conversation, ConversationEvent, Status
from townsquare.inbox.services import (
    ReplyNotSent,
    conversation_add_note,
    conversation_reply,
    conversation_set_status,
    conversations_wake,
    draft_touch,
)


@pytest.fixture
def conversation(organisation):
    make_channel(organisation, handle="council")
    store_posts(organisation, {"id": "q1", "text": "@council the bins were not collected", "author": "ann"})
    return Conversation.objects.get(organisation=organisation)


def last_event_id(conversation) -> int:
    return conversation.events.order_by("-id").values_list("id", flat=True).first() or 0


def test_two_members_replying_at_once_get_the_warning(conversation, people):
    seen = last_event_id(conversation)  # both members open the page and see the same thing
    draft_touch(conversation=conversation, user=people["editor"])
    with pytest.raises(ReplyNotSent) as writing:
        conversation_reply(conversation=conversation, actor=people["owner"], text="On our way", seen_event_id=seen)
    assert writing.value.conflict.writers == ["editor"]
    first = conversation_reply(
        conversation=conversation, actor=people["editor"], text="Sorry, today", seen_event_id=seen
    )
    with pytest.raises(ReplyNotSent) as replied:
        conversation_reply(conversation=conversation, actor=people["owner"], text="On our way", seen_event_id=seen)
    assert replied.value.conflict.replies == [first] and replied.value.conflict.writers == []
    # Having seen the other reply, or confirming, the member may send.
    conversation_reply(conversation=conversation, actor=people["owner"], text="Also", seen_event_id=first.id)
    replies = conversation.events.filter(kind=ConversationEvent.REPLY).order_by("id")
    assert [(e.actor.username, e.post.in_reply_to_external_id) for e in replies] == [("editor", "q1"), ("owner", "q1")]
    conversation.refresh_from_db()
    assert conversation.first_response_at == first.post.created_at


def test_a_snoozed_conversation_returns_at_its_time(conversation, people):
    until = timezone.now() + timedelta(hours=2)
    conversation_set_status(
        conversation=conversation, actor=people["owner"], status=Status.SNOOZED, snoozed_until=until
    )
    assert conversations_wake(now=until - timedelta(seconds=1)) == 0
    assert conversations_wake(now=until) == 1
    assert conversations_wake(now=until) == 0
    conversation.refresh_from_db()
    assert (conversation.status, conversation.snoozed_until) == (Status.OPEN, None)


def test_the_periodic_task_wakes_snoozed_conversations(conversation, people):
    from townsquare.inbox.tasks import wake_snoozed_conversations

    until = timezone.now() + timedelta(seconds=1)
    conversation_set_status(
        conversation=conversation, actor=people["owner"], status=Status.SNOOZED, snoozed_until=until
    )
    Conversation.objects.filter(pk=conversation.pk).update(snoozed_until=timezone.now() - timedelta(seconds=1))
    wake_snoozed_conversations.call_local()
    conversation.refresh_from_db()
    assert conversation.status == Status.OPEN


def test_a_new_public_message_reopens_but_our_reply_resolves_nothing(organisation, conversation, people):
    conversation_set_status(conversation=conversation, actor=people["owner"], status=Status.RESOLVED)
    now = timezone.now()
    store_posts(organisation, {"id": "r1", "author": "council", "in_reply_to": "q1", "created_at": now.isoformat()})
    conversation.refresh_from_db()
    assert conversation.status == Status.RESOLVED and conversation.first_response_at is not None
    later = (now + timedelta(seconds=5)).isoformat()
    store_posts(
        organisation, {"id": "q2", "author": "ann", "in_reply_to": "r1", "text": "still not", "created_at": later}
    )
    conversation.refresh_from_db()
    assert conversation.status == Status.OPEN


def test_a_late_parent_merges_two_conversations_into_one(organisation, people):
    make_channel(organisation, handle="council")
    store_posts(organisation, {"id": "c", "in_reply_to": "b", "author": "bob", "text": "@council me too"})
    store_posts(organisation, {"id": "a2", "in_reply_to": "a", "author": "ann", "text": "@council hello?"})
    conversation_add_note(
        conversation=Conversation.objects.get(root_post__external_id="c"), actor=people["owner"], text="ask @editor"
    )
    store_posts(organisation, {"id": "b", "in_reply_to": "a", "author": "cat", "text": "the bins"})
    store_posts(
        organisation, {"id": "a", "author": "dan", "text": "@council bins!", "created_at": "2026-02-01T08:00:00Z"}
    )
    conversation = Conversation.objects.get(organisation=organisation)
    assert conversation.root_post.external_id == "a" and conversation.contact.name == "dan"
    assert conversation.events.get(kind=ConversationEvent.NOTE).mentions == ["editor"]


def test_direct_messages_thread_by_participant(organisation):
    make_channel(organisation, handle="council")
    store_posts(
        organisation,
        {"id": "d1", "author": "ann", "text": "my address", "extra": {"direct_to": "council"}},
        {"id": "d2", "author": "council", "text": "thanks", "extra": {"direct_to": "ann"}},
        {"id": "d3", "author": "bob", "text": "hello", "extra": {"direct_to": "council"}},
    )
    direct = Conversation.objects.filter(kind=Conversation.DIRECT).order_by("participant__handle")
    assert [c.participant.handle for c in direct] == ["ann", "bob"]
    assert direct[0].first_response_at is not None and direct[1].first_response_at is None


def test_routing_a_large_batch_takes_few_queries(organisation):
    make_channel(organisation, handle="council")
    posts = [
        {"id": f"p{i}", "author": f"u{i % 300}", "text": "@council hi", "in_reply_to": f"p{i - 1}" if i % 5 else ""}
        for i in range(2000)
    ]
    with CaptureQueriesContext(connection) as queries:
        store_posts(organisation, *posts)
    assert Conversation.objects.filter(organisation=organisation).count() == 400
    routing = [q for q in queries.captured_queries if "inbox_" in q["sql"]]
    assert len(routing) < 30


def test_contacts_merge_split_and_suggestions(organisation):
    make_channel(organisation, handle="council")
    make_channel(organisation, handle="council", network="mastodon")
    store_posts(organisation, {"id": "1", "author": "ann", "text": "@council hi"})
    store_posts(organisation, {"id": "2", "author": "ann", "text": "@council hi"}, network="mastodon")
    [group] = contact_suggestions(organisation=organisation)
    merged = contact_merge(organisation=organisation, into=group[0], others=group[1:])
    assert merged.links.count() == 2 and merged.conversations.count() == 2
    assert contact_suggestions(organisation=organisation) == []
    identity = merged.links.get(identity__network="mastodon").identity
    split = contact_split(organisation=organisation, contact=merged, identity=identity)
    assert split != merged and split.conversations.count() == 1 and merged.conversations.count() == 1
