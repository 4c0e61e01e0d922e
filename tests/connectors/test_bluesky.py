"""Bluesky through the local XRPC stand-in: mentions, replies and quotes in, replies out, failures recorded."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.connectors.bluesky_fake import (
    CREATE_RECORD,
    GET_MESSAGES,
    GET_POSTS,
    LIST_CONVOS,
    NOTIFICATIONS,
    SESSION,
    FakeBluesky,
    post_record,
    post_uri,
)
from tests.connectors.conftest import Canned
from townsquare.channels.models import Channel, ChannelStatus
from townsquare.channels.services import channel_credentials
from townsquare.ingest.pipeline import ingest_records
from townsquare.networks.base import ConnectorError, MediaItem, PostGone, ReplyRefused
from townsquare.networks.bluesky import connector as bluesky_connector
from townsquare.networks.bluesky.mapping import post_to_record
from townsquare.networks.connectors import CONNECTORS
from townsquare.networks.sync import channel_sync, channels_due
from townsquare.posts.models import Post


@pytest.fixture
def bluesky(fake_network, monkeypatch) -> FakeBluesky:
    monkeypatch.setattr(bluesky_connector, "_SESSIONS", {})
    return FakeBluesky(fake_network)


def add_channel(bluesky: FakeBluesky, password: str | None = None, *options: str) -> Channel:
    call_command(
        "channel", "add", "--org", "northfield", "--network", "bluesky", "--handle", bluesky.handle,
        "--service", bluesky.url + "/", "--app-password", password or bluesky.password, *options,
    )  # fmt: skip
    return Channel.objects.get(network="bluesky")


def sync(capsys, *args: str) -> str:
    call_command("sync", "--org", "northfield", *args)
    return capsys.readouterr().out


def stored() -> set[str]:
    return set(Post.objects.filter(network="bluesky").values_list("external_id", flat=True))


def test_add_keeps_the_app_password_only_in_the_vault(organisation, bluesky):
    channel = add_channel(bluesky)
    assert channel.options == {"service": bluesky.url}
    assert channel_credentials(channel=channel) == {"app_password": bluesky.password}
    assert bluesky.password not in json.dumps(channel.options) + channel.credentials_encrypted


def test_add_without_an_app_password_says_what_is_missing(organisation):
    with pytest.raises(CommandError, match="--app-password"):
        call_command("channel", "add", "--org", "northfield", "--network", "bluesky", "--handle", "x.bsky.social")


def test_mentions_replies_and_quotes_are_mapped_and_stored_once(organisation, bluesky, capsys):
    own = bluesky.add_post(bluesky.handle, "own1", post_record("Bin days change in March"))
    text = "@northfieldcc.bsky.social bins on Elm St missed again 🗑️ #bins photos.example/elm…"
    at, tag, link = text.index("@"), text.index("#bins"), text.index("photos")
    b = lambda i: len(text[:i].encode())  # noqa: E731 (byte offsets, as facets count them)
    reply = bluesky.add_post(
        "resident.bsky.social",
        "r1",
        post_record(
            text,
            reply={"root": {"uri": own["uri"], "cid": own["cid"]}, "parent": {"uri": own["uri"], "cid": own["cid"]}},
            facets=[
                {
                    "index": {"byteStart": b(at), "byteEnd": b(at + 25)},
                    "features": [{"$type": "app.bsky.richtext.facet#mention", "did": own["author"]["did"]}],
                },
                {
                    "index": {"byteStart": b(tag), "byteEnd": b(tag + 5)},
                    "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "Bins"}],
                },
                {
                    "index": {"byteStart": b(link), "byteEnd": b(len(text))},
                    "features": [{"$type": "app.bsky.richtext.facet#link", "uri": "https://photos.example/elm-street"}],
                },
            ],  # fmt: skip
            embed={
                "$type": "app.bsky.embed.images",
                "images": [
                    {
                        "alt": "Overflowing bins on a pavement",
                        "image": {
                            "$type": "blob",
                            "ref": {"$link": "bafkreibins"},
                            "mimeType": "image/jpeg",
                            "size": 48211,
                        },  # fmt: skip
                    }
                ],
            },
        ),
        embed={
            "$type": "app.bsky.embed.images#view",
            "images": [
                {
                    "thumb": "https://cdn.bsky.example/img/feed_thumbnail/plain/did/bafkreibins@jpeg",
                    "fullsize": "https://cdn.bsky.example/img/feed_fullsize/plain/did/bafkreibins@jpeg",
                    "alt": "Overflowing bins on a pavement",
                }
            ],
        },
        replyCount=2,
        likeCount=7,
    )
    quote = bluesky.add_post(
        "gazette.bsky.social",
        "q1",
        post_record("Worth reading", embed={"$type": "app.bsky.embed.record", "record": {"uri": own["uri"],
                                                                                      "cid": own["cid"]}}),
        embed={"$type": "app.bsky.embed.record#view", "record": {"$type": "app.bsky.embed.record#viewRecord",
               "uri": own["uri"], "cid": own["cid"], "author": own["author"], "value": own["record"],
               "indexedAt": own["indexedAt"]}},
    )  # fmt: skip
    deleted = {**quote, "uri": post_uri("gone.bsky.social", "d1")}
    bluesky.notify(1, reply, reason="reply")
    bluesky.notify(2, None, reason="like")
    bluesky.notify(3, quote, reason="quote")
    bluesky.notify(4, deleted)  # its post is no longer served by getPosts
    channel = add_channel(bluesky)
    assert "fetched 2, stored 2, duplicates 0" in sync(capsys)
    post = Post.objects.get(external_id=reply["uri"])
    assert post.text == text and post.in_reply_to_external_id == own["uri"]
    assert post.mentions == [bluesky.handle] and post.hashtags == ["bins"]
    assert post.links == ["https://photos.example/elm-street"]
    assert post.media == [
        {
            "type": "image",
            "url": "https://cdn.bsky.example/img/feed_fullsize/plain/did/bafkreibins@jpeg",
            "alt": "Overflowing bins on a pavement",
        }
    ]
    assert post.url == "https://bsky.app/profile/resident.bsky.social/post/r1"
    assert post.author.handle == "resident.bsky.social" and post.likes_count == 7 and post.replies_count == 2
    assert Post.objects.get(external_id=quote["uri"]).quoted_external_id == own["uri"]
    channel.refresh_from_db()
    assert channel.sync_cursor == {"newest": "2026-03-03T00:00:04.000Z"} and channel.status == ChannelStatus.OK
    assert "fetched 0, stored 0" in sync(capsys)
    assert len(stored()) == 2 and bluesky.network.hits(GET_POSTS) == 1


def test_a_new_channel_takes_the_newest_page_and_later_runs_walk_back_to_it(organisation, bluesky, capsys):
    older = bluesky.mentions(0, 30)
    add_channel(bluesky)
    assert "stored 25" in sync(capsys)
    assert stored() == set(older[5:])
    newer = bluesky.mentions(30, 60)
    assert "fetched 60, stored 60, duplicates 0" in sync(capsys)
    assert stored() == set(older[5:] + newer)
    # 25 + 25 + 10 new, the last page reaching what was stored; one login served every page and run.
    assert bluesky.network.hits(NOTIFICATIONS) == 1 + 3 and bluesky.network.hits(SESSION) == 1


def test_a_walk_cut_short_continues_next_run_without_a_gap(organisation, bluesky, capsys):
    bluesky.mentions(0, 5)
    channel = add_channel(bluesky)
    sync(capsys)
    channel.refresh_from_db()
    newer = bluesky.mentions(5, 60)
    report = channel_sync(channel=channel, max_pages=1)
    assert report.stored == 25 and channel.sync_cursor["walk"] and channel.sync_cursor["newest"]
    bluesky.mentions(65, 3)  # arrives mid-walk: newer than the walk's top, so the next run takes it
    channel_sync(channel=channel)
    channel_sync(channel=channel)
    assert set(newer) <= stored() and len(stored()) == 68


def test_an_expired_session_logs_in_again_and_carries_on(organisation, bluesky, capsys):
    bluesky.mentions(0, 2)
    add_channel(bluesky)
    expired = b'{"error":"ExpiredToken","message":"Token has expired"}'
    bluesky.network.fail_next(NOTIFICATIONS, Canned(400, expired, {"Content-Type": "application/json"}))
    assert "fetched 2, stored 2" in sync(capsys)
    assert bluesky.network.hits(SESSION) == 2 and bluesky.network.hits(NOTIFICATIONS) == 2


def _reset_in(seconds: int) -> str:
    return str(int(time.time()) + seconds)


FAILURES = {
    "rate limited with ratelimit-reset": (
        lambda: Canned(
            429,
            b'{"error":"RateLimitExceeded","message":"Rate Limit Exceeded"}',
            {
                "Content-Type": "application/json",
                "ratelimit-limit": "3000",
                "ratelimit-remaining": "0",
                "ratelimit-reset": _reset_in(120),
                "ratelimit-policy": "3000;w=300",
            },
        ),  # fmt: skip
        "limiting requests (HTTP 429); trying again in 1",
        ChannelStatus.ERROR,
    ),
    "server error": (
        lambda: Canned(503, b"<html>down</html>"),
        "had a problem of its own (HTTP 503)",
        ChannelStatus.ERROR,
    ),
    "malformed JSON": (
        lambda: Canned(200, b'{"notifications": [{"uri": ', {"Content-Type": "application/json"}),
        "not valid JSON",
        ChannelStatus.ERROR,
    ),
    "timeout": (lambda: Canned(200, b"{}", delay=1.5), "the request timed out", ChannelStatus.ERROR),
}


@pytest.mark.parametrize("case", list(FAILURES))
def test_failures_are_recorded_in_plain_words_and_nothing_is_lost(case, organisation, bluesky, capsys, monkeypatch):
    answer, words, status = FAILURES[case]
    monkeypatch.setattr(bluesky_connector, "TIMEOUT_SECONDS", 0.5)
    first = bluesky.mentions(0, 2)
    channel = add_channel(bluesky)
    sync(capsys)
    later = bluesky.mentions(2, 40)
    bluesky.network.fail_next(NOTIFICATIONS, answer())
    with pytest.raises(CommandError, match="1 channel"):
        sync(capsys)
    assert words in capsys.readouterr().out
    channel.refresh_from_db()
    assert channel.status == status and words in channel.last_error
    assert channel.sync_cursor == {"newest": "2026-03-03T00:00:01.000Z"}
    assert "stored 40, duplicates 0" in sync(capsys)
    assert stored() == set(first + later)


def test_a_rate_limit_reset_holds_the_channel_back_until_then(organisation, bluesky, capsys):
    channel = add_channel(bluesky)
    bluesky.mentions(0, 1)
    reset = int(time.time()) + 3600
    headers = {"Content-Type": "application/json", "ratelimit-remaining": "0", "ratelimit-reset": str(reset)}
    bluesky.network.fail_next(NOTIFICATIONS, Canned(429, b'{"error":"RateLimitExceeded"}', headers))
    report = channel_sync(channel=channel)
    channel.refresh_from_db()
    assert report.retry_after and channel.next_sync_at.timestamp() == pytest.approx(reset, abs=2)
    assert channel not in channels_due(now=channel.last_error_at + timedelta(minutes=30))
    assert channel in channels_due(now=channel.next_sync_at)


def test_a_wrong_app_password_disables_the_channel(organisation, bluesky, capsys):
    bluesky.mentions(0, 1)
    channel = add_channel(bluesky, password="revoked-pass-word")
    with pytest.raises(CommandError, match="1 channel"):
        sync(capsys)
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.DISABLED
    assert "refused the handle and app password (HTTP 401)" in channel.last_error
    assert bluesky.network.hits(NOTIFICATIONS) == 0


def test_a_reply_names_parent_and_root_and_carries_link_and_tag_facets(organisation, bluesky):
    root = bluesky.add_post(bluesky.handle, "own1", post_record("Bin days change in March"))
    ref = {"uri": root["uri"], "cid": root["cid"]}
    parent = bluesky.add_post(
        "resident.bsky.social", "r1", post_record("Which days?", reply={"root": ref, "parent": ref})
    )
    channel = add_channel(bluesky)
    text = "Tuesdays — see https://northfield.example/bins #bins"
    result = CONNECTORS["bluesky"].publish(
        channel=channel, credentials=channel_credentials(channel=channel), text=text, idempotency_key="k1",
        in_reply_to=parent["uri"],
    )  # fmt: skip
    [created] = bluesky.created
    assert created["repo"] == "did:plc:northfieldcc0000000000000" and created["collection"] == "app.bsky.feed.post"
    record = created["record"]
    assert record["text"] == text
    reply = {name: {k: record["reply"][name][k] for k in ("uri", "cid")} for name in ("parent", "root")}
    assert reply == {"parent": {"uri": parent["uri"], "cid": parent["cid"]}, "root": ref}
    link_start = len(text[: text.index("https")].encode())
    facets = [(f["index"]["byteStart"], f["index"]["byteEnd"], f["features"][0]) for f in record["facets"]]
    end = len(text.encode())
    assert facets == [
        (
            link_start,
            link_start + 31,
            {"$type": "app.bsky.richtext.facet#link", "uri": "https://northfield.example/bins"},
        ),
        (end - 5, end, {"$type": "app.bsky.richtext.facet#tag", "tag": "bins"}),
    ]
    assert result.external_id == "at://did:plc:northfieldcc0000000000000/app.bsky.feed.post/3lbq000000001"
    assert result.url.endswith("/post/3lbq000000001") and bluesky.network.hits(CREATE_RECORD) == 1


def test_replying_to_a_deleted_post_says_so(organisation, bluesky):
    channel = add_channel(bluesky)
    with pytest.raises(PostGone, match="no longer exists") as raised:
        CONNECTORS["bluesky"].publish(
            channel=channel, credentials=channel_credentials(channel=channel), text="Sorry", idempotency_key="k2",
            in_reply_to=post_uri("resident.bsky.social", "gone"),
        )  # fmt: skip
    assert not raised.value.permanent and not bluesky.created


def test_a_new_version_of_a_stored_post_replaces_its_text_and_keeps_the_first(organisation, bluesky, capsys):
    """Bluesky records are content-addressed: a post rewritten with putRecord comes back with a new cid."""
    first = bluesky.add_post("resident.bsky.social", "e1", post_record("@northfieldcc potholes on Hill Rd"))
    bluesky.notify(1, first)
    add_channel(bluesky)
    sync(capsys)
    second = {**first, "cid": "bafyreie1v2", "record": post_record("@northfieldcc potholes on Hill Rd, fixed!")}
    third_copy_of_second = dict(second)
    for view in (second, third_copy_of_second):
        ingest_records(organisation=organisation, records=[post_to_record(view)], source="sync")
    post = Post.objects.get(external_id=first["uri"])
    assert post.text == "@northfieldcc potholes on Hill Rd, fixed!" and post.extra["cid"] == "bafyreie1v2"
    assert [edit["text"] for edit in post.extra["edits"]] == ["@northfieldcc potholes on Hill Rd"]


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
STRONG_REF = "com.atproto.repo.strongRef"


def test_images_are_uploaded_as_blobs_and_embedded_with_alt_text(organisation, bluesky):
    channel = add_channel(bluesky)
    images = [
        MediaItem(data=PNG, mime_type="image/png", alt_text="Flooded underpass on Station Road"),
        MediaItem(data=b"\xff\xd8\xff jpeg", mime_type="image/jpeg", alt_text="Sandbags stacked by the door"),
    ]
    CONNECTORS["bluesky"].publish(
        channel=channel,
        credentials=channel_credentials(channel=channel),
        text="Station Road underpass is closed",
        idempotency_key="k",
        media=images,
    )
    assert bluesky.blobs == [("image/png", PNG), ("image/jpeg", b"\xff\xd8\xff jpeg")]
    embed = bluesky.created[0]["record"]["embed"]
    assert embed["$type"] == "app.bsky.embed.images"
    assert [(image["alt"], image["image"]["ref"]["$link"]) for image in embed["images"]] == [
        ("Flooded underpass on Station Road", "bafkreiblob0001"),
        ("Sandbags stacked by the door", "bafkreiblob0002"),
    ]
    with pytest.raises(ConnectorError, match="at most 4 images"):
        CONNECTORS["bluesky"].publish(
            channel=channel, credentials=channel_credentials(channel=channel), text="x", idempotency_key="k",
            media=images * 3,
        )  # fmt: skip


def test_like_and_repost_name_the_post_by_uri_and_cid(organisation, bluesky):
    post = bluesky.add_post("resident.bsky.social", "l1", post_record("Lovely new benches in the park"))
    channel = add_channel(bluesky)
    connector, credentials = CONNECTORS["bluesky"], channel_credentials(channel=channel)
    connector.like(channel=channel, credentials=credentials, external_id=post["uri"])
    shared = connector.share(channel=channel, credentials=credentials, external_id=post["uri"])
    assert [(item["collection"], item["record"]["subject"]) for item in bluesky.created] == [
        ("app.bsky.feed.like", {"$type": STRONG_REF, "uri": post["uri"], "cid": post["cid"]}),
        ("app.bsky.feed.repost", {"$type": STRONG_REF, "uri": post["uri"], "cid": post["cid"]}),
    ]
    assert shared.external_id.startswith("at://did:plc:northfieldcc") and "/app.bsky.feed.repost/" in shared.external_id
    with pytest.raises(PostGone, match="the post being liked no longer exists"):
        connector.like(channel=channel, credentials=credentials, external_id=post_uri("x.bsky.social", "gone"))


def test_metrics_read_followers_and_counts_of_each_post(organisation, bluesky):
    uris = [
        bluesky.add_post(bluesky.handle, f"own{n}", post_record(f"post {n}"), likeCount=n, quoteCount=1)["uri"]
        for n in range(30)
    ]
    bluesky.followers = 5120
    channel = add_channel(bluesky)
    metrics = CONNECTORS["bluesky"].fetch_metrics(
        channel=channel, credentials=channel_credentials(channel=channel), external_ids=[*uris, post_uri("a", "gone")]
    )
    assert metrics.followers == 5120 and set(metrics.posts) == set(uris)
    assert metrics.posts[uris[7]] == {"replies": 0, "shares": 2, "likes": 7}
    assert bluesky.network.hits(GET_POSTS) == 2


MESSAGES = ("--option", "messages=on")


def test_chat_messages_are_read_as_direct_messages_page_by_page_and_once(organisation, bluesky, capsys):
    first = bluesky.message("resident.bsky.social", 1, "My reference is 4411")
    ours = bluesky.message("resident.bsky.social", 2, "Thanks, we will look", from_us=True)
    channel = add_channel(bluesky, None, *MESSAGES)
    assert "fetched 2, stored 2, duplicates 0" in sync(capsys)
    convo = next(iter(bluesky.convos))
    theirs = Post.objects.get(external_id=f"chat/{convo}/{first}")
    assert theirs.extra == {"kind": "message", "direct_to": bluesky.handle}
    assert theirs.author.handle == "resident.bsky.social" and theirs.text == "My reference is 4411"
    answer = Post.objects.get(external_id=f"chat/{convo}/{ours}")
    assert answer.extra["direct_to"] == "resident.bsky.social" and answer.author.handle == bluesky.handle
    channel.refresh_from_db()
    assert channel.sync_cursor["chat"] == "3lcz000000002"
    # Later: 60 people write (two pages of conversations) and one writes 120 more (three pages of messages).
    people = [bluesky.message(f"person{n}.bsky.social", 10 + n) for n in range(60)]
    many = [bluesky.message("resident.bsky.social", 100 + n) for n in range(120)]
    assert "stored 180, duplicates 0" in sync(capsys)
    assert len(stored()) == 182 and f"chat/{convo}/{many[-1]}" in stored() and people
    assert bluesky.network.hits(LIST_CONVOS) == 1 + 2 and bluesky.network.hits(GET_MESSAGES) == 1 + 60 + 3
    # Nothing new: one listConvos call, no messages read again.
    assert "fetched 0, stored 0, duplicates 0" in sync(capsys)
    assert bluesky.network.hits(LIST_CONVOS) == 4 and bluesky.network.hits(GET_MESSAGES) == 64


def test_a_deleted_message_is_left_out_and_chat_is_not_read_without_the_option(organisation, bluesky, capsys):
    bluesky.message("resident.bsky.social", 1)
    add_channel(bluesky)
    assert "fetched 0" in sync(capsys) and bluesky.network.hits(LIST_CONVOS) == 0
    Channel.objects.all().delete()
    channel = add_channel(bluesky, None, *MESSAGES)
    convo = next(iter(bluesky.convos))
    kept = bluesky.message("resident.bsky.social", 2, "Second")
    bluesky.delete_message(convo, "msg00001")
    sync(capsys)
    assert stored() == {f"chat/{convo}/{kept}"}
    channel.refresh_from_db()
    assert channel.sync_cursor["chat"] == "3lcz000000003"


CHAT_FAILURES = {
    "rate limited": (
        Canned(429, b'{"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}', {"Retry-After": "60"}),
        "limiting requests (HTTP 429)",
        ChannelStatus.ERROR,
    ),
    "no direct-message access": (
        Canned(401, b'{"error": "AuthenticationRequired", "message": "Bad token scope"}'),
        "Allow access to your direct messages",
        ChannelStatus.DISABLED,
    ),
    "malformed JSON": (Canned(200, b'{"convos": [{"id": "c', {}), "not valid JSON", ChannelStatus.ERROR),
}


@pytest.mark.parametrize("case", list(CHAT_FAILURES))
def test_chat_failures_are_recorded_in_plain_words_and_nothing_is_lost(case, organisation, bluesky, capsys):
    answer, words, status = CHAT_FAILURES[case]
    first = bluesky.message("resident.bsky.social", 1)
    channel = add_channel(bluesky, None, *MESSAGES)
    sync(capsys)
    later = [bluesky.message("resident.bsky.social", 5), bluesky.message("other.bsky.social", 6)]
    bluesky.network.fail_next(
        LIST_CONVOS, Canned(answer.status, answer.body, {"Content-Type": "application/json", **answer.headers})
    )
    channel.refresh_from_db()
    cursor = channel.sync_cursor
    report = channel_sync(channel=channel)
    channel.refresh_from_db()
    assert channel.status == status and words in channel.last_error and channel.sync_cursor == cursor
    assert report.permanent == (status == ChannelStatus.DISABLED)
    assert len(stored()) == 1 and first
    call_command("sync", "--org", "northfield", "--channel", str(channel.id))
    assert len(stored()) == 3 and all(any(s.endswith(m) for s in stored()) for m in later)


def test_an_expired_token_logs_in_again_for_chat(organisation, bluesky, capsys):
    channel = add_channel(bluesky, None, *MESSAGES)
    sync(capsys)
    bluesky.message("resident.bsky.social", 1)
    expired = b'{"error": "ExpiredToken", "message": "Token has expired"}'
    bluesky.network.fail_next(LIST_CONVOS, Canned(400, expired, {"Content-Type": "application/json"}))
    assert "stored 1" in sync(capsys)
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.OK and bluesky.network.hits(SESSION) == 2


def test_a_chat_reply_goes_into_its_conversation(organisation, bluesky):
    channel = add_channel(bluesky, None, *MESSAGES)
    message = bluesky.message("resident.bsky.social", 1)
    convo = next(iter(bluesky.convos))
    credentials = {"app_password": bluesky.password}
    sent = CONNECTORS["bluesky"].publish(
        channel=channel,
        credentials=credentials,
        text="We can help",
        idempotency_key="k",
        in_reply_to=f"chat/{convo}/{message}",
    )
    assert bluesky.sent == [
        {"convoId": convo, "message": {"$type": "chat.bsky.convo.defs#messageInput", "text": "We can help"}}
    ]
    assert sent.external_id == f"chat/{convo}/{bluesky.convos[convo]['messages'][-1]['id']}" and not bluesky.created
    with pytest.raises(PostGone, match="chat conversation no longer exists"):
        CONNECTORS["bluesky"].publish(
            channel=channel, credentials=credentials, text="Hi", idempotency_key="g", in_reply_to="chat/gone/msg1"
        )
    with pytest.raises(ReplyRefused, match="cannot attach images"):
        CONNECTORS["bluesky"].publish(
            channel=channel,
            credentials=credentials,
            text="Hi",
            idempotency_key="i",
            in_reply_to=f"chat/{convo}/{message}",
            media=[MediaItem(data=b"x", mime_type="image/png", alt_text="x")],
        )
