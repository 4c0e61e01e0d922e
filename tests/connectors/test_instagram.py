"""Instagram business accounts through the Instagram Graph API pointed at the local stand-in: comments (and
replies) on the account's media, media that tag it and (with messages=on) direct messages through the linked Page
in; replies, private answers, two-step publishing and metrics out."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import parse_qs, urlencode

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.connectors.conftest import Canned
from tests.connectors.test_facebook import JSON, START, GraphConversations, graph_error, when
from townsquare.channels.models import Channel, ChannelStatus
from townsquare.inbox.models import Conversation, OutgoingReply
from townsquare.inbox.senders import ReplyFailed
from townsquare.inbox.services import conversation_reply
from townsquare.networks.base import ConnectorError, MediaItem, PostGone, ReplyRefused
from townsquare.networks.connectors import CONNECTORS
from townsquare.networks.facebook import graph as facebook_graph
from townsquare.networks.sync import channel_sync
from townsquare.posts.models import Post

IG = "17841400000000001"
TOKEN = "EAAGpagetokenlinkedtoinstagram00"
V = "/v23.0"
MEDIA = f"{V}/{IG}/media"
# The linked Page's conversations and Send API, through the Page token's "me".
CONVERSATIONS = f"{V}/me/conversations"
SEND = f"{V}/me/messages"
ACCOUNT = {"username": "northfield.council", "id": IG}


class FakeInstagram(GraphConversations):
    conversations_path = CONVERSATIONS

    def __init__(self, network) -> None:
        self.network = network
        self.media: list[dict] = []
        self.comments: dict[str, list[dict]] = {}
        self.tags: list[dict] = []
        self.gone: set[str] = set()
        self.containers: list[dict] = []
        self.published: list[str] = []
        self.replies: list[tuple[str, str]] = []
        # Direct messages: conversation id -> its messages; what the Send API took; people outside the window.
        self.conversations: dict[str, list[dict]] = {}
        self.sent: list[dict] = []
        self.window_closed: set[str] = set()
        network.routes.update(
            {
                ("GET", CONVERSATIONS): self._conversations,
                ("POST", SEND): self._send,
                ("GET", MEDIA): self._media,
                ("GET", f"{V}/{IG}/tags"): self._tags,
                ("POST", MEDIA): self._container,
                ("POST", f"{V}/{IG}/media_publish"): self._publish,
                ("GET", f"{V}/{IG}"): lambda q, b, h: (200, {"id": IG, "followers_count": 2310, "media_count": 88}),
            }
        )

    def add_media(self, second: int, caption: str = "") -> str:
        media_id = str(18000000000000000 + second)
        self.media.append(
            {
                "id": media_id,
                "caption": caption or f"Spring clean-up day {second}",
                "media_type": "IMAGE",
                "media_url": f"https://cdn.ig.example/{media_id}.jpg",
                "permalink": f"https://www.instagram.com/p/C{second}x/",
                "timestamp": when(second),
                "username": "northfield.council",
                "like_count": 12,
                "comments_count": 0,
            }
        )
        self.comments[media_id] = []
        self.network.routes[("GET", f"{V}/{media_id}/comments")] = lambda q, b, h, m=media_id: self._comment_page(m, q)
        self.network.routes[("GET", f"{V}/{media_id}")] = lambda q, b, h, m=media_id: self._one(m)
        return media_id

    def comment(self, media_id: str, second: int, text: str = "", replies: list[dict] | None = None) -> str:
        comment_id = str(17900000000000000 + second)
        item = {
            "id": comment_id,
            "text": text or f"When is the next one? {second}",
            "timestamp": when(second),
            "username": "resident.jo",
            "from": {"id": "17841455555", "username": "resident.jo"},
            "like_count": 1,
        }
        if replies:
            item["replies"] = {"data": replies}
        self.comments[media_id].append(item)
        self.network.routes[("POST", f"{V}/{comment_id}/replies")] = lambda q, b, h, c=comment_id: self._reply(c, b)
        return comment_id

    def _list(self, items: list[dict], query, path: str, size: int, newest_first: bool = True) -> dict:
        items = sorted(items, key=lambda item: item["timestamp"], reverse=newest_first)
        start = int(query.get("after", ["0"])[0])
        page = items[start : start + size]
        answer = {"data": page, "paging": {"cursors": {"before": "QVFIU", "after": "QVFIR"}}}
        if start + size < len(items):
            answer["paging"]["next"] = f"{self.network.url}{path}?limit={size}&after={start + size}"
        return answer

    def _comment_page(self, media_id: str, query) -> tuple[int, dict]:
        # Graph promises no order for comments; this one answers oldest first.
        return 200, self._list(self.comments[media_id], query, f"{V}/{media_id}/comments", 50, newest_first=False)

    def _media(self, query, body, headers) -> tuple[int, dict]:
        if headers.get("Authorization") != f"OAuth {TOKEN}":
            return 400, json.loads(graph_error(190, "Invalid OAuth access token."))
        answer = self._list(self.media, query, MEDIA, int(query.get("limit", ["25"])[0]))
        answer["data"] = [{**m, "comments": self._comment_page(m["id"], {})[1]} for m in answer["data"]]
        return 200, answer

    def _tags(self, query, body, headers) -> tuple[int, dict]:
        return 200, self._list(self.tags, query, f"{V}/{IG}/tags", int(query["limit"][0]))

    def _missing(self, object_id: str) -> tuple[int, dict]:
        message = f"Unsupported post request. Object with ID '{object_id}' does not exist"
        return 400, json.loads(graph_error(100, message, 33, "GraphMethodException"))

    def _reply(self, comment_id: str, body: bytes) -> tuple[int, dict]:
        if comment_id in self.gone:
            return self._missing(comment_id)
        self.replies.append((comment_id, parse_qs(body.decode())["message"][0]))
        return 200, {"id": str(17950000000000000 + len(self.replies))}

    def _container(self, query, body, headers) -> tuple[int, dict]:
        self.containers.append({k: v[0] for k, v in parse_qs(body.decode()).items()})
        return 200, {"id": str(17990000000000000 + len(self.containers))}

    def _publish(self, query, body, headers) -> tuple[int, dict]:
        self.published.append(parse_qs(body.decode())["creation_id"][0])
        media_id = self.add_media(5000 + len(self.published))
        return 200, {"id": media_id}

    def _one(self, media_id: str) -> tuple[int, dict]:
        if media_id in self.gone:
            return self._missing(media_id)
        found = next(item for item in self.media if item["id"] == media_id)
        return 200, {
            "id": media_id,
            "permalink": found["permalink"],
            "like_count": 12,
            "comments_count": len(self.comments[media_id]),
        }

    def message(self, igsid: str, second: int, text: str = "", *, ours: bool = False) -> str:
        """A direct message in the conversation with `igsid`, as Graph's Message node has it for Instagram."""
        conversation = f"aWdfZAG06MTpJR01lc3NhZA2VUaHJlYWQ6{igsid}"
        person = {"username": f"resident.{igsid[-3:]}", "id": igsid}
        message_id = f"aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOj{igsid}{second:05d}"
        sender, recipient = (ACCOUNT, person) if ours else (person, ACCOUNT)
        return self.add_message(conversation, message_id, text or f"Hello, message {second}", second, sender, recipient)

    def _message_page(self, conversation: str, query) -> dict:
        items = sorted(self.conversations[conversation], key=lambda item: item["created_time"], reverse=True)
        if "after" in query:
            items = [item for item in items if item["created_time"] < query["after"][0]]
        answer = {"data": items[:25], "paging": {"cursors": {"before": "QVFIU", "after": "QVFIR"}}}
        if len(items) > 25:
            after = urlencode({"limit": 25, "after": items[24]["created_time"]})
            answer["paging"]["next"] = f"{self.network.url}{V}/{conversation}/messages?{after}"
        return answer

    def _conversations(self, query, body, headers) -> tuple[int, dict]:
        if headers.get("Authorization") != f"OAuth {TOKEN}":
            return 400, json.loads(graph_error(190, "Invalid OAuth access token."))
        return self.conversation_list(query, platform="instagram")

    def _send(self, query, body, headers) -> tuple[int, dict]:
        form = {k: json.loads(v[0]) if k != "messaging_type" else v[0] for k, v in parse_qs(body.decode()).items()}
        igsid = form["recipient"]["id"]
        if igsid in self.window_closed:
            error = json.loads(graph_error(10, "This message is sent outside of allowed window.", 2534022))
            error["error"]["type"] = "IGApiException"
            return 403, error
        self.sent.append(form)
        sent = self.message(igsid, 5000 + len(self.sent), form["message"]["text"], ours=True)
        return 200, {"recipient_id": igsid, "message_id": sent}


