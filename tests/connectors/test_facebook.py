"""Facebook Pages through the Graph API pointed at the local stand-in: the Page's posts, their comments and posts
that tag the Page in; posts, replies, likes and metrics out. Payloads follow the shapes Graph documents."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.parser import BytesParser
from urllib.parse import parse_qs, urlencode

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.connectors.conftest import Canned
from townsquare.channels.models import Channel, ChannelStatus
from townsquare.networks.base import ConnectorError, MediaItem, PostGone, ReplyRefused
from townsquare.networks.connectors import CONNECTORS
from townsquare.networks.facebook import graph as facebook_graph
from townsquare.networks.sync import channel_sync
from townsquare.posts.models import Post

PAGE_ID = "104567890123456"
TOKEN = "EAAGpagetoken000000000000000000"
V = "/v23.0"
FEED = f"{V}/{PAGE_ID}/feed"
CONVERSATIONS = f"{V}/{PAGE_ID}/conversations"
JSON = {"Content-Type": "application/json; charset=UTF-8"}
# Posts are recent, so that they fall inside the window the connector reads.
START = (datetime.now(UTC) - timedelta(days=1)).replace(microsecond=0)


def when(second: int) -> str:
    return (START + timedelta(seconds=second)).strftime("%Y-%m-%dT%H:%M:%S+0000")


def graph_error(code: int, message: str, subcode: int | None = None, kind: str = "OAuthException") -> bytes:
    error = {"message": message, "type": kind, "code": code, "fbtrace_id": "AbCdEfGh123"}
    if subcode is not None:
        error["error_subcode"] = subcode
    return json.dumps({"error": error}).encode()


class GraphConversations:
    """The private-message side of a Graph fake, shared by Facebook (Messenger) and Instagram: conversations
    listed newest first with their first page of messages, each message readable on its own."""

    conversations_path = CONVERSATIONS

    def add_message(self, conversation: str, message_id: str, text: str, second: int, sender, recipient) -> str:
        self.conversations.setdefault(conversation, []).append(
            {
                "id": message_id,
                "message": text,
                "from": sender,
                "to": {"data": [recipient]},
                "created_time": when(second),
            }
        )
        path = f"{V}/{conversation}/messages"
        self.network.routes[("GET", path)] = lambda q, b, h, c=conversation: (200, self._message_page(c, q))
        self.network.routes[("GET", f"{V}/{message_id}")] = lambda q, b, h, m=message_id: self._one_message(m)
        return message_id

    def conversation_list(self, query, *, platform: str) -> tuple[int, dict]:
        assert query["platform"] == [platform] and "messages.limit(25){id,message,from,to" in query["fields"][0]
        rows = [
            {"id": c, "updated_time": max(m["created_time"] for m in messages), "messages": self._message_page(c, {})}
            for c, messages in self.conversations.items()
        ]
        rows.sort(key=lambda row: row["updated_time"], reverse=True)
        if "after" in query:
            rows = [row for row in rows if row["updated_time"] < query["after"][0]]
        size = int(query.get("limit", ["25"])[0])
        answer = {"data": rows[:size], "paging": {"cursors": {"before": "QVFI", "after": "QVFH"}}}
        if len(rows) > size:
            # Graph's next link repeats the request's parameters.
            again = urlencode({**{k: v[0] for k, v in query.items()}, "after": rows[size - 1]["updated_time"]})
            answer["paging"]["next"] = f"{self.network.url}{self.conversations_path}?{again}"
        return 200, answer

    def _one_message(self, message_id: str) -> tuple[int, dict]:
        if message_id in self.gone:
            return self._missing(message_id)
        found = next(m for messages in self.conversations.values() for m in messages if m["id"] == message_id)
        return 200, {"id": message_id, "from": found["from"], "to": found["to"]}


class FakeGraph(GraphConversations):
    def __init__(self, network) -> None:
        self.network = network
        self.posts: list[dict] = []
        self.comments: dict[str, list[dict]] = {}
        self.tagged: list[dict] = []
        self.gone: set[str] = set()
        self.photos: list[dict] = []
        self.feed_posts: list[dict] = []
        self.replies: list[tuple[str, dict]] = []
        self.likes: list[str] = []
        # Messenger: conversation id -> its messages; what the Send API took; people outside the 24-hour window.
        self.conversations: dict[str, list[dict]] = {}
        self.sent: list[dict] = []
        self.window_closed: set[str] = set()
        network.routes.update(
            {
                ("GET", FEED): self._feed,
                ("GET", f"{V}/{PAGE_ID}/tagged"): self._tagged,
                ("POST", FEED): self._publish,
                ("POST", f"{V}/{PAGE_ID}/photos"): self._photo,
                ("GET", f"{V}/{PAGE_ID}"): self._page,
                ("GET", f"{V}/"): self._ids,
                ("GET", CONVERSATIONS): self._conversations,
                ("POST", f"{V}/{PAGE_ID}/messages"): self._send,
            }
        )

    def _check(self, headers) -> tuple[int, dict] | None:
        if headers.get("Authorization") != f"OAuth {TOKEN}":
            return 400, json.loads(graph_error(190, "Invalid OAuth access token - Cannot parse access token"))
        return None

    def post(self, number: int, *, by_page: bool = True, message: str = "") -> str:
        post_id = f"{PAGE_ID}_{9000 + number}"
        author = {"id": PAGE_ID, "name": "Northfield Council"} if by_page else {"id": "7001", "name": "Jo Parker"}
        self.posts.append(
            {
                "id": post_id,
                "message": message or f"Bin collections update {number}",
                "created_time": when(number),
                "updated_time": when(number),
                "permalink_url": f"https://www.facebook.com/{post_id}",
                "from": author,
            }
        )
        self.comments[post_id] = []
        self.network.routes[("GET", f"{V}/{post_id}/comments")] = lambda q, b, h, p=post_id: self._comment_page(p, q)
        self.network.routes[("POST", f"{V}/{post_id}/comments")] = lambda q, b, h, p=post_id: self._reply(p, b)
        self.network.routes[("POST", f"{V}/{post_id}/likes")] = lambda q, b, h, p=post_id: self._like(p)
        self.network.routes[("GET", f"{V}/{post_id}")] = lambda q, b, h, p=post_id: self._one(p)
        return post_id

    def comment(self, post_id: str, second: int, text: str = "", parent: str = "", author: bool = True) -> str:
        comment_id = f"{post_id.split('_')[1]}_{50000 + second}"
        item = {
            "id": comment_id,
            "message": text or f"Still no collection on Mill Lane {second}",
            "created_time": when(second),
            "permalink_url": f"https://www.facebook.com/{comment_id}",
            "like_count": 2,
            "comment_count": 0,
        }
        if author:
            item["from"] = {"id": "7001", "name": "Jo Parker"}
        if parent:
            item["parent"] = {"id": parent}
        self.comments[post_id].append(item)
        self.network.routes[("POST", f"{V}/{comment_id}/comments")] = lambda q, b, h, c=comment_id: self._reply(c, b)
        return comment_id

    def _list(self, items: list[dict], query, path: str, size: int) -> dict:
        items = sorted(items, key=lambda item: item["created_time"], reverse=True)
        if "after" in query:
            items = [item for item in items if item["created_time"] < query["after"][0]]
        page = items[:size]
        answer = {"data": page, "paging": {"cursors": {"before": "MAZDZD", "after": "MjQZD"}}}
        if len(items) > size:
            after = page[-1]["created_time"].replace("+", "%2B")
            answer["paging"]["next"] = f"{self.network.url}{path}?limit={size}&after={after}"
        return answer

    def _comment_page(self, post_id: str, query) -> tuple[int, dict]:
        return 200, self._list(self.comments[post_id], query, f"{V}/{post_id}/comments", 50)

    def _feed(self, query, body, headers) -> tuple[int, dict]:
        if refused := self._check(headers):
            return refused
        assert "comments.filter(stream).order(reverse_chronological).limit(50)" in query.get("fields", [""])[0] or (
            "after" in query
        )
        answer = self._list(self.posts, query, FEED, int(query["limit"][0]))
        answer["data"] = [
            {**post, "comments": self._list(self.comments[post["id"]], {}, f"{V}/{post['id']}/comments", 50)}
            for post in answer["data"]
        ]
        return 200, answer

    def _tagged(self, query, body, headers) -> tuple[int, dict]:
        return 200, self._list(self.tagged, query, f"{V}/{PAGE_ID}/tagged", int(query["limit"][0]))

    def _missing(self, object_id: str) -> tuple[int, dict]:
        message = (
            f"Unsupported post request. Object with ID '{object_id}' does not exist, cannot be loaded due "
            "to missing permissions, or does not support this operation."
        )
        return 400, json.loads(graph_error(100, message, 33, "GraphMethodException"))

    def _reply(self, target: str, body: bytes) -> tuple[int, dict]:
        if target in self.gone:
            return self._missing(target)
        self.replies.append((target, {k: v[0] for k, v in parse_qs(body.decode()).items()}))
        return 200, {"id": f"{target.split('_')[-1]}_{70000 + len(self.replies)}"}

    def _like(self, target: str) -> tuple[int, dict]:
        if target in self.gone:
            return self._missing(target)
        self.likes.append(target)
        return 200, {"success": True}

    def _photo(self, query, body, headers) -> tuple[int, dict]:
        message = BytesParser().parsebytes(f"Content-Type: {headers['Content-Type']}\r\n\r\n".encode() + body)
        parts = {part.get_param("name", header="content-disposition"): part for part in message.get_payload()}
        self.photos.append({name: part.get_payload(decode=True) for name, part in parts.items()})
        return 200, {"id": str(880000 + len(self.photos))}

    def _publish(self, query, body, headers) -> tuple[int, dict]:
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        self.feed_posts.append(form)
        return 200, {"id": f"{PAGE_ID}_{990000 + len(self.feed_posts)}"}

    def _page(self, query, body, headers) -> tuple[int, dict]:
        return 200, {"id": PAGE_ID, "followers_count": 5120, "fan_count": 4980}

    def _one(self, post_id: str) -> tuple[int, dict]:
        return (
            self._missing(post_id)
            if post_id in self.gone
            else (200, self._ids({"ids": [post_id]}, b"", {})[1][post_id])
        )

    def message(self, psid: str, second: int, text: str = "", *, by_page: bool = False) -> str:
        """A Messenger message in the conversation with `psid`, as Graph's Message node has it."""
        conversation = f"t_{psid}"
        person = {"id": psid, "name": "Jo Parker", "email": f"{psid}@facebook.com"}
        page = {"id": PAGE_ID, "name": "Northfield Council", "email": f"{PAGE_ID}@facebook.com"}
        message_id = f"m_{psid}AbC{second:05d}"
        sender, recipient = (page, person) if by_page else (person, page)
        return self.add_message(conversation, message_id, text or f"Hello, message {second}", second, sender, recipient)

    def _message_page(self, conversation: str, query) -> dict:
        return self._list(self.conversations[conversation], query, f"{V}/{conversation}/messages", 25)

    def _conversations(self, query, body, headers) -> tuple[int, dict]:
        if refused := self._check(headers):
            return refused
        return self.conversation_list(query, platform="messenger")

    def _send(self, query, body, headers) -> tuple[int, dict]:
        form = {k: json.loads(v[0]) if k != "messaging_type" else v[0] for k, v in parse_qs(body.decode()).items()}
        psid = form["recipient"]["id"]
        if psid in self.window_closed:
            message = "(#10) This message is sent outside of allowed window. Learn more about the new policy here"
            return 400, json.loads(graph_error(10, message, 2018278))
        self.sent.append(form)
        sent = self.message(psid, 5000 + len(self.sent), form["message"]["text"], by_page=True)
        return 200, {"recipient_id": psid, "message_id": sent}

    def _ids(self, query, body, headers) -> tuple[int, dict]:
        ids = query["ids"][0].split(",")
        if any(i in self.gone for i in ids):
            return self._missing(next(i for i in ids if i in self.gone))
        return 200, {
            i: {
                "id": i,
                "shares": {"count": 3},
                "reactions": {"data": [], "summary": {"total_count": 11, "viewer_reaction": "NONE"}},
                "comments": {
                    "data": [],
                    "summary": {"order": "ranked", "total_count": len(self.comments.get(i, [])), "can_comment": True},
                },
            }
            for i in ids
        }


