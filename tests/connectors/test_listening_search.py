"""Listening by public search: the terms come from the organisation's queries, what matches a query is stored
once through the ingest pipeline, and each term's cursor resumes without gaps after a failure."""

from __future__ import annotations

import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.connectors.bluesky_fake import SEARCH_POSTS, FakeBluesky
from tests.connectors.conftest import Canned, mastodon_status
from townsquare.channels.models import Channel, ChannelStatus
from townsquare.listening import parse
from townsquare.mentions.models import Mention
from townsquare.mentions.services import query_create, query_set_paused
from townsquare.networks.bluesky import connector as bluesky_connector
from townsquare.networks.mastodon import connector as mastodon_connector
from townsquare.networks.searchterms import TERM_KINDS, SearchTerm, search_plan, terms_for
from townsquare.networks.sync import channel_sync
from townsquare.posts.models import Post

ALL = frozenset(TERM_KINDS)


@pytest.mark.parametrize(
    "query, kinds, expected",
    [
        # An AND is searched by its rarest searchable part: a long word beats a short one.
        ("flood AND northfield", ALL, {"word:northfield"}),
        # Every branch of an OR, a phrase as a phrase.
        ('"elm street" OR binday', ALL, {"phrase:elm street", "word:binday"}),
        ("#BinDay OR @northfieldcc", ALL, {"hashtag:binday", "mention:northfieldcc"}),
        ("site:northfield.gov.uk", ALL, {"domain:northfield.gov.uk"}),
        ("{BT} NEAR/3 outage", ALL, {"word:outage"}),
        ("flood -test", ALL, {"word:flood"}),
        # A network without mention search serves the AND by its other part, but not the OR.
        ("@northfieldcc AND bins", frozenset({"word"}), {"word:bins"}),
        ("@northfieldcc OR bins", frozenset({"word"}), None),
        # Nothing to search: a wildcard alone, a language, a follower count.
        ("floo* AND lang:en", ALL, None),
        ("followers:>1000", ALL, None),
    ],
)
def test_search_terms_are_the_queries_anchors(query, kinds, expected):
    found = terms_for(parse(query), kinds)
    assert (None if found is None else {term.key for term in found[1]}) == expected


def test_a_plan_searches_each_term_once_and_names_the_queries_it_cannot_serve():
    plan = search_plan({1: ("Floods", "flood AND northfield"), 2: ("Fair", "northfield fair"), 3: ("Any", "xy*")}, ALL)
    assert plan.terms == (SearchTerm("word", "northfield"),)
    assert plan.unsearchable == {3: "Any"}
    assert SearchTerm("phrase", "elm street").label == '"elm street"'


# --- Bluesky: app.bsky.feed.searchPosts ---


@pytest.fixture
def bluesky(fake_network, monkeypatch) -> FakeBluesky:
    monkeypatch.setattr(bluesky_connector, "_SESSIONS", {})
    monkeypatch.setattr(bluesky_connector, "SEARCH_PAGE_SIZE", 3)
    return FakeBluesky(fake_network)


def add_bluesky(bluesky: FakeBluesky, *, listen: bool = True) -> Channel:
    call_command(
        "channel", "add", "--org", "northfield", "--network", "bluesky", "--handle", bluesky.handle,
        "--service", bluesky.url + "/", "--app-password", bluesky.password,
        *(["--option", "listen=true"] if listen else []),
    )  # fmt: skip
    return Channel.objects.get(network="bluesky")


def sync(capsys) -> str:
    call_command("sync", "--org", "northfield")
    return capsys.readouterr().out


def stored(network: str = "bluesky") -> list[str]:
    return sorted(Post.objects.filter(network=network).values_list("external_id", flat=True))


def floods(bluesky: FakeBluesky, first: int, count: int) -> list[str]:
    """`count` posts that match "flood AND northfield", each with a post beside it that only says northfield."""
    uris = []
    for n in range(first, first + count):
        post = bluesky.publish_public("resident.bsky.social", f"f{n:04d}", f"northfield flood report {n}", second=2 * n)
        bluesky.publish_public("fan.bsky.social", f"x{n:04d}", f"northfield fair {n}", second=2 * n + 1)
        uris.append(post["uri"])
    return uris


