"""YouTube comments through google-api-python-client (its bundled discovery document) pointed at the local
stand-in: new comments on the channel's videos in, every failure recorded and nothing lost; replies out as the
signed-in owner (never with an API key alone); the channel's subscribers and its own posts' counts."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import timedelta
from urllib.parse import parse_qs

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from tests.connectors.conftest import Canned
from tests.factories import make_channel, store_posts
from townsquare.channels.models import AccountSnapshot, Channel, ChannelStatus
from townsquare.channels.services import channel_credentials, channel_set_credentials
from townsquare.inbox.models import Conversation
from townsquare.inbox.senders import ReplyUnavailable, reply_unavailable_reason
from townsquare.inbox.services import conversation_reply
from townsquare.networks import oauth2
from townsquare.networks.abilities import channel_abilities, channel_can
from townsquare.networks.base import ConnectorError, MediaItem, PostGone, ReplyRefused
from townsquare.networks.connectors import CONNECTORS
from townsquare.networks.metrics import channel_metrics_refresh
from townsquare.networks.youtube import connector as youtube_connector
from townsquare.posts.models import Post

THREADS = "/youtube/v3/commentThreads"
COMMENTS = "/youtube/v3/comments"
CHANNELS = "/youtube/v3/channels"
VIDEOS = "/youtube/v3/videos"
TOKEN = "/google/token"
CHANNEL_ID = "UCnorthfield0000000000a1"
API_KEY = "AIzaSyFakeLocalKey-0000000000000000000"
JSON = {"Content-Type": "application/json"}
GRANT = {"client_id": "cid-google", "client_secret": "secret-google", "refresh_token": "1//0gRefreshNorthfield"}


def thread(number: int, text: str = "", video: str = "vid00000001") -> dict:
    comment_id = f"Ugx{number:06d}AaBbCc"
    snippet = {
        "channelId": CHANNEL_ID,
        "videoId": video,
        "textDisplay": text or f"Great update on the bins {number}",
        "textOriginal": text or f"Great update on the bins {number}",
        "authorDisplayName": "@resident-jo",
        "authorProfileImageUrl": "https://yt3.ggpht.example/photo.jpg",
        "authorChannelUrl": "http://www.youtube.com/@resident-jo",
        "authorChannelId": {"value": "UCresident00000000000001"},
        "canRate": True,
        "viewerRating": "none",
        "likeCount": 3,
        "publishedAt": f"2026-03-02T{number // 3600:02d}:{number // 60 % 60:02d}:{number % 60:02d}Z",
        "updatedAt": f"2026-03-02T{number // 3600:02d}:{number // 60 % 60:02d}:{number % 60:02d}Z",
    }
    return {
        "kind": "youtube#commentThread",
        "etag": f"etag{number}",
        "id": comment_id,
        "snippet": {
            "channelId": CHANNEL_ID,
            "videoId": video,
            "topLevelComment": {"kind": "youtube#comment", "etag": f"c{number}", "id": comment_id, "snippet": snippet},
            "canReply": True,
            "totalReplyCount": 1,
            "isPublic": True,
        },
    }


def google_error(code: int, reason: str, message: str, domain: str = "youtube.comment") -> bytes:
    """An error answer in the shape the YouTube Data API sends."""
    detail = {"message": message, "domain": domain, "reason": reason}
    return json.dumps({"error": {"code": code, "message": message, "errors": [detail]}}).encode()


class FakeYouTube:
    def __init__(self, network) -> None:
        self.network = network
        self.threads: list[dict] = []
        # Comments made through the API (replies and top-level comments), by id, and the request bodies.
        self.made: dict[str, dict] = {}
        self.inserted: list[tuple[str, dict]] = []
        counts = {"viewCount": "1520", "likeCount": "48", "favoriteCount": "0", "commentCount": "9"}
        self.videos: dict[str, dict[str, str]] = {"vid00000001": counts}
        self.comments_off: set[str] = set()
        self.subscribers: str | None = "1230"
        # Access tokens Google still grants for the refresh token; None: any number (0: access revoked).
        self.tokens_left: int | None = None
        self.tokens: list[str] = []
        self.listed_with_key: list[bool] = []
        network.routes.update(
            {
                ("GET", THREADS): self._list,
                ("POST", THREADS): self._insert_thread,
                ("POST", COMMENTS): self._insert_reply,
                ("GET", COMMENTS): self._comments,
                ("GET", CHANNELS): self._channels,
                ("GET", VIDEOS): self._videos,
                ("POST", TOKEN): self._token,
            }
        )

    def _token(self, query, body: bytes, headers) -> tuple[int, dict]:
        form = {key: values[-1] for key, values in parse_qs(body.decode()).items()}
        if form.get("refresh_token") != GRANT["refresh_token"] or self.tokens_left == 0:
            return 400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}
        if self.tokens_left is not None:
            self.tokens_left -= 1
        self.tokens.append(f"ya29.a0Northfield{len(self.tokens)}")
        return 200, {"access_token": self.tokens[-1], "expires_in": 3599, "token_type": "Bearer",
                     "scope": "https://www.googleapis.com/auth/youtube.force-ssl"}  # fmt: skip

    def _signed_in(self, headers) -> bool:
        return headers.get("authorization", "").removeprefix("Bearer ") in self.tokens

    def _refused(self, query, headers) -> tuple[int, dict] | None:
        """Google's answer to a request with neither a valid key nor a valid token."""
        if query.get("key") == [API_KEY] or ("key" not in query and self._signed_in(headers)):
            return None
        if "key" in query:
            detail = {"message": "API key not valid.", "domain": "global", "reason": "keyInvalid"}
            error = {"code": 400, "message": "API key not valid. Please pass a valid API key.", "errors": [detail]}
            return 400, {"error": error}
        return 401, json.loads(google_error(401, "authError", "Invalid Credentials", "global"))

    def _comment(self, comment_id: str, text: str, *, video: str, parent: str = "") -> dict:
        snippet = {
            "channelId": CHANNEL_ID,
            "videoId": video,
            "textDisplay": text,
            "textOriginal": text,
            "authorDisplayName": "@northfieldcouncil",
            "authorProfileImageUrl": "https://yt3.ggpht.example/nfc.jpg",
            "authorChannelUrl": "http://www.youtube.com/@northfieldcouncil",
            "authorChannelId": {"value": CHANNEL_ID},
            "canRate": True,
            "viewerRating": "none",
            "likeCount": 0,
            "publishedAt": "2026-03-02T12:00:00Z",
            "updatedAt": "2026-03-02T12:00:00Z",
            **({"parentId": parent} if parent else {}),
        }
        return {"kind": "youtube#comment", "etag": f"e{comment_id}", "id": comment_id, "snippet": snippet}

    def _insert_reply(self, query, body: bytes, headers) -> tuple[int, dict]:
        """comments.insert: a reply to a top-level comment, as the signed-in owner only."""
        if not self._signed_in(headers) or "key" in query:
            return 401, json.loads(google_error(401, "authError", "Invalid Credentials", "global"))
        sent = json.loads(body)
        self.inserted.append((query["part"][-1], sent))
        parent = sent["snippet"]["parentId"]
        thread = next((item for item in self.threads if item["id"] == parent), None)
        if thread is None:
            message = "The comment identified by the <code>parentId</code> parameter could not be found."
            return 404, json.loads(google_error(404, "parentCommentNotFound", message))
        reply_id = f"{parent}.9zReply{len(self.made):04d}"
        made = self._comment(
            reply_id, sent["snippet"]["textOriginal"], video=thread["snippet"]["videoId"], parent=parent
        )
        self.made[reply_id] = made
        return 200, made

    def _insert_thread(self, query, body: bytes, headers) -> tuple[int, dict]:
        """commentThreads.insert: a new top-level comment on a video."""
        if not self._signed_in(headers) or "key" in query:
            return 401, json.loads(google_error(401, "authError", "Invalid Credentials", "global"))
        sent = json.loads(body)
        self.inserted.append((query["part"][-1], sent))
        video = sent["snippet"]["videoId"]
        if video not in self.videos:
            message = "The video identified by the <code>videoId</code> parameter could not be found."
            return 404, json.loads(google_error(404, "videoNotFound", message, "youtube.commentThread"))
        if video in self.comments_off:
            message = "The video identified by the <code>videoId</code> parameter has disabled comments."
            return 403, json.loads(google_error(403, "commentsDisabled", message, "youtube.commentThread"))
        comment_id = f"UgzTop{len(self.made):04d}AaABAg"
        top = self._comment(comment_id, sent["snippet"]["topLevelComment"]["snippet"]["textOriginal"], video=video)
        self.made[comment_id] = top
        thread = {"kind": "youtube#commentThread", "etag": "t", "id": comment_id,
                  "snippet": {"channelId": CHANNEL_ID, "videoId": video, "topLevelComment": top, "canReply": True,
                              "totalReplyCount": 0, "isPublic": True}}  # fmt: skip
        return 200, thread

    def _comments(self, query, body, headers) -> tuple[int, dict]:
        refused = self._refused(query, headers)
        if refused:
            return refused
        wanted = query["id"][-1].split(",")
        items = [self.made[comment_id] for comment_id in wanted if comment_id in self.made]
        return 200, {"kind": "youtube#commentListResponse", "etag": "c", "items": items}

    def _channels(self, query, body, headers) -> tuple[int, dict]:
        refused = self._refused(query, headers)
        if refused:
            return refused
        assert query["part"] == ["statistics"]
        statistics = {"viewCount": "88410", "videoCount": "214", "hiddenSubscriberCount": self.subscribers is None,
                      **({"subscriberCount": self.subscribers} if self.subscribers else {})}  # fmt: skip
        items = [{"kind": "youtube#channel", "etag": "ch", "id": CHANNEL_ID, "statistics": statistics}]
        found = [item for item in items if item["id"] in query["id"][-1].split(",")]
        return 200, {"kind": "youtube#channelListResponse", "etag": "cl",
                     "pageInfo": {"totalResults": len(found), "resultsPerPage": 5}, "items": found}  # fmt: skip

    def _videos(self, query, body, headers) -> tuple[int, dict]:
        refused = self._refused(query, headers)
        if refused:
            return refused
        wanted = query["id"][-1].split(",")
        assert len(wanted) <= 50
        items = [{"kind": "youtube#video", "etag": "v", "id": video, "statistics": self.videos[video]}
                 for video in wanted if video in self.videos]  # fmt: skip
        return 200, {"kind": "youtube#videoListResponse", "etag": "vl", "items": items}

    def _list(self, query: dict[str, list[str]], body, headers) -> tuple[int, dict]:
        refused = self._refused(query, headers)
        if refused:
            return refused
        assert query["allThreadsRelatedToChannelId"] == [CHANNEL_ID] and query["order"] == ["time"]
        self.listed_with_key.append("key" in query)
        items = sorted(self.threads, key=lambda item: item["id"], reverse=True)
        start = int(query.get("pageToken", ["0"])[-1])
        size = int(query["maxResults"][-1])
        page = items[start : start + size]
        answer = {"kind": "youtube#commentThreadListResponse", "etag": "list",
                  "pageInfo": {"totalResults": len(items), "resultsPerPage": size}, "items": page}  # fmt: skip
        if start + size < len(items):
            answer["nextPageToken"] = str(start + size)
        return 200, answer

    def add(self, first: int, count: int) -> list[str]:
        made = [thread(n) for n in range(first, first + count)]
        self.threads += made
        return [item["id"] for item in made]