@pytest.fixture
def facebook(fake_network, monkeypatch) -> FakeGraph:
    monkeypatch.setattr(facebook_graph, "API_URL", fake_network.url)
    monkeypatch.setattr(facebook_graph, "TIMEOUT_SECONDS", 0.5)
    return FakeGraph(fake_network)


def add_channel(token: str = TOKEN, *options: str) -> Channel:
    call_command(
        "channel",
        "add",
        "--org",
        "northfield",
        "--network",
        "facebook",
        "--handle",
        "northfieldcouncil",
        "--option",
        f"page_id={PAGE_ID}",
        "--token",
        token,
        *options,
    )
    return Channel.objects.get(network="facebook")


def stored() -> list[str]:
    return sorted(Post.objects.filter(network="facebook").values_list("external_id", flat=True))


def sync(capsys) -> str:
    call_command("sync", "--org", "northfield")
    return capsys.readouterr().out


def test_add_needs_the_page_id_and_a_page_token(organisation):
    with pytest.raises(CommandError, match="facebook needs --option page_id"):
        call_command(
            "channel", "add", "--org", "northfield", "--network", "facebook", "--handle", "x", "--token", TOKEN
        )


def test_posts_comments_and_tags_are_mapped_and_stored_once(organisation, facebook, capsys):
    post = facebook.post(1, message="Bin collections change on Monday #bins")
    first = facebook.comment(post, 10, "When does Mill Lane get collected? @northfieldcouncil")
    facebook.comment(post, 20, "Thanks for asking", parent=first, author=False)
    facebook.comments[post][0]["attachment"] = {
        "type": "photo",
        "url": "https://fb.example/p/1",
        "media": {"image": {"src": "https://scontent.example/bin.jpg", "height": 720, "width": 720}},
        "description": "A full bin",
    }
    facebook.tagged.append(
        {
            "id": "7001_123",
            "message": "Great clean-up by @Northfield Council",
            "created_time": when(30),
            "from": {"id": "7001", "name": "Jo Parker"},
            "permalink_url": "https://www.facebook.com/7001/posts/123",
        }
    )
    channel = add_channel()
    assert "fetched 4, stored 4, duplicates 0" in sync(capsys)
    comment = Post.objects.get(external_id=first)
    assert comment.in_reply_to_external_id == post and comment.author.display_name == "Jo Parker"
    assert comment.media == [{"type": "image", "url": "https://scontent.example/bin.jpg", "alt": "A full bin"}]
    reply = Post.objects.get(text="Thanks for asking")
    assert reply.in_reply_to_external_id == first and reply.author.handle == "unknown"
    assert Post.objects.get(external_id=post).hashtags == ["bins"]
    assert Post.objects.get(external_id="7001_123").extra == {"kind": "tagged"}
    channel.refresh_from_db()
    assert channel.sync_cursor == {"newest": (START + timedelta(seconds=30)).isoformat()}
    # The newest second is read again (and absorbed); nothing else is stored twice.
    assert "stored 0, duplicates 1" in sync(capsys)