def test_found_posts_that_match_a_query_are_stored_once_and_become_mentions(organisation, bluesky, capsys):
    query = query_create(organisation=organisation, name="Floods", text="flood AND northfield")
    channel = add_bluesky(bluesky)
    first = floods(bluesky, 0, 1)
    out = sync(capsys)
    # The search asked for the anchor word only; the post that says only "northfield" was not kept.
    assert [search["q"] for search in bluesky.searches] == [["northfield"]]
    assert "stored 1, duplicates 0; searched northfield 2: 1 matched a query" in out
    assert stored() == first
    assert Mention.objects.filter(query=query).count() == 1
    assert Post.objects.filter(source="listening").count() == 1
    # The cursor holds the newest hit's indexedAt.
    channel.refresh_from_db()
    assert channel.search_cursor == {"word:northfield": {"newest": "2026-03-04T10:00:01.000000Z"}}
    assert channel.last_sync_summary["searched"] == {"northfield": 2}
    # Eight more matching posts: sixteen new hits, six pages of three back to the stored newest. A run reads
    # at most five pages of a term; the next run continues the walk where it stopped.
    later = floods(bluesky, 1, 8)
    assert "stored 7, duplicates 0; searched northfield 15" in sync(capsys)
    channel.refresh_from_db()
    assert channel.search_cursor["word:northfield"]["walk"] == "15"
    # (The oldest hit on the last page is older than the stored newest: not counted, not stored again.)
    assert "stored 1, duplicates 0; searched northfield 2" in sync(capsys)
    assert stored() == sorted(first + later)
    assert Mention.objects.filter(query=query).count() == 9
    channel.refresh_from_db()
    assert channel.search_cursor == {"word:northfield": {"newest": "2026-03-04T10:00:17.000000Z"}}
    # Nothing new: one page, of which only the newest hit is not older than the cursor (it matched nothing).
    assert "stored 0, duplicates 0; searched northfield 1: 0 matched" in sync(capsys)


def test_a_rate_limit_in_the_middle_of_a_walk_is_resumed_without_gaps(organisation, bluesky, capsys):
    query_create(organisation=organisation, name="Floods", text="flood AND northfield")
    channel = add_bluesky(bluesky)
    first = floods(bluesky, 0, 1)
    sync(capsys)
    later = floods(bluesky, 1, 6)
    reset = int(time.time()) + 120
    headers = {"Content-Type": "application/json", "ratelimit-remaining": "0", "ratelimit-reset": str(reset)}
    answers = [Canned(429, b'{"error":"RateLimitExceeded","message":"Rate Limit Exceeded"}', headers)]
    # The first page of the walk is served, then the second is refused.
    original = bluesky.network.routes[("GET", SEARCH_POSTS)]

    def refuse_second(query, body, headers_in):
        if "cursor" in query and answers:
            answer = answers.pop()
            return answer.status, {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}, answer.headers
        return original(query, body, headers_in)

    bluesky.network.routes[("GET", SEARCH_POSTS)] = refuse_second
    with pytest.raises(CommandError, match="1 channel"):
        sync(capsys)
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.ERROR and "limiting requests (HTTP 429)" in channel.last_error
    assert channel.next_sync_at.timestamp() == pytest.approx(reset, abs=2)
    walk = channel.search_cursor["word:northfield"]
    assert walk["newest"] == "2026-03-04T10:00:01.000000Z" and walk["walk"] == "3"
    assert "stored" in sync(capsys)
    assert stored() == sorted(first + later)


def test_malformed_json_from_search_is_an_error_and_nothing_is_lost(organisation, bluesky, capsys):
    query_create(organisation=organisation, name="Floods", text="flood AND northfield")
    channel = add_bluesky(bluesky)
    first = floods(bluesky, 0, 1)
    sync(capsys)
    later = floods(bluesky, 1, 2)
    bluesky.network.fail_next(SEARCH_POSTS, Canned(200, b'{"posts": [{"uri": ', {"Content-Type": "application/json"}))
    with pytest.raises(CommandError):
        sync(capsys)
    channel.refresh_from_db()
    assert "not valid JSON" in channel.last_error
    assert channel.search_cursor == {"word:northfield": {"newest": "2026-03-04T10:00:01.000000Z"}}
    sync(capsys)
    assert stored() == sorted(first + later)


def test_queries_that_cannot_be_searched_are_named_and_paused_ones_not_searched(organisation, bluesky, capsys):
    query_create(organisation=organisation, name="Welsh posts", text="lang:cy")
    paused = query_create(organisation=organisation, name="Fair", text="fair AND northfield")
    query_set_paused(query=paused, paused=True)
    channel = add_bluesky(bluesky)
    out = sync(capsys)
    assert "searched nothing: 0 matched a query; cannot search for: Welsh posts" in out
    assert bluesky.searches == []
    channel.refresh_from_db()
    assert channel.last_sync_summary["unsearchable"] == ["Welsh posts"]