@pytest.fixture
def instagram(fake_network, monkeypatch) -> FakeInstagram:
    monkeypatch.setattr(facebook_graph, "API_URL", fake_network.url)
    monkeypatch.setattr(facebook_graph, "TIMEOUT_SECONDS", 0.5)
    return FakeInstagram(fake_network)


def add_channel(*options: str) -> Channel:
    call_command(
        "channel",
        "add",
        "--org",
        "northfield",
        "--network",
        "instagram",
        "--handle",
        "northfield.council",
        "--option",
        f"ig_user_id={IG}",
        "--token",
        TOKEN,
        *options,
    )
    return Channel.objects.get(network="instagram")


def stored() -> list[str]:
    return sorted(Post.objects.filter(network="instagram").values_list("external_id", flat=True))


def sync(capsys) -> str:
    call_command("sync", "--org", "northfield")
    return capsys.readouterr().out


def test_add_needs_the_account_id_and_a_token(organisation):
    with pytest.raises(CommandError, match="instagram needs --option ig_user_id"):
        call_command(
            "channel", "add", "--org", "northfield", "--network", "instagram", "--handle", "x", "--token", TOKEN
        )


def test_media_comments_replies_and_tags_are_mapped_and_stored_once(organisation, instagram, capsys):
    media = instagram.add_media(1, "Spring clean-up on Saturday #northfield")
    reply = {
        "id": "17900000000000099",
        "text": "@resident.jo 10am at the park",
        "timestamp": when(20),
        "username": "northfield.council",
        "like_count": 0,
    }
    comment = instagram.comment(media, 10, "What time does it start?", replies=[reply])
    instagram.tags.append(
        {
            "id": "18111",
            "caption": "Great day with @northfield.council",
            "media_type": "VIDEO",
            "media_url": "https://cdn.ig.example/v.mp4",
            "permalink": "https://www.instagram.com/p/Cx/",
            "timestamp": when(30),
            "username": "friends.of.park",
        }
    )
    channel = add_channel()
    assert "fetched 4, stored 4, duplicates 0" in sync(capsys)
    stored_comment = Post.objects.get(external_id=comment)
    assert stored_comment.in_reply_to_external_id == media and stored_comment.author.handle == "resident.jo"
    stored_reply = Post.objects.get(external_id="17900000000000099")
    assert stored_reply.in_reply_to_external_id == comment and stored_reply.mentions == ["resident.jo"]
    own = Post.objects.get(external_id=media)
    assert own.hashtags == ["northfield"] and own.media[0]["url"].endswith(f"{media}.jpg") and own.likes_count == 12
    tagged = Post.objects.get(external_id="18111")
    assert tagged.extra == {"kind": "tagged"} and tagged.media[0]["type"] == "video"
    channel.refresh_from_db()
    assert channel.sync_cursor == {"newest": (START + timedelta(seconds=30)).isoformat()}
    assert "stored 0, duplicates 1" in sync(capsys)