def test_later_runs_follow_comment_pages_and_feed_pages_back_to_what_they_have(organisation, facebook, capsys):
    old = facebook.post(0)
    add_channel()
    sync(capsys)
    many = [facebook.comment(old, 100 + n) for n in range(120)]
    posts = [facebook.post(300 + n) for n in range(40)]
    out = sync(capsys)
    assert "stored 160" in out
    assert stored() == sorted([old, *many, *posts])
    assert facebook.network.hits(f"{V}/{old}/comments") == 2 and facebook.network.hits(FEED) == 1 + 2


def test_an_edited_comment_is_stored_once_with_its_first_text(organisation, facebook, capsys):
    post = facebook.post(1)
    comment = facebook.comment(post, 5, "Bins missed")
    add_channel()
    sync(capsys)
    facebook.comments[post][0]["message"] = "Bins missed again (edited)"
    assert "stored 0, duplicates 1" in sync(capsys)
    assert Post.objects.get(external_id=comment).text == "Bins missed"


BUC = json.dumps(
    {
        PAGE_ID: [
            {
                "type": "pages",
                "call_count": 100,
                "total_cputime": 30,
                "total_time": 40,
                "estimated_time_to_regain_access": 5,
            }
        ]
    }
)
FAILURES = {
    "rate limited": (
        Canned(400, graph_error(32, "Page request limit reached"), {**JSON, "X-Business-Use-Case-Usage": BUC}),
        "limiting requests (code 32); trying again in 300 seconds",
        ChannelStatus.ERROR,
    ),
    "expired token": (
        Canned(400, graph_error(190, "Error validating access token: Session has expired on Monday.", 463), JSON),
        "refused the stored access (code 190",
        ChannelStatus.DISABLED,
    ),
    "permission removed": (
        Canned(403, graph_error(200, "(#200) Requires pages_read_engagement permission"), JSON),
        "refused the stored access (code 200",
        ChannelStatus.DISABLED,
    ),
    "temporary": (
        Canned(500, graph_error(2, "An unexpected error has occurred."), JSON),
        "problem of its own",
        ChannelStatus.ERROR,
    ),
    "gateway down": (
        Canned(502, b"<html>Bad gateway</html>"),
        "had a problem of its own (HTTP 502)",
        ChannelStatus.ERROR,
    ),
    "malformed JSON": (Canned(200, b'{"data": [{"id": "1', JSON), "not valid JSON", ChannelStatus.ERROR),
    "unreadable JSON": (Canned(200, b'{"data": [{"message": "no id"}]}', JSON), "cannot read", ChannelStatus.ERROR),
    "timeout": (Canned(200, b"{}", JSON, delay=1.5), "the request timed out", ChannelStatus.ERROR),
}