@pytest.fixture
def youtube(fake_network, monkeypatch) -> FakeYouTube:
    monkeypatch.setattr(youtube_connector, "API_ENDPOINT", fake_network.url + "/")
    monkeypatch.setattr(youtube_connector, "TIMEOUT_SECONDS", 0.5)
    google = dataclasses.replace(oauth2.PROVIDERS["youtube"], token_url=fake_network.url + TOKEN)
    monkeypatch.setitem(oauth2.PROVIDERS, "youtube", google)
    return FakeYouTube(fake_network)


def add_channel(api_key: str = API_KEY) -> Channel:
    call_command(
        "channel", "add", "--org", "northfield", "--network", "youtube", "--handle", "northfieldcouncil",
        "--option", f"channel_id={CHANNEL_ID}", "--credential", f"api_key={api_key}",
    )  # fmt: skip
    return Channel.objects.get(network="youtube")


def sync(capsys) -> str:
    call_command("sync", "--org", "northfield")
    return capsys.readouterr().out


def stored() -> set[str]:
    return set(Post.objects.filter(network="youtube").values_list("external_id", flat=True))


def test_add_needs_the_channel_id_and_an_api_key(organisation):
    with pytest.raises(CommandError, match="youtube needs --option channel_id"):
        call_command("channel", "add", "--org", "northfield", "--network", "youtube", "--handle", "x")


