"""The inbox pages: list and saved views, the conversation page and its actions."""

from __future__ import annotations

from django.urls import reverse

from tests.factories import make_channel, store_posts
from townsquare.inbox.models import Conversation, ConversationEvent, Status


def setup_conversation(organisation, network="sandbox"):
    make_channel(organisation, handle="council", network=network)
    store_posts(
        organisation, {"id": "q1", "text": "@council urgent: flooding on Mill Lane", "author": "ann"}, network=network
    )
    return Conversation.objects.get(organisation=organisation)


def url(name, organisation, conversation=None):
    kwargs = {"org_slug": organisation.slug}
    if conversation:
        kwargs["conversation_id"] = conversation.id
    return reverse(name, kwargs=kwargs)


def test_the_inbox_lists_conversations_by_saved_view(client_for, organisation, people):
    conversation = setup_conversation(organisation)
    client = client_for("editor")
    page = client.get(url("inbox", organisation)).content.decode()
    assert "flooding on Mill Lane" in page and "past target" in page
    assert "Mill Lane" in client.get(url("inbox", organisation) + "?view=breached").content.decode()
    assert "Mill Lane" not in client.get(url("inbox", organisation) + "?view=mine").content.decode()
    conversation.assignee = people["editor"]
    conversation.save()
    assert "Mill Lane" in client.get(url("inbox", organisation) + "?view=mine").content.decode()
    assert "Mill Lane" not in client.get(url("inbox", organisation) + "?view=resolved").content.decode()


def test_members_work_a_conversation_from_its_page(client_for, organisation, people):
    conversation = setup_conversation(organisation)
    client = client_for("editor")
    work = url("conversation_work", organisation, conversation)
    client.post(work, {"action": "assign", "assignee": people["contributor"].pk})
    client.post(work, {"action": "note", "text": "@contributor can you check?"})
    client.post(work, {"action": "status", "status": "snoozed", "snoozed_until": "2099-01-01T09:00"})
    conversation.refresh_from_db()
    assert conversation.assignee == people["contributor"] and conversation.status == Status.SNOOZED
    assert conversation.events.get(kind=ConversationEvent.NOTE).mentions == ["contributor"]
    page = client.get(url("conversation", organisation, conversation)).content.decode()
    assert "flooding on Mill Lane" in page and "can you check?" in page


def test_a_reply_is_sent_unless_someone_else_just_replied(client_for, organisation):
    conversation = setup_conversation(organisation)
    reply = url("conversation_reply", organisation, conversation)
    owner = client_for("owner")
    owner.post(reply, {"text": "We are on it", "seen_event_id": 0})
    editor = client_for("editor")
    stale = editor.post(reply, {"text": "Crew sent", "seen_event_id": 0})
    assert stale.status_code == 409 and "has just replied" in stale.content.decode()
    assert editor.post(reply, {"text": "Crew sent", "seen_event_id": 0, "confirmed": "yes"}).status_code == 302
    texts = list(conversation.events.filter(kind="reply").order_by("id").values_list("text", flat=True))
    assert texts == ["We are on it", "Crew sent"]


def test_replying_on_a_channel_without_access_says_why(client_for, organisation):
    conversation = setup_conversation(organisation, network="twitter")
    response = client_for("owner").post(url("conversation_reply", organisation, conversation), {"text": "hi"})
    assert response.status_code == 400 and "no access is stored for @council" in response.content.decode()


def test_viewers_cannot_reply_or_work(client_for, organisation):
    conversation = setup_conversation(organisation)
    client = client_for("viewer")
    assert client.post(url("conversation_reply", organisation, conversation), {"text": "x"}).status_code == 403
    assert client.post(url("conversation_work", organisation, conversation), {"action": "note"}).status_code == 403
    assert client.get(url("conversation_updates", organisation, conversation)).status_code == 200