@pytest.mark.parametrize("case", list(FAILURES))
def test_failures_are_recorded_in_plain_words_and_nothing_is_lost(case, organisation, facebook, capsys):
    answer, words, status = FAILURES[case]
    post = facebook.post(0)
    first = [post, facebook.comment(post, 1)]
    channel = add_channel()
    sync(capsys)
    later = [facebook.comment(post, 10 + n) for n in range(60)] + [facebook.post(200)]
    facebook.network.fail_next(FEED, answer)
    channel.refresh_from_db()
    cursor = channel.sync_cursor
    report = channel_sync(channel=channel)
    channel.refresh_from_db()
    assert channel.status == status and words in channel.last_error and channel.sync_cursor == cursor
    assert report.permanent == (status == ChannelStatus.DISABLED)
    if case == "rate limited":
        assert report.retry_after == 300
    assert stored() == sorted(first)
    call_command("sync", "--org", "northfield", "--channel", str(channel.id))
    assert stored() == sorted(first + later)


def test_a_comment_page_that_fails_stores_nothing_of_the_run(organisation, facebook, capsys):
    post = facebook.post(0)
    channel = add_channel()
    sync(capsys)
    comments = [facebook.comment(post, 10 + n) for n in range(70)]
    facebook.network.fail_next(f"{V}/{post}/comments", Canned(200, b"<html>", JSON))
    channel.refresh_from_db()
    assert "not valid JSON" in channel_sync(channel=channel).error
    assert stored() == [post]
    channel_sync(channel=channel)
    assert stored() == sorted([post, *comments])