def test_comments_are_mapped_and_stored_once(organisation, youtube, capsys):
    youtube.threads = [thread(7, "When is the next @northfield meeting? #council https://agenda.example/7")]
    channel = add_channel()
    assert "fetched 1, stored 1, duplicates 0" in sync(capsys)
    post = Post.objects.get(external_id="Ugx000007AaBbCc")
    assert post.text.startswith("When is the next") and post.hashtags == ["council"]
    assert post.links == ["https://agenda.example/7"]
    assert post.author.handle == "resident-jo" and post.author.external_id == "UCresident00000000000001"
    assert post.in_reply_to_external_id == "vid00000001" and post.likes_count == 3 and post.replies_count == 1
    assert post.url == "https://www.youtube.com/watch?v=vid00000001&lc=Ugx000007AaBbCc"
    channel.refresh_from_db()
    assert channel.sync_cursor == {"newest": "2026-03-02T00:00:07+00:00"} and channel.status == ChannelStatus.OK
    assert "fetched 1, stored 0, duplicates 1" in sync(capsys)


def test_a_new_channel_takes_the_newest_page_and_later_runs_read_back(organisation, youtube, capsys):
    old = youtube.add(0, 120)
    add_channel()
    sync(capsys)
    assert stored() == set(old[20:])
    new = youtube.add(120, 250)
    sync(capsys)
    assert stored() == set(old[20:] + new)
    assert youtube.network.hits(THREADS) == 1 + 3