def test_later_runs_read_every_comment_page_and_new_media(organisation, instagram, capsys):
    old = instagram.add_media(0)
    add_channel()
    sync(capsys)
    comments = [instagram.comment(old, 100 + n) for n in range(70)]
    media = [instagram.add_media(300 + n) for n in range(30)]
    # The newest item of the last run (the first media, of the same second) is read again and absorbed.
    assert "fetched 101, stored 100, duplicates 1" in sync(capsys)
    assert stored() == sorted([old, *comments, *media])


BUC = json.dumps(
    {
        IG: [
            {
                "type": "instagram",
                "call_count": 100,
                "total_cputime": 8,
                "total_time": 9,
                "estimated_time_to_regain_access": 2,
            }
        ]
    }
)
FAILURES = {
    "rate limited": (
        Canned(400, graph_error(4, "Application request limit reached"), {**JSON, "X-Business-Use-Case-Usage": BUC}),
        "trying again in 120 seconds",
        ChannelStatus.ERROR,
    ),
    "expired token": (
        Canned(400, graph_error(190, "Error validating access token: Session has expired.", 463), JSON),
        "refused the stored access (code 190",
        ChannelStatus.DISABLED,
    ),
    "server error": (Canned(503, b"Service Unavailable"), "problem of its own (HTTP 503)", ChannelStatus.ERROR),
    "malformed JSON": (Canned(200, b'{"data": [', JSON), "not valid JSON", ChannelStatus.ERROR),
    "unreadable JSON": (Canned(200, b'{"data": [{"caption": "no id"}]}', JSON), "cannot read", ChannelStatus.ERROR),
    "timeout": (Canned(200, b"{}", JSON, delay=1.5), "the request timed out", ChannelStatus.ERROR),
}