def test_publish_with_images_and_alt_text_then_reply_and_like(organisation, facebook):
    channel = add_channel()
    connector = CONNECTORS["facebook"]
    credentials = {"access_token": TOKEN}
    pictures = [
        MediaItem(data=b"\x89PNG one", mime_type="image/png", alt_text="Map of the new route", filename="a.png"),
        MediaItem(data=b"\x89PNG two", mime_type="image/png", alt_text="The new bins"),
    ]
    made = connector.publish(
        channel=channel, credentials=credentials, text="New bin routes", idempotency_key="k", media=pictures
    )
    assert made.external_id == f"{PAGE_ID}_990001" and made.url == f"https://www.facebook.com/{PAGE_ID}_990001"
    assert [photo["alt_text_custom"] for photo in facebook.photos] == [b"Map of the new route", b"The new bins"]
    assert facebook.photos[0]["source"] == b"\x89PNG one" and facebook.photos[0]["published"] == b"false"
    assert facebook.feed_posts == [
        {
            "message": "New bin routes",
            "attached_media[0]": '{"media_fbid": "880001"}',
            "attached_media[1]": '{"media_fbid": "880002"}',
        }
    ]
    post = facebook.post(1)
    comment = facebook.comment(post, 3)
    reply = connector.publish(
        channel=channel, credentials=credentials, text="Sorry Jo, on its way", idempotency_key="r", in_reply_to=comment
    )
    assert facebook.replies == [(comment, {"message": "Sorry Jo, on its way"})] and reply.external_id
    connector.like(channel=channel, credentials=credentials, external_id=post)
    assert facebook.likes == [post]
    facebook.gone.add(comment)
    facebook.gone.add(post)
    with pytest.raises(PostGone, match="deleted"):
        connector.publish(
            channel=channel, credentials=credentials, text="Hello?", idempotency_key="g", in_reply_to=comment
        )
    with pytest.raises(PostGone):
        connector.like(channel=channel, credentials=credentials, external_id=post)


