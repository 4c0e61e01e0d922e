"""Replies through the networks' connectors (Mastodon through its local stand-in), held replies and approvals."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from tests.connectors.conftest import Canned, fake_network, mastodon_notification, mastodon_status, vault_key
from tests.connectors.test_bluesky import add_channel as add_bluesky_channel
from tests.connectors.test_bluesky import bluesky
from tests.connectors.test_facebook import TOKEN as FACEBOOK_TOKEN
from tests.connectors.test_facebook import add_channel as add_facebook_channel
from tests.connectors.test_facebook import facebook
from tests.connectors.test_mastodon import add_channel
from tests.connectors.test_reddit import add_channel as add_reddit_channel
from tests.connectors.test_reddit import reddit
from tests.connectors.test_twitter import JO, SAM, USER_ID, add_messaging_channel, user, x
from tests.factories import make_channel, store_posts
from townsquare.channels.models import ChannelStatus
from townsquare.inbox.models import Conversation, ConversationEvent, InboxPolicy, OutgoingReply
from townsquare.inbox.senders import ReplyFailed, ReplyUnavailable
from townsquare.inbox.services import conversation_reply, reply_approve, reply_return
from townsquare.posts.models import Post

__all__ = [
    "bluesky",
    "facebook",
    "fake_network",
    "reddit",
    "vault_key",
    "x",
]  # the connector tests' local networks, reused here
STATUSES = "/api/v1/statuses"


@pytest.fixture
def mastodon_conversation(organisation, fake_network, capsys):
    channel = add_channel(fake_network)
    question = mastodon_status(
        "5000", text="@northfieldcc when are the bins collected?", mentions=[{"acct": "northfieldcc"}]
    )
    fake_network.statuses["5000"] = question
    fake_network.notifications = [mastodon_notification(1000, question)]
    call_command("sync", "--org", "northfield")
    capsys.readouterr()
    conversation = Conversation.objects.get(organisation=organisation)
    assert conversation.channel == channel
    return conversation


def page_url(name: str, conversation: Conversation) -> str:
    return reverse(name, kwargs={"org_slug": conversation.organisation.slug, "conversation_id": conversation.id})


def reply_key(page: str) -> str:
    return re.search(r'name="reply_key" value="([0-9a-f-]+)"', page).group(1)


def test_a_reply_from_the_inbox_reaches_mastodon_once_and_is_stored_once(
    mastodon_conversation, fake_network, people, client_for
):
    client = client_for("editor")
    key = reply_key(client.get(page_url("conversation", mastodon_conversation)).content.decode())
    form = {"text": "Tuesdays, from 7am", "seen_event_id": 0, "reply_key": key}
    assert client.post(page_url("conversation_reply", mastodon_conversation), form).status_code == 302
    # The same form sent again (a double click, a browser retry) publishes nothing more.
    assert client.post(page_url("conversation_reply", mastodon_conversation), form).status_code == 302
    [published] = fake_network.published.values()
    assert published["in_reply_to_id"] == "5000" and "Tuesdays, from 7am" in published["content"]
    assert [h.get("Idempotency-Key") for m, p, h in fake_network.requests if p == STATUSES] == [key]
    ours = Post.objects.get(network="mastodon", external_id=published["id"])
    assert ours.in_reply_to_external_id == "5000" and ours.conversation_root_id == mastodon_conversation.root_post_id
    [event] = mastodon_conversation.events.filter(kind=ConversationEvent.REPLY)
    assert (event.actor, event.post) == (people["editor"], ours)
    mastodon_conversation.refresh_from_db()
    assert mastodon_conversation.first_response_at == ours.created_at


def test_a_transient_failure_keeps_the_text_and_the_retry_publishes_once(
    mastodon_conversation, fake_network, client_for
):
    client = client_for("editor")
    key = reply_key(client.get(page_url("conversation", mastodon_conversation)).content.decode())
    fake_network.fail_next(STATUSES, Canned(503, b"{}"))
    form = {"text": "Tuesdays", "seen_event_id": 0, "reply_key": key}
    failed = client.post(page_url("conversation_reply", mastodon_conversation), form)
    page = failed.content.decode()
    assert failed.status_code == 502 and "had a problem of its own (HTTP 503)" in page and "Send again" in page
    assert ">Tuesdays</textarea>" in page and reply_key(page) == key
    assert OutgoingReply.objects.get().state == OutgoingReply.State.FAILED
    assert client.post(page_url("conversation_reply", mastodon_conversation), form).status_code == 302
    assert len(fake_network.published) == 1 and OutgoingReply.objects.get().state == OutgoingReply.State.SENT
    assert [h.get("Idempotency-Key") for m, p, h in fake_network.requests if p == STATUSES] == [key, key]


def test_a_permanent_failure_says_what_to_do_and_loses_nothing(mastodon_conversation, fake_network, client_for):
    fake_network.fail_next(STATUSES, Canned(401, b'{"error": "The access token is invalid"}'))
    response = client_for("editor").post(
        page_url("conversation_reply", mastodon_conversation), {"text": "Tuesdays", "seen_event_id": 0}
    )
    page = response.content.decode()
    assert response.status_code == 502 and "reconnect the account with a new token" in page
    assert ">Tuesdays</textarea>" in page
    assert not fake_network.published and not mastodon_conversation.events.filter(kind=ConversationEvent.REPLY)
    outgoing = OutgoingReply.objects.get()
    assert outgoing.state == OutgoingReply.State.FAILED and "HTTP 401" in outgoing.error
    mastodon_conversation.channel.refresh_from_db()
    assert mastodon_conversation.channel.status == ChannelStatus.DISABLED


def test_a_deleted_parent_post_does_not_disable_the_channel(mastodon_conversation, fake_network, people):
    del fake_network.statuses["5000"]
    with pytest.raises(ReplyFailed, match="no longer exists") as raised:
        conversation_reply(conversation=mastodon_conversation, actor=people["editor"], text="Hi", seen_event_id=0)
    assert not raised.value.permanent
    mastodon_conversation.channel.refresh_from_db()
    assert mastodon_conversation.channel.status != ChannelStatus.DISABLED


def test_a_network_without_replies_hides_the_form_and_says_why(organisation, client_for):
    make_channel(organisation, handle="council", network="rss")
    store_posts(organisation, {"id": "r1", "text": "@council a feed item", "author": "paper"}, network="rss")
    conversation = Conversation.objects.get(organisation=organisation)
    client = client_for("owner")
    page = client.get(page_url("conversation", conversation)).content.decode()
    assert "cannot reply on RSS" in page and "Send reply" not in page
    refused = client.post(page_url("conversation_reply", conversation), {"text": "hi", "seen_event_id": 0})
    assert refused.status_code == 400 and "its connector does not send replies" in refused.content.decode()
    assert not OutgoingReply.objects.exists()


def test_a_private_message_is_answered_privately_in_its_own_conversation(organisation, fake_network, people, capsys):
    add_channel(fake_network)
    message = mastodon_status(
        "5100",
        text="@northfieldcc my reference is 4411",
        visibility="direct",
        mentions=[{"id": "1", "acct": "northfieldcc"}],
    )
    fake_network.statuses["5100"] = message
    fake_network.notifications = [mastodon_notification(1100, message)]
    call_command("sync", "--org", "northfield")
    conversation = Conversation.objects.get(organisation=organisation)
    assert conversation.kind == Conversation.DIRECT
    conversation_reply(conversation=conversation, actor=people["editor"], text="Thanks, found it", seen_event_id=0)
    [published] = fake_network.published.values()
    assert published["visibility"] == "direct" and published["in_reply_to_id"] == "5100"
    ours = Post.objects.get(network="mastodon", external_id=published["id"])
    assert ours.extra["direct_to"] == "resident@social.example"
    conversation.refresh_from_db()
    assert conversation.first_response_at == ours.created_at and Conversation.objects.count() == 1


def test_a_facebook_message_is_answered_privately_in_its_own_conversation(organisation, facebook, people, capsys):
    channel = add_facebook_channel(FACEBOOK_TOKEN, "--option", "messages=on")
    facebook.message("24001", 1, "Hello, my bin was not collected")
    latest = facebook.message("24001", 2, "It is 4 Mill Lane")
    facebook.message("24002", 3, "Someone else entirely")
    call_command("sync", "--org", "northfield")
    conversation = Conversation.objects.get(organisation=organisation, participant__handle="24001")
    assert conversation.kind == Conversation.DIRECT and conversation.channel == channel
    conversation_reply(conversation=conversation, actor=people["editor"], text="On its way today", seen_event_id=0)
    assert facebook.sent == [
        {"recipient": {"id": "24001"}, "messaging_type": "RESPONSE", "message": {"text": "On its way today"}}
    ]
    assert not facebook.replies and not facebook.feed_posts  # nothing public
    ours = Post.objects.get(network="facebook", text="On its way today")
    assert ours.extra["direct_to"] == "24001" and ours.external_id == facebook.conversations["t_24001"][-1]["id"]
    assert facebook.network.requests[-2][1].endswith(f"/{latest}")  # the person was found from their latest message
    conversation.refresh_from_db()
    assert conversation.first_response_at == ours.created_at
    assert Conversation.objects.filter(organisation=organisation).count() == 2
    # The answer comes back on the next run as the Page's message: still one conversation, stored once.
    call_command("sync", "--org", "northfield")
    assert Post.objects.filter(network="facebook", text="On its way today").count() == 1
    assert Conversation.objects.filter(organisation=organisation).count() == 2


def test_a_facebook_message_past_the_24_hour_window_fails_in_plain_words_and_the_channel_stays(
    organisation, facebook, people
):
    channel = add_facebook_channel(FACEBOOK_TOKEN, "--option", "messages=on")
    facebook.message("24001", 1, "Hello")
    facebook.window_closed.add("24001")
    call_command("sync", "--org", "northfield")
    conversation = Conversation.objects.get(organisation=organisation)
    with pytest.raises(ReplyFailed, match="more than 24 hours since their last message") as failed:
        conversation_reply(conversation=conversation, actor=people["editor"], text="Sorry, late", seen_event_id=0)
    assert failed.value.permanent and OutgoingReply.objects.get().state == OutgoingReply.State.FAILED
    channel.refresh_from_db()
    assert channel.status != ChannelStatus.DISABLED


def test_a_bluesky_chat_message_is_answered_in_its_own_conversation(organisation, bluesky, people):
    channel = add_bluesky_channel(bluesky, None, "--option", "messages=on")
    bluesky.message("resident.bsky.social", 1, "Hello")
    bluesky.message("resident.bsky.social", 2, "My bin is missing")
    bluesky.message("other.bsky.social", 3, "Unrelated")
    call_command("sync", "--org", "northfield")
    conversation = Conversation.objects.get(organisation=organisation, participant__handle="resident.bsky.social")
    assert conversation.kind == Conversation.DIRECT and conversation.channel == channel
    conversation_reply(conversation=conversation, actor=people["editor"], text="A new one is coming", seen_event_id=0)
    [convo] = [key for key, convo in bluesky.convos.items() if convo["members"][1]["handle"] == "resident.bsky.social"]
    assert bluesky.sent == [
        {"convoId": convo, "message": {"$type": "chat.bsky.convo.defs#messageInput", "text": "A new one is coming"}}
    ]
    assert not bluesky.created  # no public post
    ours = Post.objects.get(network="bluesky", text="A new one is coming")
    assert ours.external_id.startswith(f"chat/{convo}/") and ours.extra["direct_to"] == "resident.bsky.social"
    conversation.refresh_from_db()
    assert conversation.first_response_at == ours.created_at
    call_command("sync", "--org", "northfield")
    assert Post.objects.filter(network="bluesky", text="A new one is coming").count() == 1
    assert Conversation.objects.filter(organisation=organisation).count() == 2


def test_an_x_direct_message_is_answered_privately_in_its_own_conversation(organisation, x, people):
    channel = add_messaging_channel()
    x.users[SAM] = user("sam_lee", SAM)
    x.message(1, "Hello, my bin was not collected")
    latest = x.message(2, "It is 4 Mill Lane")
    x.message(3, "Someone else entirely", person=SAM)
    call_command("sync", "--org", "northfield")
    conversation = Conversation.objects.get(organisation=organisation, participant__handle="resident_jo")
    assert conversation.kind == Conversation.DIRECT and conversation.channel == channel
    conversation_reply(conversation=conversation, actor=people["editor"], text="On its way today", seen_event_id=0)
    assert x.sent == [{"conversation": latest["dm_conversation_id"], "text": "On its way today"}]
    assert not x.created  # nothing public
    ours = Post.objects.get(network="twitter", text="On its way today")
    assert ours.external_id == f"dm/{JO}-{USER_ID}/{x.dm_events[-1]['id']}"
    assert ours.extra["direct_to"] == "resident_jo"
    conversation.refresh_from_db()
    assert conversation.first_response_at == ours.created_at
    # The answer comes back on the next run as the account's message: still one conversation, stored once.
    call_command("sync", "--org", "northfield")
    assert Post.objects.filter(network="twitter", text="On its way today").count() == 1
    assert Conversation.objects.filter(organisation=organisation).count() == 2


def test_an_x_direct_message_to_someone_closed_to_messages_fails_in_plain_words_and_the_channel_stays(
    organisation, x, people
):
    channel = add_messaging_channel()
    x.message(1, "Hello")
    x.closed_to_messages.add(JO)
    call_command("sync", "--org", "northfield")
    conversation = Conversation.objects.get(organisation=organisation)
    with pytest.raises(ReplyFailed, match="may not accept direct messages from this account") as failed:
        conversation_reply(conversation=conversation, actor=people["editor"], text="Sorry", seen_event_id=0)
    assert failed.value.permanent and OutgoingReply.objects.get().state == OutgoingReply.State.FAILED
    channel.refresh_from_db()
    assert channel.status != ChannelStatus.DISABLED and not x.sent


def test_a_reddit_private_message_is_answered_privately_in_its_own_conversation(organisation, reddit, people):
    channel = add_reddit_channel("messages=on")
    reddit.converse(10, 2)
    call_command("sync", "--org", "northfield")
    conversation = Conversation.objects.get(organisation=organisation, participant__handle="resident_jo")
    assert conversation.kind == Conversation.DIRECT and conversation.channel == channel
    conversation_reply(conversation=conversation, actor=people["editor"], text="On its way today", seen_event_id=0)
    assert [(sent["thing_id"], sent["text"]) for sent in reddit.answers] == [("t4_m00011", "On its way today")]
    assert reddit.replies == []  # nothing public
    ours = Post.objects.get(network="reddit", text="On its way today")
    assert ours.external_id == "t4_m80001" and ours.extra["direct_to"] == "resident_jo"
    # The answer comes back on the next run in the conversation: still one conversation, stored once.
    call_command("sync", "--org", "northfield")
    assert Post.objects.filter(network="reddit", text="On its way today").count() == 1
    assert Conversation.objects.filter(organisation=organisation).count() == 1


def test_a_private_message_on_a_network_without_private_replies_is_refused(organisation, people, client_for):
    make_channel(organisation, handle="council", network="linkedin", credentials={"access_token": "t"})
    store_posts(
        organisation,
        {"id": "m1", "text": "my address is 4 Mill Lane", "author": "ann", "extra": {"direct_to": "council"}},
        network="linkedin",
    )
    conversation = Conversation.objects.get(organisation=organisation, kind=Conversation.DIRECT)
    page = client_for("owner").get(page_url("conversation", conversation)).content.decode()
    assert "cannot answer private messages on LinkedIn yet" in page and "Send reply" not in page
    with pytest.raises(ReplyUnavailable, match="private messages"):
        conversation_reply(conversation=conversation, actor=people["editor"], text="Thanks", seen_event_id=0)
    assert not OutgoingReply.objects.exists()


@pytest.fixture
def sandbox_conversation(organisation):
    make_channel(organisation, handle="council")
    store_posts(organisation, {"id": "q1", "text": "@council the bins were not collected", "author": "ann"})
    return Conversation.objects.get(organisation=organisation)


def review_url(outgoing: OutgoingReply) -> str:
    return reverse(
        "conversation_reply_review",
        kwargs={"org_slug": outgoing.conversation.organisation.slug, "outgoing_reply_id": outgoing.id},
    )


def test_a_contributors_reply_waits_for_an_approver_then_goes_out_as_theirs(sandbox_conversation, people, client_for):
    contributor = client_for("contributor")
    page = contributor.get(page_url("conversation", sandbox_conversation)).content.decode()
    assert "goes to an approver" in page and "Send for approval" in page
    response = contributor.post(
        page_url("conversation_reply", sandbox_conversation), {"text": "Sorry, we will come today", "seen_event_id": 0}
    )
    assert response.status_code == 302
    outgoing = OutgoingReply.objects.get()
    assert outgoing.state == OutgoingReply.State.AWAITING and outgoing.author == people["contributor"]
    held = sandbox_conversation.events.get(kind=ConversationEvent.REPLY_SUBMITTED)
    assert held.actor == people["contributor"] and held.at is not None
    assert not Post.objects.filter(author__handle="council").exists()
    # Approvers find it in the "Replies to approve" view, whatever the conversation's status.
    Conversation.objects.update(status="resolved")
    approval_view = reverse("inbox", kwargs={"org_slug": "northfield"}) + "?view=approval"
    assert "bins were not collected" in contributor.get(approval_view).content.decode()
    # The contributor cannot approve their own; the approver sees it and approves.
    assert contributor.post(review_url(outgoing), {"action": "approve"}).status_code == 403
    editor = client_for("editor")
    assert "Approve and send" in editor.get(page_url("conversation", sandbox_conversation)).content.decode()
    assert editor.post(review_url(outgoing), {"action": "approve"}).status_code == 302
    outgoing.refresh_from_db()
    assert outgoing.state == OutgoingReply.State.SENT and outgoing.reviewed_by == people["editor"]
    reply = sandbox_conversation.events.get(kind=ConversationEvent.REPLY)
    assert reply.actor == people["contributor"] and reply.detail["approved_by"] == "editor"
    assert reply.post.text == "Sorry, we will come today" and reply.post.in_reply_to_external_id == "q1"
    assert sandbox_conversation.events.get(kind=ConversationEvent.REPLY_APPROVED).actor == people["editor"]
    assert "bins were not collected" not in editor.get(approval_view).content.decode()
    # A second approval (another approver's stale page) sends nothing more.
    reviewed = editor.post(review_url(outgoing), {"action": "approve"}, follow=True).content.decode()
    assert "already reviewed" in reviewed and Post.objects.filter(author__handle="council").count() == 1


def test_an_approver_sends_a_reply_back_with_a_comment(sandbox_conversation, people, client_for):
    conversation_reply(
        conversation=sandbox_conversation, actor=people["contributor"], text="Not our problem", seen_event_id=0
    )
    outgoing = OutgoingReply.objects.get()
    editor = client_for("editor")
    no_comment = editor.post(review_url(outgoing), {"action": "return", "comment": " "}, follow=True)
    assert "say what to change" in no_comment.content.decode()
    outgoing.refresh_from_db()
    assert outgoing.state == OutgoingReply.State.AWAITING
    editor.post(review_url(outgoing), {"action": "return", "comment": "Apologise and give a date"})
    outgoing.refresh_from_db()
    assert (outgoing.state, outgoing.review_comment) == (OutgoingReply.State.RETURNED, "Apologise and give a date")
    returned = sandbox_conversation.events.get(kind=ConversationEvent.REPLY_RETURNED)
    assert returned.actor == people["editor"] and returned.detail["author"] == "contributor"
    page = client_for("contributor").get(page_url("conversation", sandbox_conversation)).content.decode()
    assert "Apologise and give a date" in page and "Approve and send" not in page
    assert not Post.objects.filter(author__handle="council").exists()
    with pytest.raises(ValueError, match="already reviewed"):
        reply_approve(outgoing=outgoing, actor=people["editor"])


def test_a_reply_sent_back_returns_to_its_authors_box_until_they_send_again(sandbox_conversation, people, client_for):
    conversation_reply(
        conversation=sandbox_conversation, actor=people["contributor"], text="Not our problem", seen_event_id=0
    )
    reply_return(outgoing=OutgoingReply.objects.get(), actor=people["editor"], comment="Apologise and give a date")

    def reply_box(who: str) -> str:
        page = client_for(who).get(page_url("conversation", sandbox_conversation)).content.decode()
        return page.split('id="reply-text"')[1].split("</textarea>")[0]

    assert reply_box("contributor").endswith(">Not our problem")
    assert reply_box("editor").endswith(">")  # only its author gets it back
    conversation_reply(
        conversation=sandbox_conversation, actor=people["contributor"], text="Sorry: Tuesday", seen_event_id=0
    )
    assert reply_box("contributor").endswith(">")


def test_a_sent_back_reply_is_not_offered_again_once_someone_has_answered(sandbox_conversation, people, client_for):
    conversation_reply(
        conversation=sandbox_conversation, actor=people["contributor"], text="Not our problem", seen_event_id=0
    )
    reply_return(outgoing=OutgoingReply.objects.get(), actor=people["editor"], comment="Let me answer this one")
    conversation_reply(
        conversation=sandbox_conversation, actor=people["editor"], text="Sorry, Tuesday", seen_event_id=0
    )
    page = client_for("contributor").get(page_url("conversation", sandbox_conversation)).content.decode()
    assert "Not our problem</textarea>" not in page and "sent your reply back" not in page


def test_without_the_approval_setting_contributors_reply_directly(sandbox_conversation, organisation, people):
    InboxPolicy.objects.create(organisation=organisation, replies_need_approval=False)
    event = conversation_reply(
        conversation=sandbox_conversation, actor=people["contributor"], text="On our way", seen_event_id=0
    )
    assert event.kind == ConversationEvent.REPLY and event.post.text == "On our way"
    assert OutgoingReply.objects.get().state == OutgoingReply.State.SENT


def test_a_failed_approved_reply_stays_for_the_approver_to_try_again(
    mastodon_conversation, fake_network, people, client_for
):
    conversation_reply(conversation=mastodon_conversation, actor=people["contributor"], text="Soon", seen_event_id=0)
    outgoing = OutgoingReply.objects.get()
    fake_network.fail_next(STATUSES, Canned(503, b"{}"))
    editor = client_for("editor")
    failed = editor.post(review_url(outgoing), {"action": "approve"}, follow=True).content.decode()
    assert "approved but not sent" in failed and "Try sending again" in failed
    editor.post(review_url(outgoing), {"action": "approve"})
    outgoing.refresh_from_db()
    assert outgoing.state == OutgoingReply.State.SENT and len(fake_network.published) == 1
    [published] = fake_network.published.values()
    assert published["in_reply_to_id"] == "5000"


def test_admins_set_the_approval_rule_and_targets_on_the_inbox_settings_page(
    sandbox_conversation, organisation, people, client_for
):
    settings_url = reverse("inbox_settings", kwargs={"org_slug": organisation.slug})
    assert client_for("editor").get(settings_url).status_code == 403
    owner = client_for("owner")
    page = owner.get(settings_url).content.decode()
    assert re.search(r'<input type="checkbox" name="replies_need_approval" [^>]*checked>', page)
    assert 'name="first_response_urgent" value="15"' in page
    assert 'name="resolution_normal" value="72"' in page
    targets = {"first_response_urgent": 10, "first_response_high": 60, "first_response_normal": 240}
    targets |= {"resolution_urgent": 4, "resolution_high": 24, "resolution_normal": 48, "resolution_low": 168}
    bad = owner.post(settings_url, {**targets, "first_response_low": 0})
    assert bad.status_code == 400 and "greater than or equal to 1" in bad.content.decode()
    hours = {"business_start": "09:00", "business_end": "17:30", "business_days": [0, 1, 2, 3, 4]}
    for wrong, words in [
        ({**hours, "business_end": ""}, "Give both times, or neither."),
        ({**hours, "business_end": "08:00"}, "The end must be later than the start"),
        ({**hours, "business_days": []}, "Tick at least one business day."),
        ({"time_zone": "Mars/Olympus"}, "Select a valid choice"),
    ]:
        refused = owner.post(settings_url, {**targets, "first_response_low": 1440, **wrong})
        assert refused.status_code == 400 and words in refused.content.decode()
    assert not InboxPolicy.objects.exists()
    form = {**targets, "first_response_low": 1440, **hours, "time_zone": "Europe/London"}
    assert owner.post(settings_url, form).status_code == 302
    policy = InboxPolicy.objects.get(organisation=organisation)
    assert not policy.replies_need_approval and policy.first_response_targets["urgent"] == 600
    assert policy.resolution_targets == {"urgent": 14400, "high": 86400, "normal": 172800, "low": 604800}
    assert (str(policy.business_start), str(policy.business_end)) == ("09:00:00", "17:30:00")
    assert policy.business_days == [0, 1, 2, 3, 4] and policy.time_zone == "Europe/London"
    event = conversation_reply(
        conversation=sandbox_conversation, actor=people["contributor"], text="On our way", seen_event_id=0
    )
    assert event.kind == ConversationEvent.REPLY