@pytest.mark.parametrize("case", list(FAILURES))
def test_failures_are_recorded_in_plain_words_and_nothing_is_lost(case, organisation, instagram, capsys):
    answer, words, status = FAILURES[case]
    media = instagram.add_media(0)
    first = [media, instagram.comment(media, 1)]
    channel = add_channel()
    sync(capsys)
    later = [instagram.comment(media, 10 + n) for n in range(55)] + [instagram.add_media(100)]
    instagram.network.fail_next(MEDIA, answer)
    channel.refresh_from_db()
    cursor = channel.sync_cursor
    report = channel_sync(channel=channel)
    channel.refresh_from_db()
    assert channel.status == status and words in channel.last_error and channel.sync_cursor == cursor
    if case == "rate limited":
        assert report.retry_after == 120
    assert stored() == sorted(first)
    call_command("sync", "--org", "northfield", "--channel", str(channel.id))
    assert stored() == sorted(first + later)


def test_publish_is_two_steps_with_alt_text_and_a_carousel_for_several_images(organisation, instagram):
    channel = add_channel()
    connector = CONNECTORS["instagram"]
    credentials = {"access_token": TOKEN}
    one = MediaItem(
        data=b"",
        mime_type="image/jpeg",
        alt_text="Volunteers in the park",
        url="https://media.northfield.example/p1.jpg",
    )
    made = connector.publish(
        channel=channel, credentials=credentials, text="Thank you all!", idempotency_key="k", media=[one]
    )
    assert instagram.containers == [
        {"image_url": one.url, "alt_text": "Volunteers in the park", "caption": "Thank you all!"}
    ]
    assert instagram.published == ["17990000000000001"] and made.url.startswith("https://www.instagram.com/p/")
    two = MediaItem(data=b"", mime_type="image/jpeg", alt_text="The new bins", url="https://media.example/p2.jpg")
    connector.publish(
        channel=channel, credentials=credentials, text="Before and after", idempotency_key="k2", media=[one, two]
    )
    children, parent = instagram.containers[1:3], instagram.containers[3]
    assert [child["is_carousel_item"] for child in children] == ["true", "true"]
    assert [child["alt_text"] for child in children] == ["Volunteers in the park", "The new bins"]
    assert parent == {
        "media_type": "CAROUSEL",
        "children": "17990000000000002,17990000000000003",
        "caption": "Before and after",
    }
    assert instagram.published[-1] == "17990000000000004"
    with pytest.raises(ConnectorError, match="needs 1 to 10 images"):
        connector.publish(channel=channel, credentials=credentials, text="Words only", idempotency_key="k3")
    with pytest.raises(ConnectorError, match="public address: no URL for map.png"):
        connector.publish(
            channel=channel,
            credentials=credentials,
            text="Map",
            idempotency_key="k4",
            media=[MediaItem(data=b"x", mime_type="image/png", alt_text="Map", filename="map.png")],
        )
    assert len(instagram.published) == 2