def test_metrics_leave_out_deleted_posts(organisation, facebook):
    channel = add_channel()
    posts = [facebook.post(n) for n in range(3)]
    facebook.comment(posts[0], 5)
    facebook.gone.add(posts[2])
    metrics = CONNECTORS["facebook"].fetch_metrics(
        channel=channel, credentials={"access_token": TOKEN}, external_ids=posts
    )
    assert metrics.followers == 5120
    assert metrics.posts == {
        posts[0]: {"likes": 11, "replies": 1, "shares": 3},
        posts[1]: {"likes": 11, "replies": 0, "shares": 3},
    }


def test_an_answer_without_the_new_id_is_not_published_again(organisation, facebook):
    channel = add_channel()
    facebook.network.fail_next(FEED, Canned(200, b"{}", JSON))
    with pytest.raises(ConnectorError, match="may have been made; check before trying again") as failed:
        CONNECTORS["facebook"].publish(
            channel=channel, credentials={"access_token": TOKEN}, text="Bins as normal", idempotency_key="k"
        )
    assert failed.value.permanent


MESSAGES = ("--option", "messages=on")


def test_messenger_conversations_are_read_as_direct_messages_page_by_page(organisation, facebook, capsys):
    first = facebook.message("24001", 1, "My council tax reference is 4411")
    ours = facebook.message("24001", 2, "Thanks, we are looking into it", by_page=True)
    other = facebook.message("24002", 3, "Is the tip open on Sunday?")
    channel = add_channel(TOKEN, *MESSAGES)
    assert "fetched 3, stored 3, duplicates 0" in sync(capsys)
    theirs = Post.objects.get(external_id=first)
    assert theirs.extra == {"kind": "message", "direct_to": "northfieldcouncil"}
    assert theirs.author.handle == "24001" and theirs.author.display_name == "Jo Parker"
    answer = Post.objects.get(external_id=ours)
    assert answer.extra == {"kind": "message", "direct_to": "24001"} and answer.author.handle == "northfieldcouncil"
    assert Post.objects.get(external_id=other).extra["direct_to"] == "northfieldcouncil"
    # The Page's own post is written by the same identity as its messages (the channel's handle), not a second one.
    page_post = facebook.post(4)
    sync(capsys)
    answer.author.refresh_from_db()
    assert Post.objects.get(external_id=page_post).author == answer.author
    assert answer.author.handle == "northfieldcouncil"
    channel.refresh_from_db()
    assert channel.sync_cursor == {"newest": (START + timedelta(seconds=4)).isoformat()}
    # Later: 30 people write (two pages of conversations) and one writes 60 messages (three message pages).
    many = [facebook.message(str(25000 + n), 100 + n) for n in range(30)]
    long = [facebook.message("24001", 200 + n) for n in range(60)]
    assert "stored 90, duplicates 1" in sync(capsys)
    assert set(stored()) == {first, ours, other, page_post, *many, *long}
    assert facebook.network.hits(CONVERSATIONS) == 2 + 2 and facebook.network.hits(f"{V}/t_24001/messages") == 2
    # Nothing new: the newest second comes again and is absorbed; older conversations are not read.
    assert "stored 0, duplicates 1" in sync(capsys)
    assert facebook.network.hits(CONVERSATIONS) == 2 + 2 + 1