FAILURES = {
    "quota used up": (
        Canned(
            403,
            json.dumps(
                {
                    "error": {
                        "code": 403,
                        "message": "quota",
                        "errors": [{"message": "quota", "domain": "youtube.quota", "reason": "quotaExceeded"}],
                    }
                }
            ).encode(),
            {"Content-Type": "application/json"},
        ),  # fmt: skip
        "daily quota is used up",
        ChannelStatus.ERROR,
    ),
    "rate limited with a 403": (
        Canned(403, google_error(403, "rateLimitExceeded", "The request cannot be completed.", "youtube.quota"), JSON),
        "limiting requests (rateLimitExceeded)",
        ChannelStatus.ERROR,
    ),
    "server error": (Canned(503, b"<html>down</html>"), "had a problem of its own (HTTP 503)", ChannelStatus.ERROR),
    "malformed JSON": (
        Canned(200, b'{"items": [', {"Content-Type": "application/json"}),
        "not valid JSON",
        ChannelStatus.ERROR,
    ),
    "timeout": (Canned(200, b"{}", delay=1.5), "the request timed out", ChannelStatus.ERROR),
}


@pytest.mark.parametrize("case", list(FAILURES))
def test_failures_are_recorded_in_plain_words_and_nothing_is_lost(case, organisation, youtube, capsys):
    answer, words, status = FAILURES[case]
    first = youtube.add(0, 2)
    channel = add_channel()
    sync(capsys)
    later = youtube.add(2, 30)
    youtube.network.fail_next(THREADS, answer)
    with pytest.raises(CommandError, match="1 channel"):
        sync(capsys)
    channel.refresh_from_db()
    assert channel.status == status and words in channel.last_error
    assert channel.sync_cursor == {"newest": "2026-03-02T00:00:01+00:00"}
    sync(capsys)
    assert stored() == set(first + later)