def test_reply_to_a_comment_and_to_a_deleted_one(organisation, instagram):
    channel = add_channel()
    connector = CONNECTORS["instagram"]
    credentials = {"access_token": TOKEN}
    comment = instagram.comment(instagram.add_media(1), 5)
    made = connector.publish(
        channel=channel, credentials=credentials, text="10am!", idempotency_key="r", in_reply_to=comment
    )
    assert instagram.replies == [(comment, "10am!")] and made.external_id == "17950000000000001"
    instagram.gone.add(comment)
    with pytest.raises(PostGone, match="deleted"):
        connector.publish(
            channel=channel, credentials=credentials, text="Hello?", idempotency_key="g", in_reply_to=comment
        )


def test_metrics_leave_out_deleted_media(organisation, instagram):
    channel = add_channel()
    media = [instagram.add_media(n) for n in range(3)]
    instagram.comment(media[0], 7)
    instagram.gone.add(media[2])
    metrics = CONNECTORS["instagram"].fetch_metrics(
        channel=channel, credentials={"access_token": TOKEN}, external_ids=media
    )
    assert metrics.followers == 2310
    assert metrics.posts == {media[0]: {"likes": 12, "replies": 1}, media[1]: {"likes": 12, "replies": 0}}


def test_a_failed_permalink_lookup_does_not_fail_a_made_post(organisation, instagram):
    channel = add_channel()
    picture = MediaItem(data=b"", mime_type="image/jpeg", alt_text="The park", url="https://media.example/p.jpg")
    instagram.network.fail_next(f"{V}/{18000000000000000 + 5001}", Canned(500, b"oops"))
    made = CONNECTORS["instagram"].publish(
        channel=channel, credentials={"access_token": TOKEN}, text="Thanks", idempotency_key="k", media=[picture]
    )
    assert made.external_id == str(18000000000000000 + 5001) and made.url == ""
    assert len(instagram.published) == 1


MESSAGES = ("--option", "messages=on")


def test_direct_messages_are_read_through_the_page_conversation_by_conversation(organisation, instagram, capsys):
    first = instagram.message("17845001", 1, "Is the recycling centre open on Sunday? #bins")
    ours = instagram.message("17845001", 2, "Yes, 9am to 4pm", ours=True)
    other = instagram.message("17845002", 3, "My street was missed")
    channel = add_channel(*MESSAGES)
    assert "fetched 3, stored 3, duplicates 0" in sync(capsys)
    theirs = Post.objects.get(external_id=first)
    assert theirs.extra == {"kind": "message", "direct_to": "northfield.council"} and theirs.hashtags == ["bins"]
    assert theirs.author.handle == "resident.001" and theirs.author.external_id == "17845001"
    answer = Post.objects.get(external_id=ours)
    assert answer.extra == {"kind": "message", "direct_to": "resident.001"}
    assert answer.author.handle == "northfield.council" and answer.author.external_id == IG
    assert Post.objects.get(external_id=other).extra["direct_to"] == "northfield.council"
    channel.refresh_from_db()
    assert channel.sync_cursor == {"newest": (START + timedelta(seconds=3)).isoformat()}
    # Later: 30 people write (two pages of conversations) and one writes 60 messages (three message pages).
    many = [instagram.message(str(17846000 + n), 100 + n) for n in range(30)]
    long = [instagram.message("17845001", 200 + n) for n in range(60)]
    assert "stored 90, duplicates 1" in sync(capsys)
    assert set(stored()) == {first, ours, other, *many, *long}
    messages_of_long = f"{V}/aWdfZAG06MTpJR01lc3NhZA2VUaHJlYWQ617845001/messages"
    assert instagram.network.hits(CONVERSATIONS) == 1 + 2 and instagram.network.hits(messages_of_long) == 2
    # Nothing new: the newest second comes again and is absorbed; older conversations are not read.
    assert "stored 0, duplicates 1" in sync(capsys)
    assert instagram.network.hits(CONVERSATIONS) == 1 + 2 + 1 and instagram.network.hits(messages_of_long) == 2