def test_messages_are_not_read_without_the_option(organisation, facebook, capsys):
    facebook.message("24001", 1)
    add_channel()
    assert "fetched 0" in sync(capsys) and facebook.network.hits(CONVERSATIONS) == 0


MESSAGE_FAILURES = {case: FAILURES[case] for case in ("rate limited", "expired token", "malformed JSON")}


@pytest.mark.parametrize("case", list(MESSAGE_FAILURES))
def test_conversation_failures_are_recorded_and_nothing_is_lost(case, organisation, facebook, capsys):
    answer, words, status = MESSAGE_FAILURES[case]
    first = facebook.message("24001", 1)
    channel = add_channel(TOKEN, *MESSAGES)
    sync(capsys)
    later = [facebook.message("24001", 10), facebook.message("24003", 11)]
    facebook.network.fail_next(CONVERSATIONS, answer)
    channel.refresh_from_db()
    cursor = channel.sync_cursor
    report = channel_sync(channel=channel)
    channel.refresh_from_db()
    assert channel.status == status and words in channel.last_error and channel.sync_cursor == cursor
    assert report.permanent == (status == ChannelStatus.DISABLED)
    assert stored() == [first]
    call_command("sync", "--org", "northfield", "--channel", str(channel.id))
    assert stored() == sorted([first, *later])


def test_a_message_reply_goes_out_privately_through_the_send_api(organisation, facebook):
    channel = add_channel(TOKEN, *MESSAGES)
    message = facebook.message("24001", 1)
    sent = CONNECTORS["facebook"].publish(
        channel=channel,
        credentials={"access_token": TOKEN},
        text="We can help",
        idempotency_key="k",
        in_reply_to=message,
    )
    assert facebook.sent == [
        {"recipient": {"id": "24001"}, "messaging_type": "RESPONSE", "message": {"text": "We can help"}}
    ]
    assert sent.external_id == facebook.conversations["t_24001"][-1]["id"] and not facebook.replies
    # Answering the Page's own message reaches the person it was sent to.
    CONNECTORS["facebook"].publish(
        channel=channel,
        credentials={"access_token": TOKEN},
        text="Also",
        idempotency_key="a",
        in_reply_to=sent.external_id,
    )
    assert facebook.sent[-1]["recipient"] == {"id": "24001"}


def test_a_deleted_message_or_a_closed_window_refuses_the_reply_in_plain_words(organisation, facebook):
    channel = add_channel(TOKEN, *MESSAGES)
    gone, late = facebook.message("24001", 1), facebook.message("24002", 2)
    facebook.gone.add(gone)
    facebook.window_closed.add("24002")
    with pytest.raises(PostGone, match="message being answered no longer exists"):
        CONNECTORS["facebook"].publish(
            channel=channel, credentials={"access_token": TOKEN}, text="Hi", idempotency_key="g", in_reply_to=gone
        )
    with pytest.raises(ReplyRefused, match="more than 24 hours since their last message") as refused:
        CONNECTORS["facebook"].publish(
            channel=channel, credentials={"access_token": TOKEN}, text="Hi", idempotency_key="l", in_reply_to=late
        )
    assert refused.value.permanent and facebook.sent == []
