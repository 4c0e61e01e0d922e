"""RSS and Atom feeds through the local stand-in: entries stored once, conditional GET, clear errors."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.connectors.conftest import Canned
from townsquare.channels.models import Channel, ChannelStatus
from townsquare.networks.rss import connector as rss_connector
from townsquare.posts.models import Post

RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel>
    <title>Northfield Gazette</title>
    <link>https://gazette.example/</link>
    <description>Local news</description>
    <item>
      <title>Council confirms new bin collection days</title>
      <link>https://gazette.example/news/bins</link>
      <guid isPermaLink="false">gazette-2026-0311</guid>
      <pubDate>Wed, 11 Mar 2026 08:30:00 GMT</pubDate>
      <dc:creator>Ayesha Patel</dc:creator>
      <category>Environment</category>
      <description>&lt;p&gt;From April, &lt;b&gt;Northfield&lt;/b&gt; moves to fortnightly collections.
        &lt;a href="https://northfield.example/bins"&gt;Details&lt;/a&gt;&lt;/p&gt;</description>
    </item>
    <item>
      <title>Library reopens after flood repairs</title>
      <link>https://gazette.example/news/library</link>
      <guid isPermaLink="false">gazette-2026-0310</guid>
      <pubDate>Tue, 10 Mar 2026 17:00:00 GMT</pubDate>
      <description>The central library reopens on Monday.</description>
    </item>
  </channel>
</rss>
"""


def atom(*entries: tuple[str, str, str]) -> bytes:
    body = "".join(
        f"""<entry><id>{entry_id}</id><title>{title}</title>
        <link href="https://blog.example/{entry_id.rsplit(":", 1)[-1]}"/>
        <published>2026-03-0{index + 1}T12:00:00Z</published><updated>{updated}</updated>
        <author><name>Health Board</name></author>
        <summary type="html">&lt;p&gt;{title}, in detail.&lt;/p&gt;</summary></entry>"""
        for index, (entry_id, title, updated) in enumerate(entries)
    )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Health Board blog</title><id>urn:hb:blog</id>
<updated>2026-03-09T12:00:00Z</updated>{body}</feed>""".encode()


def add_feed(fake_network, path: str = "/news.rss", handle: str = "gazette") -> Channel:
    call_command(
        "channel", "add", "--org", "northfield", "--network", "rss", "--handle", handle,
        "--option", f"url={fake_network.url}{path}",
    )  # fmt: skip
    return Channel.objects.get(network="rss", handle=handle)


def sync(capsys) -> str:
    call_command("sync", "--org", "northfield")
    return capsys.readouterr().out


def test_rss_items_are_stored_once_and_an_unchanged_feed_is_not_read_again(organisation, fake_network, capsys):
    fake_network.feeds["/news.rss"] = (RSS, '"v1"')
    channel = add_feed(fake_network)
    assert "fetched 2, stored 2, duplicates 0" in sync(capsys)
    post = Post.objects.get(network="rss", external_id="gazette-2026-0311")
    assert post.title == "Council confirms new bin collection days"
    assert post.text == "From April, Northfield moves to fortnightly collections.\n        Details"
    assert post.url == "https://gazette.example/news/bins" and post.links == ["https://northfield.example/bins"]
    assert post.author.handle == "Ayesha Patel" and post.hashtags == ["environment"]
    assert post.created_at.isoformat() == "2026-03-11T08:30:00+00:00"
    assert Post.objects.get(external_id="gazette-2026-0310").author.handle == "Northfield Gazette"
    channel.refresh_from_db()
    assert channel.sync_cursor["etag"] == '"v1"'
    assert "fetched 0, stored 0" in sync(capsys)
    last_method, _, headers = fake_network.requests[-1]
    assert headers.get("If-None-Match") == '"v1"'
    assert Post.objects.filter(network="rss").count() == 2


def test_atom_entries_seen_before_are_not_offered_again(organisation, fake_network, capsys):
    first = ("tag:blog.example,2026:clinic-hours", "New clinic hours", "2026-03-01T12:00:00Z")
    second = ("tag:blog.example,2026:flu-jabs", "Flu jabs at the market", "2026-03-02T12:00:00Z")
    fake_network.feeds["/blog.atom"] = (atom(first), "")
    add_feed(fake_network, "/blog.atom", handle="healthblog")
    assert "stored 1" in sync(capsys)
    # The first entry was edited (newer <updated>) and a second one published; no ETag, so it is read again.
    edited = (first[0], "New clinic hours (corrected)", "2026-03-05T12:00:00Z")
    fake_network.feeds["/blog.atom"] = (atom(edited, second), "")
    assert "fetched 1, stored 1, duplicates 0" in sync(capsys)
    post = Post.objects.get(external_id=second[0])
    assert post.text == "Flu jabs at the market, in detail." and post.url == "https://blog.example/flu-jabs"
    assert Post.objects.filter(network="rss").count() == 2


FAILURES = {
    "missing feed": (Canned(404, b"not here"), "answered HTTP 404"),
    "rate limited": (Canned(429, b"", {"Retry-After": "120"}), "HTTP 429); trying again in 120 seconds"),
    "server error": (Canned(502, b"bad gateway"), "had a problem of its own (HTTP 502)"),
    "not a feed": (Canned(200, b"<html><body>Sign in to continue"), "is not RSS or Atom"),
    "timeout": (Canned(200, RSS, delay=1.5), "did not answer in 0.5 seconds"),
}


@pytest.mark.parametrize("case", list(FAILURES))
def test_feed_failures_are_recorded_and_the_next_run_catches_up(case, organisation, fake_network, capsys, monkeypatch):
    answer, words = FAILURES[case]
    monkeypatch.setattr(rss_connector, "TIMEOUT_SECONDS", 0.5)
    fake_network.feeds["/news.rss"] = (RSS, '"v1"')
    channel = add_feed(fake_network)
    fake_network.fail_next("/news.rss", answer)
    with pytest.raises(CommandError):
        sync(capsys)
    channel.refresh_from_db()
    assert words in channel.last_error and channel.status == ChannelStatus.ERROR
    assert channel.sync_cursor == {} and not Post.objects.filter(network="rss").exists()
    assert "stored 2" in sync(capsys)


def test_rss_channel_needs_a_url(organisation):
    with pytest.raises(CommandError, match="--option url=FEED_URL"):
        call_command("channel", "add", "--org", "northfield", "--network", "rss", "--handle", "gazette")
