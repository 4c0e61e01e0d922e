"""Replies from the inbox go out through the channel's connector (here Mastodon, through the local stand-in)
and come back into the conversation as the organisation's post."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse

from tests.connectors.conftest import Canned, mastodon_notification, mastodon_status
from townsquare.inbox.models import Conversation, ConversationEvent
from townsquare.inbox.senders import ConnectorUnavailable, reply_sender
from townsquare.networks.sync import channel_sync
from townsquare.posts.models import Identity, Post


def conversation_with_a_mention(organisation, fake_network) -> Conversation:
    call_command(
        "channel", "add", "--org", "northfield", "--network", "mastodon", "--handle", "northfieldcc",
        "--instance", fake_network.url + "/", "--token", "token-1234",
    )  # fmt: skip
    mention = {"id": "77", "username": "northfieldcc", "acct": "northfieldcc", "url": "https://social.example/@n"}
    status = mastodon_status("5001", text="@northfieldcc the bins on Elm Street were missed", mentions=[mention])
    fake_network.statuses["5001"] = status
    fake_network.notifications.append(mastodon_notification(1001, status))
    channel_sync(channel=organisation.channels.get())
    return Conversation.objects.get(organisation=organisation)


def reply_url(conversation: Conversation) -> str:
    slug = conversation.organisation.slug
    return reverse("conversation_reply", kwargs={"org_slug": slug, "conversation_id": conversation.id})


def test_a_reply_goes_out_through_mastodon_and_joins_the_conversation(client_for, organisation, fake_network):
    conversation = conversation_with_a_mention(organisation, fake_network)
    owner = client_for("owner")
    response = owner.post(reply_url(conversation), {"text": "Sorry: a crew is on its way", "seen_event_id": 0})
    assert response.status_code == 302
    [(key, published)] = fake_network.published.items()
    assert published["in_reply_to_id"] == "5001" and key
    reply = Post.objects.get(external_id=published["id"])
    assert reply.source == "published" and reply.in_reply_to_id == Post.objects.get(external_id="5001").id
    assert reply.conversation_root_id == conversation.root_post_id
    event = conversation.events.get(kind=ConversationEvent.REPLY)
    assert event.text == "Sorry: a crew is on its way" and event.actor.username == "owner"
    # Sent again on purpose (same text, confirmed): the same key, so Mastodon makes no second status.
    owner.post(reply_url(conversation), {"text": "Sorry: a crew is on its way", "seen_event_id": 0, "confirmed": "yes"})
    assert len(fake_network.published) == 1
    assert Post.objects.filter(source="published").count() == 1
    assert Identity.objects.filter(network="mastodon", handle="northfieldcc").count() == 1


def test_a_refused_reply_says_why_and_stores_nothing(client_for, organisation, fake_network):
    conversation = conversation_with_a_mention(organisation, fake_network)
    fake_network.fail_next("/api/v1/statuses", Canned(503, b"<html>down</html>"))
    response = client_for("owner").post(reply_url(conversation), {"text": "On it", "seen_event_id": 0})
    assert response.status_code == 400
    assert "the reply was not sent: the Mastodon server" in response.content.decode()
    assert "(HTTP 503)" in response.content.decode()
    assert not conversation.events.filter(kind=ConversationEvent.REPLY).exists()
    assert not Post.objects.filter(source="published").exists()


def test_a_direct_conversation_is_never_answered_in_public(organisation, fake_network):
    conversation = conversation_with_a_mention(organisation, fake_network)
    channel = conversation.channel
    with pytest.raises(ConnectorUnavailable, match="cannot send direct messages on Mastodon"):
        reply_sender("mastodon")(channel=channel, text="Hello", in_reply_to="")
    assert fake_network.published == {}