def test_messages_are_not_read_without_the_option(organisation, instagram, capsys):
    instagram.message("17845001", 1)
    add_channel()
    assert "fetched 0" in sync(capsys) and instagram.network.hits(CONVERSATIONS) == 0


APP_USAGE = json.dumps({"call_count": 100, "total_cputime": 12, "total_time": 15})
MESSAGE_FAILURES = {
    "rate limited by the app's usage": (
        Canned(400, graph_error(4, "Application request limit reached"), {**JSON, "X-App-Usage": APP_USAGE}),
        "limiting requests (code 4)",
        ChannelStatus.ERROR,
        None,
    ),
    "too many requests": (
        Canned(429, graph_error(613, "Calls to this api have exceeded the rate limit."), {**JSON, "Retry-After": "90"}),
        "limiting requests (code 613); trying again in 90 seconds",
        ChannelStatus.ERROR,
        90,
    ),
    "expired token": (
        Canned(400, graph_error(190, "Error validating access token: Session has expired.", 463), JSON),
        "refused the stored access (code 190",
        ChannelStatus.DISABLED,
        None,
    ),
    "malformed JSON": (Canned(200, b'{"data": [{"id": "aWdf', JSON), "not valid JSON", ChannelStatus.ERROR, None),
    "unreadable JSON": (
        Canned(200, b'{"data": [{"id": "aWdfZAG06", "messages": {"data": [{"id": "x"}]}}]}', JSON),
        "cannot read",
        ChannelStatus.ERROR,
        None,
    ),
}


@pytest.mark.parametrize("case", list(MESSAGE_FAILURES))
def test_conversation_failures_are_recorded_and_nothing_is_lost(case, organisation, instagram, capsys):
    answer, words, status, wait = MESSAGE_FAILURES[case]
    first = instagram.message("17845001", 1)
    channel = add_channel(*MESSAGES)
    sync(capsys)
    later = [instagram.message("17845001", 10), instagram.message("17845003", 11), instagram.add_media(12)]
    instagram.network.fail_next(CONVERSATIONS, answer)
    channel.refresh_from_db()
    cursor = channel.sync_cursor
    report = channel_sync(channel=channel)
    channel.refresh_from_db()
    assert channel.status == status and words in channel.last_error and channel.sync_cursor == cursor
    assert report.permanent == (status == ChannelStatus.DISABLED) and report.retry_after == wait
    assert stored() == [first]
    call_command("sync", "--org", "northfield", "--channel", str(channel.id))
    assert stored() == sorted([first, *later])


def test_a_message_page_that_fails_stores_nothing_of_the_run(organisation, instagram, capsys):
    first = instagram.message("17845001", 1)
    channel = add_channel(*MESSAGES)
    sync(capsys)
    long = [instagram.message("17845001", 10 + n) for n in range(30)]
    messages = f"{V}/aWdfZAG06MTpJR01lc3NhZA2VUaHJlYWQ617845001/messages"
    instagram.network.fail_next(messages, Canned(500, graph_error(2, "An unexpected error has occurred."), JSON))
    channel.refresh_from_db()
    assert "problem of its own (code 2)" in channel_sync(channel=channel).error
    assert stored() == [first]
    channel_sync(channel=channel)
    assert stored() == sorted([first, *long])


