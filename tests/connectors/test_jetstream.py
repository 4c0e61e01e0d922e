"""Bluesky's Jetstream through a local WebSocket server on 127.0.0.1 serving recorded events: posts that match
a listening query are stored once, the cursor resumes after a disconnect, unreadable events are reported."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from websockets.sync.server import serve

from townsquare.channels.models import Channel
from townsquare.mentions.models import Mention
from townsquare.mentions.services import query_create
from townsquare.networks.bluesky.jetstream import REWIND_US, JetstreamConsumer
from townsquare.networks.bluesky.mapping import commit_to_record
from townsquare.posts.models import Post

BASE_US = 1_772_618_400_000_000  # 2026-03-04T10:00:00Z
RESIDENT = "did:plc:ewvi7nxzyoun6zhxrhs64oiz"


def post_event(n: int, text: str, *, did: str = RESIDENT, **record) -> dict:
    """A create of app.bsky.feed.post as Jetstream sends it; time_us grows with n (a second apart)."""
    return {
        "did": did,
        "time_us": BASE_US + n * 1_000_000,
        "kind": "commit",
        "commit": {
            "rev": f"3lbqrev{n:05d}",
            "operation": "create",
            "collection": "app.bsky.feed.post",
            "rkey": f"3lbqpost{n:05d}",
            "record": {
                "$type": "app.bsky.feed.post",
                "createdAt": f"2026-03-04T10:{n // 60:02d}:{n % 60:02d}.000Z",
                "langs": ["en"],
                "text": text,
                **record,
            },
            "cid": f"bafyreipost{n:05d}",
        },
    }


def other_events(n: int) -> list[dict]:
    """What else the stream carries at time n: a delete, an identity change, an account status."""
    at = BASE_US + n * 1_000_000
    return [
        {
            "did": RESIDENT,
            "time_us": at,
            "kind": "commit",
            "commit": {"rev": "3lbqdel", "operation": "delete", "collection": "app.bsky.feed.post", "rkey": "3lbqold"},
        },
        {
            "did": RESIDENT,
            "time_us": at,
            "kind": "identity",
            "identity": {"did": RESIDENT, "handle": "resident.bsky.social", "seq": 1, "time": "2026-03-04T10:00:00Z"},
        },
        {
            "did": RESIDENT,
            "time_us": at,
            "kind": "account",
            "account": {"active": True, "did": RESIDENT, "seq": 2, "time": "2026-03-04T10:00:00Z"},
        },
    ]


class Jetstream:
    """Serves `events` (JSON objects, or raw strings for broken ones) from the `cursor` asked for (time_us),
    then closes the connection; `cut` ends a connection after that many messages, as a dropped one does."""

    def __init__(self) -> None:
        self.events: list[dict | str] = []
        self.cursors: list[int | None] = []
        self.collections: list[list[str]] = []
        self.cut: int | None = None

    def handler(self, connection) -> None:
        query = parse_qs(urlsplit(connection.request.path).query)
        cursor = int(query["cursor"][0]) if "cursor" in query else None
        self.cursors.append(cursor)
        self.collections.append(query.get("wantedCollections", []))
        sent = 0
        for event in self.events:
            if isinstance(event, dict) and cursor is not None and event["time_us"] < cursor:
                continue
            if self.cut is not None and sent >= self.cut:
                self.cut = None
                return
            connection.send(event if isinstance(event, str) else json.dumps(event))
            sent += 1


@pytest.fixture
def jetstream() -> Iterator[tuple[Jetstream, str]]:
    stream = Jetstream()
    server = serve(stream.handler, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield stream, f"ws://127.0.0.1:{server.socket.getsockname()[1]}/subscribe"
    server.shutdown()


@pytest.fixture
def channel(organisation) -> Channel:
    call_command(
        "channel", "add", "--org", "northfield", "--network", "bluesky", "--handle", "northfieldcc.bsky.social",
        "--app-password", "abcd-efgh-ijkl-mnop", "--option", "listen=true",
    )  # fmt: skip
    return Channel.objects.get(network="bluesky")


def consume(channel: Channel, url: str, connections: int) -> tuple[JetstreamConsumer, list[str]]:
    reports: list[str] = []
    consumer = JetstreamConsumer(channel=channel, url=url, report=reports.append, flush_seconds=0.05, backoff=(0,))
    consumer.run(max_connections=connections)
    return consumer, reports


def stored() -> list[str]:
    return sorted(Post.objects.filter(network="bluesky").values_list("external_id", flat=True))


def uri(n: int) -> str:
    return f"at://{RESIDENT}/app.bsky.feed.post/3lbqpost{n:05d}"


def test_matching_posts_are_stored_once_with_the_cursor(organisation, channel, jetstream):
    stream, url = jetstream
    query = query_create(organisation=organisation, name="Floods", text="flood AND northfield")
    stream.events = [
        post_event(1, "Flood water on the Northfield ring road"),
        post_event(2, "Lovely day in Northfield"),
        *other_events(3),
        post_event(4, "northfield flood barrier is up", langs=["en-GB"]),
        post_event(5, "Northfield flood warning lifted"),
    ]
    consumer, reports = consume(channel, url, connections=1)
    assert stream.collections == [["app.bsky.feed.post"]] and stream.cursors == [None]
    assert stored() == [uri(1), uri(4), uri(5)]
    assert Mention.objects.filter(query=query).count() == 3
    assert Post.objects.filter(source="firehose").count() == 3
    post = Post.objects.get(external_id=uri(1))
    assert post.author.handle == RESIDENT and post.url == f"https://bsky.app/profile/{RESIDENT}/post/3lbqpost00001"
    channel.refresh_from_db()
    assert channel.search_cursor == {"jetstream": {"time_us": BASE_US + 5_000_000}}
    assert consumer.stats.events == 7 and consumer.stats.posts == 4 and consumer.stats.matched == 3
    assert reports == [] or all("connection ended" in line for line in reports)


def test_a_disconnect_resumes_a_little_before_the_cursor_without_gaps_or_duplicates(organisation, channel, jetstream):
    stream, url = jetstream
    query_create(organisation=organisation, name="Floods", text="flood AND northfield")
    stream.events = [post_event(n, f"northfield flood update {n}") for n in range(1, 11)]
    # The first connection drops after six events; the second resumes from the stored cursor.
    stream.cut = 6
    consumer, _ = consume(channel, url, connections=2)
    last_read = BASE_US + 6 * 1_000_000
    assert stream.cursors == [None, last_read - REWIND_US]
    # Events 1 to 6 (five seconds back from the sixth) came twice and were absorbed; every post is stored once.
    assert stored() == sorted(uri(n) for n in range(1, 11))
    assert consumer.stats.duplicates == 6 and consumer.stats.stored == 10
    # A restart (a new consumer) resumes from what was saved.
    stream.events.append(post_event(11, "northfield flood over"))
    consume(channel, url, connections=1)
    assert stream.cursors[-1] == BASE_US + 10 * 1_000_000 - REWIND_US
    assert uri(11) in stored() and len(stored()) == 11


def test_unreadable_events_are_reported_and_the_stream_goes_on(organisation, channel, jetstream):
    stream, url = jetstream
    query_create(organisation=organisation, name="Floods", text="flood AND northfield")
    broken = post_event(2, "northfield flood")
    del broken["commit"]["record"]
    stream.events = [
        post_event(1, "northfield flood one"),
        '{"did": "did:plc:x", "time_us": 17726',
        broken,
        post_event(3, "northfield flood three"),
    ]
    consumer, reports = consume(channel, url, connections=1)
    assert stored() == [uri(1), uri(3)]
    unreadable = [line for line in reports if "could not be read" in line]
    assert len(unreadable) == 2 and "no 'record'" in unreadable[1]
    assert consumer.stats.unreadable == 2


def test_the_command_needs_a_listening_bluesky_channel(organisation):
    call_command(
        "channel", "add", "--org", "northfield", "--network", "bluesky", "--handle", "northfieldcc.bsky.social",
        "--app-password", "abcd-efgh-ijkl-mnop",
    )  # fmt: skip
    with pytest.raises(CommandError, match="no Bluesky channel that listens"):
        call_command("jetstream", "--org", "northfield", "--connections", "1")


def test_the_command_runs_the_consumer(organisation, channel, jetstream, capsys):
    stream, url = jetstream
    query_create(organisation=organisation, name="Floods", text="flood AND northfield")
    stream.events = [post_event(1, "northfield flood")]
    call_command("jetstream", "--org", "northfield", "--url", url, "--connections", "1")
    assert "events 1, posts 1, matched 1, stored 1, duplicates 0, unreadable 0" in capsys.readouterr().out


def test_firehose_records_carry_images_and_quotes():
    record = post_event(
        1,
        "look",
        embed={
            "$type": "app.bsky.embed.recordWithMedia",
            "record": {"$type": "app.bsky.embed.record", "record": {"uri": uri(9), "cid": "bafyreiq"}},
            "media": {
                "$type": "app.bsky.embed.images",
                "images": [{"alt": "A flooded lane", "image": {"$type": "blob", "ref": {"$link": "bafkreiimg"},
                                                                "mimeType": "image/jpeg", "size": 9}}],
            },
        },
    )["commit"]["record"]  # fmt: skip
    mapped = commit_to_record(did=RESIDENT, rkey="r1", cid="c1", record=record, indexed_at="2026-03-04T10:00:01Z")
    assert mapped.quoted == uri(9)
    assert mapped.media == [
        {"type": "image", "url": f"https://cdn.bsky.app/img/feed_fullsize/plain/{RESIDENT}/bafkreiimg@jpeg",
         "alt": "A flooded lane"}
    ]  # fmt: skip