def test_a_term_no_query_needs_any_more_loses_its_cursor(organisation, bluesky, capsys):
    query = query_create(organisation=organisation, name="Floods", text="flood AND northfield")
    channel = add_bluesky(bluesky)
    floods(bluesky, 0, 1)
    sync(capsys)
    query_set_paused(query=query, paused=True)
    query_create(organisation=organisation, name="Bins", text="#binday")
    sync(capsys)
    channel.refresh_from_db()
    assert list(channel.search_cursor) == ["hashtag:binday"]
    assert bluesky.searches[-1]["q"] == ["#binday"]


def test_a_channel_that_does_not_listen_never_searches(organisation, bluesky, capsys):
    query_create(organisation=organisation, name="Floods", text="flood AND northfield")
    channel = add_bluesky(bluesky, listen=False)
    floods(bluesky, 0, 1)
    report = channel_sync(channel=channel)
    assert not report.error and bluesky.searches == [] and stored() == []


# --- Mastodon: /api/v2/search and hashtag timelines ---

SEARCH = "/api/v2/search"
TAG = "/api/v1/timelines/tag/binday"


class MastodonSearch:
    """Statuses that search and the #binday timeline can find, newest first, paged back with max_id."""

    def __init__(self, fake_network) -> None:
        self.statuses: list[dict] = []
        self.asked: list[dict] = []
        fake_network.routes[("GET", SEARCH)] = self._search
        fake_network.routes[("GET", TAG)] = self._tag

    def add(self, status_id: int, text: str) -> str:
        self.statuses.append(mastodon_status(str(status_id), text=text, tags=[]))
        return str(status_id)

    def _page(self, query, wanted) -> list[dict]:
        self.asked.append(query)
        found = sorted((s for s in self.statuses if wanted(s)), key=lambda s: int(s["id"]), reverse=True)
        if "max_id" in query:
            found = [s for s in found if int(s["id"]) < int(query["max_id"][-1])]
        return found[: int(query.get("limit", ["20"])[-1])]

    def _search(self, query, body, headers):
        words = query["q"][-1].strip('"').lower()
        statuses = self._page(query, lambda s: words in s["content"].lower())
        return 200, {"accounts": [], "statuses": statuses, "hashtags": []}

    def _tag(self, query, body, headers):
        return 200, self._page(query, lambda s: "#binday" in s["content"].lower())


def add_mastodon(fake_network) -> Channel:
    call_command(
        "channel", "add", "--org", "northfield", "--network", "mastodon", "--handle", "northfieldcc",
        "--instance", fake_network.url + "/", "--token", "token-1234", "--option", "listen=true",
    )  # fmt: skip
    return Channel.objects.get(network="mastodon")


def test_mastodon_searches_phrases_and_reads_hashtag_timelines(organisation, fake_network, capsys, monkeypatch):
    monkeypatch.setattr(mastodon_connector, "PAGE_SIZE", 2)
    search = MastodonSearch(fake_network)
    query_create(organisation=organisation, name="Elm", text='"elm street" AND bins')
    query_create(organisation=organisation, name="Bin day", text="#binday")
    query_create(organisation=organisation, name="Welsh", text="lang:cy")
    channel = add_mastodon(fake_network)
    first = [search.add(6000, "bins on elm street again"), search.add(6001, "#BinDay moved to Friday")]
    out = sync(capsys)
    assert 'searched #binday 1, "elm street" 1: 2 matched a query; cannot search for: Welsh' in out
    assert stored("mastodon") == sorted(first)
    asked = {query.get("q", ["#binday"])[-1] for query in search.asked}
    assert asked == {'"elm street"', "#binday"}
    # No remote look-ups (WebFinger) for a search of words.
    assert all(q.get("resolve", ["false"]) in (["false"], ["0"]) for q in search.asked)
    later = [search.add(6002 + n, f"#binday note {n}") for n in range(5)]
    search.add(6010, "elm street party, no rubbish talk")
    sync(capsys)
    assert stored("mastodon") == sorted(first + later)
    channel.refresh_from_db()
    assert channel.search_cursor["hashtag:binday"] == {"newest": "6006"}


def test_mastodon_search_429_waits_for_retry_after_and_resumes(organisation, fake_network, capsys):
    search = MastodonSearch(fake_network)
    query_create(organisation=organisation, name="Elm", text='"elm street"')
    channel = add_mastodon(fake_network)
    first = [search.add(6000, "elm street closed")]
    sync(capsys)
    later = [search.add(6001, "elm street open")]
    fake_network.fail_next(SEARCH, Canned(429, b'{"error":"Too many requests"}', {"Retry-After": "90"}))
    report = channel_sync(channel=channel)
    assert report.retry_after == 90 and "limiting requests (HTTP 429)" in report.error
    channel.refresh_from_db()
    assert channel.search_cursor == {"phrase:elm street": {"newest": "6000"}}
    assert not channel_sync(channel=channel).error
    assert stored("mastodon") == sorted(first + later)