def test_an_invalid_api_key_disables_the_channel(organisation, youtube, capsys):
    channel = add_channel(api_key="AIzaWrong")
    with pytest.raises(CommandError, match="1 channel"):
        sync(capsys)
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.DISABLED and "refused the API key (keyInvalid)" in channel.last_error


def signed_in_channel(organisation, **extra: str) -> Channel:
    """A channel connected by signing in (what networks/oauth2.py stores), with `extra` credentials beside."""
    return make_channel(
        organisation,
        handle="northfieldcouncil",
        network="youtube",
        options={"channel_id": CHANNEL_ID},
        credentials={**GRANT, **extra},
    )


def publish(channel: Channel, in_reply_to: str | None, text: str = "Thanks, we have passed this on", **extra):
    return CONNECTORS["youtube"].publish(
        channel=channel, credentials=channel_credentials(channel=channel), text=text, idempotency_key="k1",
        in_reply_to=in_reply_to, **extra,
    )  # fmt: skip


# --- Replies: comments.insert and commentThreads.insert, as the signed-in owner ---


def test_replies_go_out_as_the_signed_in_owner(organisation, youtube):
    youtube.add(7, 1)
    channel = signed_in_channel(organisation)
    result = publish(channel, "Ugx000007AaBbCc")
    assert youtube.inserted[0] == (
        "snippet", {"snippet": {"parentId": "Ugx000007AaBbCc", "textOriginal": "Thanks, we have passed this on"}}
    )  # fmt: skip
    assert result.external_id == "Ugx000007AaBbCc.9zReply0000"
    assert result.url == "https://www.youtube.com/watch?v=vid00000001&lc=Ugx000007AaBbCc.9zReply0000"
    # The grant's refresh token was traded once; the token went as a bearer, no key.
    assert youtube.network.hits(TOKEN) == 1
    assert [h["authorization"] for m, p, h in youtube.network.requests if p == COMMENTS] == [
        "Bearer ya29.a0Northfield0"
    ]
    # YouTube threads are one level deep: answering a reply answers its thread's top-level comment.
    publish(channel, "Ugx000007AaBbCc.9zReply0000", text="One more thing")
    assert youtube.inserted[1][1]["snippet"]["parentId"] == "Ugx000007AaBbCc"
    # A video id starts a new thread on the video.
    top = publish(channel, "vid00000001", text="Agenda for Thursday is up")
    body = youtube.inserted[2][1]["snippet"]
    assert body == {
        "videoId": "vid00000001",
        "topLevelComment": {"snippet": {"textOriginal": "Agenda for Thursday is up"}},
    }
    assert top.external_id == "UgzTop0002AaABAg" and top.url.endswith("v=vid00000001&lc=UgzTop0002AaABAg")


def test_what_a_reply_cannot_be(organisation, youtube):
    channel = signed_in_channel(organisation)
    with pytest.raises(ConnectorError, match="only replies on YouTube") as failure:
        publish(channel, None)
    assert failure.value.permanent
    image = MediaItem(data=b"\x89PNG", mime_type="image/png", alt_text="A bin lorry")
    with pytest.raises(ConnectorError, match="cannot attach images"):
        publish(channel, "Ugx000007AaBbCc", media=[image])
    assert youtube.inserted == []