def test_a_message_is_answered_privately_through_the_send_api(organisation, instagram):
    channel = add_channel(*MESSAGES)
    connector = CONNECTORS["instagram"]
    credentials = {"access_token": TOKEN}
    message = instagram.message("17845001", 1)
    sent = connector.publish(
        channel=channel, credentials=credentials, text="We can help", idempotency_key="k", in_reply_to=message
    )
    assert instagram.sent == [
        {"recipient": {"id": "17845001"}, "messaging_type": "RESPONSE", "message": {"text": "We can help"}}
    ]
    conversation = "aWdfZAG06MTpJR01lc3NhZA2VUaHJlYWQ617845001"
    assert sent.external_id == instagram.conversations[conversation][-1]["id"] and not instagram.replies
    # Answering the account's own message reaches the person it was sent to.
    connector.publish(
        channel=channel, credentials=credentials, text="Also", idempotency_key="a", in_reply_to=sent.external_id
    )
    assert instagram.sent[-1]["recipient"] == {"id": "17845001"}
    picture = MediaItem(data=b"", mime_type="image/jpeg", alt_text="Map", url="https://media.example/m.jpg")
    with pytest.raises(ReplyRefused, match="cannot attach images to an Instagram private message"):
        connector.publish(
            channel=channel,
            credentials=credentials,
            text="Map",
            idempotency_key="m",
            in_reply_to=message,
            media=[picture],
        )
    assert len(instagram.sent) == 2


def test_a_deleted_message_or_a_closed_window_refuses_the_answer_in_plain_words(organisation, instagram):
    channel = add_channel(*MESSAGES)
    gone, late = instagram.message("17845001", 1), instagram.message("17845002", 2)
    instagram.gone.add(gone)
    instagram.window_closed.add("17845002")
    credentials = {"access_token": TOKEN}
    with pytest.raises(PostGone, match="message being answered no longer exists"):
        CONNECTORS["instagram"].publish(
            channel=channel, credentials=credentials, text="Hi", idempotency_key="g", in_reply_to=gone
        )
    with pytest.raises(ReplyRefused, match="more than 24 hours since their last message") as refused:
        CONNECTORS["instagram"].publish(
            channel=channel, credentials=credentials, text="Hi", idempotency_key="l", in_reply_to=late
        )
    assert refused.value.permanent and "Instagram" in refused.value.message and instagram.sent == []


def test_the_inbox_answers_a_message_in_its_own_conversation_and_a_closed_window_keeps_the_channel(
    organisation, instagram, people
):
    channel = add_channel(*MESSAGES)
    instagram.message("17845001", 1, "Hello, my bin was not collected")
    latest = instagram.message("17845001", 2, "It is 4 Mill Lane")
    instagram.message("17845002", 3, "Someone else entirely")
    call_command("sync", "--org", "northfield")
    conversation = Conversation.objects.get(organisation=organisation, participant__handle="resident.001")
    assert conversation.kind == Conversation.DIRECT and conversation.channel == channel
    conversation_reply(conversation=conversation, actor=people["editor"], text="On its way today", seen_event_id=0)
    assert instagram.sent[0]["recipient"] == {"id": "17845001"} and not instagram.replies  # nothing public
    assert instagram.network.requests[-2][1] == f"{V}/{latest}"  # the person was found from their latest message
    ours = Post.objects.get(network="instagram", text="On its way today")
    assert ours.extra["direct_to"] == "resident.001"
    # The answer comes back on the next run as the account's message: still one conversation, stored once.
    call_command("sync", "--org", "northfield")
    assert Post.objects.filter(network="instagram", text="On its way today").count() == 1
    assert Conversation.objects.filter(organisation=organisation).count() == 2
    # Past the 24-hour window: the reply fails in plain words and the channel stays enabled.
    instagram.window_closed.add("17845002")
    other = Conversation.objects.get(organisation=organisation, participant__handle="resident.002")
    with pytest.raises(ReplyFailed, match="more than 24 hours since their last message") as failed:
        conversation_reply(conversation=other, actor=people["editor"], text="Sorry, late", seen_event_id=0)
    assert failed.value.permanent and OutgoingReply.objects.get(conversation=other).state == OutgoingReply.State.FAILED
    channel.refresh_from_db()
    assert channel.status != ChannelStatus.DISABLED