REPLY_FAILURES = {
    "deleted comment": (None, PostGone, "no longer exists on YouTube", False),
    "comments turned off": (None, ReplyRefused, "comments are turned off", True),
    "text too long": (
        Canned(400, google_error(400, "commentTextTooLong", "The comment is too long."), JSON),
        ReplyRefused, "refused the comment: The comment is too long.", True,
    ),
    "rate limited": (
        Canned(429, google_error(429, "rateLimitExceeded", "Too many requests.", "youtube.quota"),
               {"Content-Type": "application/json", "Retry-After": "30"}),
        ConnectorError, "limiting requests (HTTP 429); trying again in 30 seconds", False,
    ),
    "scope missing": (
        Canned(403, google_error(403, "insufficientPermissions", "Request had insufficient authentication scopes.",
                                 "global"), {"Content-Type": "application/json"}),
        ConnectorError, "refused the stored access (HTTP 403)", True,
    ),
    "malformed JSON": (
        Canned(200, b'{"kind": "youtube#comment", "id": ', {"Content-Type": "application/json"}),
        ConnectorError, "not valid JSON", False,
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(REPLY_FAILURES))
def test_a_failed_reply_says_why(case, organisation, youtube):
    answer, kind, words, permanent = REPLY_FAILURES[case]
    youtube.add(7, 1)
    youtube.comments_off.add("vid00000001")
    channel = signed_in_channel(organisation)
    target = {"deleted comment": "UgxGone000AaBbCc", "comments turned off": "vid00000001"}.get(case, "Ugx000007AaBbCc")
    if answer is not None:
        youtube.network.fail_next(THREADS if target == "vid00000001" else COMMENTS, answer)
    with pytest.raises(ConnectorError, match=re.escape(words)) as failure:
        publish(channel, target)
    assert type(failure.value) is kind and failure.value.permanent is permanent
    assert youtube.made == {}


def test_a_revoked_grant_is_permanent(organisation, youtube):
    """A 401 makes google-auth refresh the token once; Google refuses a revoked grant's refresh token."""
    youtube.add(7, 1)
    channel = signed_in_channel(organisation)
    youtube.tokens_left = 1
    youtube.network.fail_next(COMMENTS, Canned(401, google_error(401, "authError", "Invalid Credentials", "global")))
    with pytest.raises(ConnectorError, match=r"Google refused the stored sign-in \(invalid_grant") as failure:
        publish(channel, "Ugx000007AaBbCc")
    assert failure.value.permanent and youtube.network.hits(TOKEN) == 2 and youtube.made == {}


def test_an_api_key_alone_reads_but_cannot_reply(organisation, youtube):
    keyed = add_channel()
    assert channel_can(keyed, "fetch_mentions") and channel_can(keyed, "metrics") and not channel_can(keyed, "reply")
    said = {ability.capability: ability for ability in channel_abilities(keyed)}
    assert not said["reply"].available and "needs the channel owner's sign-in" in said["reply"].why
    assert "needs the channel owner's sign-in" in reply_unavailable_reason(keyed)
    with pytest.raises(ReplyRefused, match="needs the channel owner's sign-in"):
        publish(keyed, "Ugx000007AaBbCc")
    assert youtube.network.hits(COMMENTS) == 0 and youtube.network.hits(TOKEN) == 0
    # With both, reading keeps the key and replying uses the grant.
    youtube.add(7, 1)
    Channel.objects.all().delete()
    both = signed_in_channel(organisation, api_key=API_KEY)
    assert channel_can(both, "reply") and reply_unavailable_reason(both) == ""
    # (The stand-in refuses a reply sent with a key, and records whether each listing came with one.)
    publish(both, "Ugx000007AaBbCc")
    CONNECTORS["youtube"].fetch(channel=both, credentials=channel_credentials(channel=both), cursor={})
    assert len(youtube.made) == 1 and youtube.listed_with_key == [True]
    assert youtube.network.hits(TOKEN) == 1


def test_the_inbox_replies_to_a_youtube_comment_and_stores_the_reply(organisation, youtube, people, capsys):
    youtube.threads = [thread(7, "@northfieldcouncil the bins on Elm St were missed again")]
    channel = signed_in_channel(organisation)
    call_command("sync", "--org", "northfield")
    conversation = Conversation.objects.get(organisation=organisation, channel=channel)
    event = conversation_reply(
        conversation=conversation, actor=people["editor"], text="Sorry, a crew is on its way", seen_event_id=0,
        key="0b7e4c1e-reply-key",
    )  # fmt: skip
    ours = event.post
    assert youtube.inserted[0][1]["snippet"] == {
        "parentId": "Ugx000007AaBbCc",
        "textOriginal": "Sorry, a crew is on its way",
    }
    assert ours.external_id == "Ugx000007AaBbCc.9zReply0000" and ours.in_reply_to_external_id == "Ugx000007AaBbCc"
    assert ours.author.handle == "northfieldcouncil" and ours.conversation_root_id == conversation.root_post_id
    # Once only the API key is left, the conversation says why before anything is sent.
    channel_set_credentials(channel=channel, credentials={"api_key": API_KEY})
    conversation = Conversation.objects.get(id=conversation.id)
    with pytest.raises(ReplyUnavailable, match="needs the channel owner's sign-in"):
        conversation_reply(conversation=conversation, actor=people["editor"], text="Hi", seen_event_id=0, key="k2")
    assert len(youtube.inserted) == 1


# --- Metrics: channels.list, videos.list and comments.list ---


def test_metrics_read_subscribers_and_own_videos_and_comments(organisation, youtube):
    an_hour_ago = (timezone.now() - timedelta(hours=1)).isoformat()
    youtube.add(7, 1)
    channel = signed_in_channel(organisation)
    reply = publish(channel, "Ugx000007AaBbCc")
    youtube.made[reply.external_id]["snippet"]["likeCount"] = 6
    store_posts(
        organisation,
        {
            "id": "vid00000001",
            "text": "Council meeting, March",
            "author": "northfieldcouncil",
            "created_at": an_hour_ago,
        },
        {"id": reply.external_id, "text": "Thanks", "author": "northfieldcouncil", "created_at": an_hour_ago},
        {"id": "vidDeleted1", "text": "Removed since", "author": "northfieldcouncil", "created_at": an_hour_ago},
        network="youtube",
    )
    report = channel_metrics_refresh(channel=channel)
    assert not report.error and report.followers == 1230 and report.posts == 2
    assert list(AccountSnapshot.objects.filter(channel=channel).values_list("followers", flat=True)) == [1230]
    video = Post.objects.get(external_id="vid00000001")
    assert (video.views_count, video.likes_count, video.replies_count) == (1520, 48, 9)
    assert Post.objects.get(external_id=reply.external_id).likes_count == 6
    # An owner who hides the subscriber count has none to read; an API key reads the same public counts.
    youtube.subscribers = None
    channel.delete()
    keyed = add_channel()
    metrics = CONNECTORS["youtube"].fetch_metrics(
        channel=keyed, credentials=channel_credentials(channel=keyed), external_ids=["vid00000001"]
    )
    assert metrics.followers is None and metrics.posts == {"vid00000001": {"views": 1520, "likes": 48, "replies": 9}}


@pytest.mark.parametrize(
    "answer, words, status",
    [
        (Canned(429, google_error(429, "rateLimitExceeded", "Too many.", "youtube.quota"), {"Retry-After": "30"}),
         "trying again in 30 seconds", ChannelStatus.ERROR),
        (Canned(403, google_error(403, "forbidden", "Forbidden", "global")), "refused the stored access (HTTP 403)",
         ChannelStatus.DISABLED),
        (Canned(200, b'{"items": [{"statistics": ', {"Content-Type": "application/json"}), "not valid JSON",
         ChannelStatus.ERROR),
    ],
)  # fmt: skip
def test_failed_metrics_are_recorded_on_the_channel(organisation, youtube, answer, words, status):
    channel = add_channel()
    youtube.network.fail_next(CHANNELS, answer)
    assert words in channel_metrics_refresh(channel=channel).error
    channel.refresh_from_db()
    assert channel.status == status and not AccountSnapshot.objects.exists()


def test_metrics_of_a_channel_id_youtube_does_not_know(organisation, youtube):
    call_command(
        "channel", "add", "--org", "northfield", "--network", "youtube", "--handle", "elsewhere",
        "--option", "channel_id=UCnobody000000000000000", "--credential", f"api_key={API_KEY}",
    )  # fmt: skip
    report = channel_metrics_refresh(channel=Channel.objects.get(handle="elsewhere"))
    assert "YouTube has no channel UCnobody000000000000000" in report.error
