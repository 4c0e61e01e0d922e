"""X (API v2) through Tweepy pointed at the local stand-in: mentions in, posts, replies, likes, reposts and
metrics out, every failure recorded and nothing lost. Payloads follow the shapes X documents for each endpoint."""

from __future__ import annotations

import base64
import dataclasses
import json
import time
from urllib.parse import parse_qs

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.connectors.conftest import Canned
from townsquare.channels.models import Channel, ChannelStatus
from townsquare.channels.services import channel_credentials, channel_set_credentials
from townsquare.inbox.models import Conversation
from townsquare.mentions.models import Mention
from townsquare.mentions.services import query_create
from townsquare.networks import oauth2
from townsquare.networks.base import ConnectorError, MediaItem, PostGone, ReplyRefused
from townsquare.networks.connectors import CONNECTORS
from townsquare.networks.sync import channel_sync
from townsquare.networks.twitter import connector as twitter_connector
from townsquare.posts.models import Post

USER_ID = "1600000000000000001"
MENTIONS = f"/2/users/{USER_ID}/mentions"
TOKEN_ENDPOINT = "/2/oauth2/token"
SEARCH = "/2/tweets/search/recent"
DM_EVENTS = "/2/dm_events"
TOKEN = "dGVzdC1vYXV0aDItdXNlci10b2tlbg"
REFRESH = "cmVmcmVzaC10b2tlbi0w"
FIRST = 1900000000000000000
JSON = {"Content-Type": "application/json; charset=utf-8"}


def user(username: str = "resident_jo", user_id: str = "44196397") -> dict:
    return {
        "id": user_id,
        "name": "Jo Parker",
        "username": username,
        "verified": False,
        "location": "Northfield",
        "public_metrics": {"followers_count": 212, "following_count": 90, "tweet_count": 1500, "listed_count": 2},
    }


def tweet(number: int, text: str = "", **extra) -> dict:
    tweet_id = str(FIRST + number)
    return {
        "id": tweet_id,
        "text": text or f"@northfieldcc bins missed on Mill Lane again {number}",
        "author_id": "44196397",
        "conversation_id": tweet_id,
        "created_at": f"2026-03-02T{number // 3600:02d}:{number // 60 % 60:02d}:{number % 60:02d}.000Z",
        "edit_history_tweet_ids": [tweet_id],
        "lang": "en",
        "entities": {"mentions": [{"start": 0, "end": 13, "username": "northfieldcc", "id": USER_ID}]},
        "public_metrics": {
            "retweet_count": 1,
            "reply_count": 0,
            "like_count": 4,
            "quote_count": 0,
            "bookmark_count": 0,
            "impression_count": 57,
        },
        **extra,
    }


def problem(status: int, title: str, detail: str, kind: str = "about:blank") -> bytes:
    return json.dumps({"title": title, "detail": detail, "type": kind, "status": status}).encode()


class FakeX:
    """The endpoints the connector calls, answering as X does (newest first, next_token to page back)."""

    def __init__(self, network) -> None:
        self.network = network
        self.tweets: list[dict] = []
        self.users = {"44196397": user()}
        self.media = {}
        self.gone: set[str] = set()
        self.created: list[dict] = []
        self.uploads: list[dict] = []
        self.metadata: list[dict] = []
        self.likes: list[str] = []
        self.retweets: list[str] = []
        # OAuth 2.0: the access tokens X accepts now, the refresh tokens not yet used, each renewal asked for.
        self.access_tokens = {TOKEN}
        self.refresh_tokens = {REFRESH}
        self.renewals: list[dict] = []
        # Public posts recent search finds, and each search asked for.
        self.public: list[dict] = []
        self.searches: list[dict] = []
        # Recent search covers seven days: X refuses a since_id older than that.
        self.search_reaches_back_to = 0
        # Direct message events of every conversation, the messages sent through the API, and the people who
        # do not accept direct messages from the account.
        self.dm_events: list[dict] = []
        self.sent: list[dict] = []
        self.closed_to_messages: set[str] = set()
        network.routes.update(
            {
                ("GET", DM_EVENTS): self._dm_events,
                ("GET", "/2/users"): self._users,
                ("GET", SEARCH): self._search,
                ("POST", TOKEN_ENDPOINT): self._token,
                ("GET", MENTIONS): self._mentions,
                ("GET", "/2/users/me"): self._me,
                ("GET", "/2/tweets"): self._lookup,
                ("POST", "/2/tweets"): self._create,
                ("POST", "/2/media/upload"): self._upload,
                ("POST", "/2/media/metadata"): self._metadata,
                ("POST", f"/2/users/{USER_ID}/likes"): self._like,
                ("POST", f"/2/users/{USER_ID}/retweets"): self._retweet,
            }
        )

    def add(self, first: int, count: int) -> list[str]:
        made = [tweet(n) for n in range(first, first + count)]
        self.tweets += made
        return [item["id"] for item in made]

    def _authorised(self, headers) -> bool:
        auth = headers.get("Authorization") or ""
        return auth.removeprefix("Bearer ") in self.access_tokens or auth.startswith("OAuth ")

    def expire(self) -> None:
        """Two hours have passed: every access token given so far has expired."""
        self.access_tokens.clear()

    def _token(self, query, body, headers) -> tuple[int, dict]:
        """POST /2/oauth2/token, grant_type=refresh_token: a new access token and a new refresh token; the old
        refresh token stops working (X rotates them)."""
        form = {key: values[-1] for key, values in parse_qs(body.decode()).items()}
        self.renewals.append({"form": form, "authorization": headers.get("Authorization")})
        if form.get("grant_type") != "refresh_token" or form.get("refresh_token") not in self.refresh_tokens:
            return 400, {"error": "invalid_request", "error_description": "Value passed for the token was invalid."}
        self.refresh_tokens.remove(form["refresh_token"])
        access, refresh = f"access-{len(self.renewals)}", f"refresh-{len(self.renewals)}"
        self.access_tokens.add(access)
        self.refresh_tokens.add(refresh)
        scope = "tweet.read users.read tweet.write like.write offline.access"
        return 200, {"token_type": "bearer", "expires_in": 7200, "access_token": access, "scope": scope,
                     "refresh_token": refresh}  # fmt: skip

    def _unauthorised(self) -> tuple[int, dict]:
        return 401, {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}

    def _mentions(self, query, body, headers) -> tuple[int, dict]:
        if not self._authorised(headers):
            return self._unauthorised()
        return 200, self._newest_first(self.tweets, query, "pagination_token")

    def _search(self, query, body, headers) -> tuple[int, dict]:
        """Recent search for one term: a word or "phrase" in the text, #tag, @mention, from:user, url:"domain";
        reposts left out (-is:retweet)."""
        if not self._authorised(headers):
            return self._unauthorised()
        asked = query["query"][0]
        self.searches.append({name: values[0] for name, values in query.items()})
        since = query.get("since_id", [""])[0]
        if since and int(since) < self.search_reaches_back_to:
            return 400, {
                "errors": [
                    {
                        "parameters": {"since_id": [since]},
                        "message": f"Invalid 'since_id':'{since}'. 'since_id' must be a tweet id created after "
                        "2026-02-24T10:00Z.",
                    }
                ],
                "title": "Invalid Request",
                "detail": "One or more parameters to your request was invalid.",
                "type": "https://api.twitter.com/2/problems/invalid-request",
            }
        term, exclusion = asked.rsplit(" ", 1)
        assert exclusion == "-is:retweet"
        reachable = [item for item in self.public if int(item["id"]) >= self.search_reaches_back_to]
        if term.startswith("from:"):
            found = [item for item in reachable if self.users[item["author_id"]]["username"] == term[5:]]
        else:
            needle = term.removeprefix("url:").strip('"').lower()
            found = [item for item in reachable if needle in item["text"].lower()]
        return 200, self._newest_first(found, query, "next_token")

    def _newest_first(self, tweets: list[dict], query, token_name: str) -> dict:
        """One page of a list X serves newest first: since_id, max_results and a next_token to page back."""
        assert "author_id" in query["expansions"][0] and "edit_history_tweet_ids" in query["tweet.fields"][0]
        items = sorted(tweets, key=lambda item: int(item["id"]), reverse=True)
        if "since_id" in query:
            items = [item for item in items if int(item["id"]) > int(query["since_id"][0])]
        if token_name in query:
            # X's tokens are opaque; this one names where the page before ended, so it stays put while new
            # posts arrive, as X's do.
            items = [item for item in items if int(item["id"]) < int(query[token_name][0], 16)]
        size = int(query["max_results"][0])
        page = items[:size]
        if not page:
            return {"meta": {"result_count": 0}}
        meta = {"result_count": len(page), "newest_id": page[0]["id"], "oldest_id": page[-1]["id"]}
        if len(items) > size:
            meta["next_token"] = format(int(page[-1]["id"]), "x")
        authors = {item["author_id"] for item in page}
        keys = {key for item in page for key in (item.get("attachments") or {}).get("media_keys", [])}
        includes = {"users": [self.users[a] for a in authors if a in self.users]}
        if keys:
            includes["media"] = [self.media[key] for key in keys]
        return {"data": page, "includes": includes, "meta": meta}

    def message(self, number: int, text: str, *, person: str = "44196397", sender: str = "") -> dict:
        """A message in the account's one-to-one conversation with `person`, from them unless `sender` says."""
        conversation = f"{person}-{USER_ID}"
        event = {
            "id": str(FIRST + 900000 + number),
            "event_type": "MessageCreate",
            "text": text,
            "sender_id": sender or person,
            "dm_conversation_id": conversation,
            "created_at": f"2026-03-03T10:{number // 60 % 60:02d}:{number % 60:02d}.000Z",
        }
        self.dm_events.append(event)
        self.network.routes[("POST", f"/2/dm_conversations/{conversation}/messages")] = lambda query, body, headers: (
            self._send_message(conversation, person, body, headers)
        )
        return event

    def _dm_events(self, query, body, headers) -> tuple[int, dict]:
        """GET /2/dm_events: every conversation's events newest first, paged back with pagination_token."""
        if not self._authorised(headers):
            return self._unauthorised()
        assert query["event_types"] == ["MessageCreate"] and query["expansions"][0].startswith("sender_id")
        assert {"dm_conversation_id", "sender_id", "created_at"} <= set(query["dm_event.fields"][0].split(","))
        items = sorted(self.dm_events, key=lambda item: int(item["id"]), reverse=True)
        if "pagination_token" in query:
            items = [item for item in items if int(item["id"]) < int(query["pagination_token"][0], 16)]
        size = int(query["max_results"][0])
        page = items[:size]
        if not page:
            return 200, {"meta": {"result_count": 0}}
        meta = {"result_count": len(page)}
        if len(items) > size:
            meta["next_token"] = format(int(page[-1]["id"]), "x")
        senders = {item["sender_id"] for item in page}
        includes = {"users": [self.users[s] for s in senders if s in self.users]}
        return 200, {"data": page, "includes": includes, "meta": meta}

    def _users(self, query, body, headers) -> tuple[int, dict]:
        ids = query["ids"][0].split(",")
        data = [self.users[i] for i in ids if i in self.users]
        errors = [
            {"value": i, "detail": f"Could not find user with ids: [{i}].", "title": "Not Found Error",
             "resource_type": "user", "parameter": "ids", "resource_id": i,
             "type": "https://api.twitter.com/2/problems/resource-not-found"}
            for i in ids if i not in self.users
        ]  # fmt: skip
        return 200, {**({"data": data} if data else {}), **({"errors": errors} if errors else {})}

    def _send_message(self, conversation: str, person: str, body: bytes, headers) -> tuple[int, dict]:
        if not self._authorised(headers):
            return self._unauthorised()
        if person in self.closed_to_messages:
            detail = "You are not permitted to send Direct Messages to this user."
            return 403, {"detail": detail, "type": "about:blank", "title": "Forbidden", "status": 403}
        form = json.loads(body)
        self.sent.append({"conversation": conversation, **form})
        event = self.message(500 + len(self.sent), form["text"], person=person, sender=USER_ID)
        return 201, {"data": {"dm_conversation_id": conversation, "dm_event_id": event["id"]}}

    def _me(self, query, body, headers) -> tuple[int, dict]:
        if not self._authorised(headers):
            return self._unauthorised()
        me = {"id": USER_ID, "name": "Northfield Council", "username": "northfieldcc"}
        if "user.fields" in query:
            me["public_metrics"] = {"followers_count": 8120, "following_count": 300, "tweet_count": 9000}
        return 200, {"data": me}

    def _lookup(self, query, body, headers) -> tuple[int, dict]:
        ids = query["ids"][0].split(",")
        known = {item["id"]: item for item in self.tweets + self.created}
        data = [
            {
                "id": i,
                "text": known[i]["text"],
                "edit_history_tweet_ids": [i],
                "public_metrics": known[i].get("public_metrics")
                or {"retweet_count": 0, "reply_count": 0, "like_count": 0, "quote_count": 0, "impression_count": 0},
            }
            for i in ids
            if i in known and i not in self.gone
        ]
        errors = [
            {
                "value": i,
                "detail": f"Could not find tweet with ids: [{i}].",
                "title": "Not Found Error",
                "resource_type": "tweet",
                "parameter": "ids",
                "resource_id": i,
                "type": "https://api.twitter.com/2/problems/resource-not-found",
            }
            for i in ids
            if i not in known or i in self.gone
        ]
        return 200, {**({"data": data} if data else {}), **({"errors": errors} if errors else {})}

    def _deleted_reply(self) -> tuple[int, dict]:
        detail = "You attempted to reply to a Tweet that is deleted or not visible to you."
        return 403, {"detail": detail, "type": "about:blank", "title": "Forbidden", "status": 403}

    def _create(self, query, body, headers) -> tuple[int, dict]:
        if not self._authorised(headers):
            return self._unauthorised()
        form = json.loads(body)
        parent = (form.get("reply") or {}).get("in_reply_to_tweet_id")
        if parent and parent in self.gone:
            return self._deleted_reply()
        if any(item["text"] == form["text"] for item in self.created):
            detail = "You are not allowed to create a Tweet with duplicate content."
            return 403, {"detail": detail, "type": "about:blank", "title": "Forbidden", "status": 403}
        tweet_id = str(FIRST + 800000 + len(self.created))
        self.created.append({"id": tweet_id, **form})
        return 201, {"data": {"id": tweet_id, "text": form["text"], "edit_history_tweet_ids": [tweet_id]}}

    def _upload(self, query, body, headers) -> tuple[int, dict]:
        form = json.loads(body)
        self.uploads.append(form)
        media_id = str(1700000000000000000 + len(self.uploads))
        return 200, {
            "data": {
                "id": media_id,
                "media_key": f"3_{media_id}",
                "size": len(form["media"]),
                "expires_after_secs": 86400,
                "image": {"image_type": "image/png", "w": 1, "h": 1},
            }
        }

    def _metadata(self, query, body, headers) -> tuple[int, dict]:
        form = json.loads(body)
        self.metadata.append(form)
        return 200, {"data": {"id": form["id"], "associated_metadata": True}}

    def _like(self, query, body, headers) -> tuple[int, dict]:
        target = json.loads(body)["tweet_id"]
        if target in self.gone:
            return 200, {
                "errors": [
                    {
                        "resource_type": "tweet",
                        "title": "Not Found Error",
                        "resource_id": target,
                        "detail": f"Could not find tweet with id: [{target}].",
                        "type": "https://api.twitter.com/2/problems/resource-not-found",
                    }
                ]
            }
        self.likes.append(target)
        return 200, {"data": {"liked": True}}

    def _retweet(self, query, body, headers) -> tuple[int, dict]:
        target = json.loads(body)["tweet_id"]
        if target in self.gone:
            return 404, {"title": "Not Found Error", "detail": "Could not find tweet.", "type": "about:blank"}
        self.retweets.append(target)
        return 200, {"data": {"id": str(FIRST + 700000 + len(self.retweets)), "retweeted": True}}


@pytest.fixture
def x(fake_network, monkeypatch, settings) -> FakeX:
    monkeypatch.setattr(twitter_connector, "API_URL", fake_network.url)
    monkeypatch.setattr(twitter_connector, "TIMEOUT_SECONDS", 0.5)
    # The deployment's X app, the one signing in uses, renews tokens at the stand-in's token endpoint.
    provider = dataclasses.replace(oauth2.PROVIDERS["twitter"], token_url=fake_network.url + TOKEN_ENDPOINT)
    monkeypatch.setitem(oauth2.PROVIDERS, "twitter", provider)
    settings.TOWNSQUARE_OAUTH_X_CLIENT_ID, settings.TOWNSQUARE_OAUTH_X_CLIENT_SECRET = "cid-x", "secret-x"
    return FakeX(fake_network)


def add_channel(*extra: str) -> Channel:
    call_command(
        "channel",
        "add",
        "--org",
        "northfield",
        "--network",
        "twitter",
        "--handle",
        "northfieldcc",
        *(extra or ("--token", TOKEN)),
    )
    return Channel.objects.get(network="twitter")


def sync(capsys) -> str:
    call_command("sync", "--org", "northfield")
    return capsys.readouterr().out


def stored() -> list[str]:
    return sorted(Post.objects.filter(network="twitter").values_list("external_id", flat=True))


def test_add_takes_a_token_or_complete_oauth1_credentials(organisation):
    with pytest.raises(CommandError, match="twitter needs --token"):
        call_command(
            "channel",
            "add",
            "--org",
            "northfield",
            "--network",
            "twitter",
            "--handle",
            "x",
            "--credential",
            "access_token=a",
            "--credential",
            "access_token_secret=b",
        )
    # Without credentials the channel only receives imports (e.g. of an X archive), as before.
    call_command("channel", "add", "--org", "northfield", "--network", "twitter", "--handle", "imported")
    assert not Channel.objects.get(handle="imported").has_credentials


def test_mentions_are_mapped_and_stored_once(organisation, x, capsys):
    x.media["3_1"] = {
        "media_key": "3_1",
        "type": "photo",
        "url": "https://pbs.twimg.example/media/bin.jpg",
        "alt_text": "An overflowing bin",
    }
    x.tweets = [
        tweet(
            7,
            "@northfieldcc bins missed again #bins https://t.co/abc https://t.co/pic",
            entities={
                "hashtags": [{"start": 37, "end": 42, "tag": "Bins"}],
                "mentions": [{"start": 0, "end": 13, "username": "NorthfieldCC", "id": USER_ID}],
                "urls": [
                    {
                        "start": 43,
                        "end": 58,
                        "url": "https://t.co/abc",
                        "expanded_url": "https://bins.example/mill-lane",
                    },
                    {
                        "start": 59,
                        "end": 75,
                        "url": "https://t.co/pic",
                        "expanded_url": "https://x.com/resident_jo/status/1/photo/1",
                        "media_key": "3_1",
                    },
                ],
            },
            attachments={"media_keys": ["3_1"]},
            referenced_tweets=[{"type": "replied_to", "id": "1899999999999999999"}],
        ),
    ]
    channel = add_channel()
    assert "fetched 1, stored 1, duplicates 0" in sync(capsys)
    post = Post.objects.get(external_id=str(FIRST + 7))
    assert post.text == "@northfieldcc bins missed again #bins https://bins.example/mill-lane"
    assert post.hashtags == ["bins"] and post.mentions == ["northfieldcc"]
    assert post.links == ["https://bins.example/mill-lane"]
    assert post.media == [
        {"type": "image", "url": "https://pbs.twimg.example/media/bin.jpg", "alt": "An overflowing bin"}
    ]
    assert post.author.handle == "resident_jo" and post.author.external_id == "44196397"
    assert post.in_reply_to_external_id == "1899999999999999999" and post.likes_count == 4
    assert post.url == f"https://x.com/resident_jo/status/{FIRST + 7}"
    channel.refresh_from_db()
    assert channel.sync_cursor == {"user_id": USER_ID, "since_id": str(FIRST + 7)}
    assert channel.status == ChannelStatus.OK
    assert "fetched 0, stored 0, duplicates 0" in sync(capsys)


def test_a_new_channel_takes_the_newest_page_and_later_runs_walk_back_to_what_they_have(organisation, x, capsys):
    old = x.add(0, 130)
    add_channel()
    sync(capsys)
    assert stored() == sorted(old[30:])
    new = x.add(130, 250)
    assert "fetched 250, stored 250, duplicates 0" in sync(capsys)
    assert stored() == sorted(old[30:] + new)
    assert x.network.hits(MENTIONS) == 1 + 3 and x.network.hits("/2/users/me") == 1


def test_a_walk_cut_short_continues_next_run_without_gaps_or_duplicates(organisation, x, capsys):
    x.add(0, 1)
    channel = add_channel()
    sync(capsys)
    new = x.add(1, 250)
    channel.refresh_from_db()
    channel_sync(channel=channel, max_pages=1)
    channel.refresh_from_db()
    assert channel.sync_cursor["walk"] == format(FIRST + 151, "x") and channel.sync_cursor["since_id"] == str(FIRST)
    x.add(251, 5)  # posted during the walk: the next run after it picks them up
    report = channel_sync(channel=channel)
    assert (report.fetched, report.stored, report.duplicates) == (150, 150, 0)
    report = channel_sync(channel=channel)
    assert (report.stored, report.duplicates) == (5, 0)
    assert len(stored()) == 256 and set(new) <= set(stored())


def test_an_edited_post_is_stored_once_under_its_first_id(organisation, x, capsys):
    x.tweets = [tweet(3, "@northfieldcc the bins were missed")]
    add_channel()
    sync(capsys)
    edited_id = str(FIRST + 9)
    x.tweets.append(
        tweet(9, "@northfieldcc the bins were missed on Mill Lane", edit_history_tweet_ids=[str(FIRST + 3), edited_id])
    )
    assert "fetched 1, stored 0, duplicates 1" in sync(capsys)
    assert stored() == [str(FIRST + 3)]
    assert Post.objects.get().text == "@northfieldcc the bins were missed"


FAILURES = {
    "rate limited": (
        Canned(
            429,
            problem(429, "Too Many Requests", "Too Many Requests"),
            {**JSON, "x-rate-limit-limit": "10", "x-rate-limit-remaining": "0", "x-rate-limit-reset": "{reset}"},
        ),
        "limiting requests (HTTP 429); trying again in",
        ChannelStatus.ERROR,
    ),
    "server error": (
        Canned(503, b"<html>Over capacity</html>"),
        "had a problem of its own (HTTP 503)",
        ChannelStatus.ERROR,
    ),
    "malformed JSON": (Canned(200, b'{"data": [{"id": "19', JSON), "not valid JSON", ChannelStatus.ERROR),
    "unreadable JSON": (Canned(200, b'{"data": [{"text": "no id"}]}', JSON), "cannot read", ChannelStatus.ERROR),
    "timeout": (Canned(200, b"{}", JSON, delay=1.5), "the request timed out", ChannelStatus.ERROR),
    "expired token": (
        Canned(401, problem(401, "Unauthorized", "Unauthorized"), JSON),
        "refused the stored access (HTTP 401)",
        ChannelStatus.DISABLED,
    ),
    "access taken away": (
        Canned(
            403,
            problem(
                403,
                "Client Forbidden",
                "This request must be made using an approved developer account.",
                "https://api.twitter.com/2/problems/client-forbidden",
            ),
            JSON,
        ),
        "refused the stored access (HTTP 403)",
        ChannelStatus.DISABLED,
    ),
}


@pytest.mark.parametrize("case", list(FAILURES))
def test_failures_are_recorded_in_plain_words_and_nothing_is_lost(case, organisation, x, capsys):
    answer, words, status = FAILURES[case]
    reset = int(time.time()) + 120
    answer.headers = {name: value.replace("{reset}", str(reset)) for name, value in answer.headers.items()}
    first = x.add(0, 2)
    channel = add_channel()
    sync(capsys)
    later = x.add(2, 150)
    x.network.fail_next(MENTIONS, answer)
    channel.refresh_from_db()
    report = channel_sync(channel=channel)
    channel.refresh_from_db()
    assert channel.status == status and words in channel.last_error
    assert report.permanent == (status == ChannelStatus.DISABLED)
    if case == "rate limited":
        assert 100 <= report.retry_after <= 120
    assert channel.sync_cursor == {"user_id": USER_ID, "since_id": first[-1]}
    assert stored() == sorted(first)
    call_command("sync", "--org", "northfield", "--channel", str(channel.id))
    assert stored() == sorted(first + later)


def test_a_page_that_fails_midway_through_a_walk_is_fetched_again(organisation, x, capsys):
    x.add(0, 1)
    channel = add_channel()
    sync(capsys)
    x.add(1, 250)
    channel.refresh_from_db()
    channel_sync(channel=channel, max_pages=1)
    x.network.fail_next(MENTIONS, Canned(200, b"not json", JSON))
    report = channel_sync(channel=channel)
    assert report.stored == 0 and "not valid JSON" in report.error
    report = channel_sync(channel=channel)
    assert (report.stored, report.duplicates) == (150, 0) and len(stored()) == 251


def test_publish_with_an_image_and_its_alt_text_then_reply(organisation, x):
    channel = add_channel()
    connector = CONNECTORS["twitter"]
    picture = MediaItem(data=b"\x89PNG fake", mime_type="image/png", alt_text="Map of the new bin route")
    result = connector.publish(
        channel=channel,
        credentials={"access_token": TOKEN},
        text="New bin routes from Monday",
        idempotency_key="k1",
        media=[picture],
    )
    assert result.url == f"https://x.com/northfieldcc/status/{result.external_id}"
    [upload] = x.uploads
    assert base64.b64decode(upload["media"]) == b"\x89PNG fake" and upload["media_category"] == "tweet_image"
    media_id = x.created[0]["media"]["media_ids"][0]
    assert x.metadata == [{"id": media_id, "metadata": {"alt_text": {"text": "Map of the new bin route"}}}]
    reply = connector.publish(
        channel=channel,
        credentials={"access_token": TOKEN},
        text="Sorry, Jo: on its way",
        idempotency_key="k2",
        in_reply_to=str(FIRST + 1),
    )
    assert x.created[1]["reply"] == {"in_reply_to_tweet_id": str(FIRST + 1)} and reply.external_id != result.external_id


def test_publishing_refusals_say_why_and_a_deleted_parent_is_gone(organisation, x):
    channel = add_channel()
    connector = CONNECTORS["twitter"]
    credentials = {"access_token": TOKEN}
    connector.publish(channel=channel, credentials=credentials, text="Bins as normal", idempotency_key="k1")
    with pytest.raises(ConnectorError, match="duplicate content") as refused:
        connector.publish(channel=channel, credentials=credentials, text="Bins as normal", idempotency_key="k2")
    assert not refused.value.permanent
    x.gone.add(str(FIRST + 5))
    with pytest.raises(PostGone, match="deleted"):
        connector.publish(
            channel=channel, credentials=credentials, text="Thanks", idempotency_key="k3", in_reply_to=str(FIRST + 5)
        )
    too_long = MediaItem(data=b"x", mime_type="image/png", alt_text="a" * 1001)
    with pytest.raises(ConnectorError, match="at most 1000"):
        connector.publish(channel=channel, credentials=credentials, text="Map", idempotency_key="k4", media=[too_long])
    assert len(x.created) == 1 and not x.uploads


def test_like_share_and_metrics(organisation, x):
    channel = add_channel()
    connector = CONNECTORS["twitter"]
    credentials = {"access_token": TOKEN}
    ids = x.add(0, 3)
    connector.like(channel=channel, credentials=credentials, external_id=ids[0])
    shared = connector.share(channel=channel, credentials=credentials, external_id=ids[1])
    assert x.likes == [ids[0]] and x.retweets == [ids[1]] and shared.external_id == str(FIRST + 700001)
    x.gone.add(ids[2])
    with pytest.raises(PostGone):
        connector.like(channel=channel, credentials=credentials, external_id=ids[2])
    with pytest.raises(PostGone):
        connector.share(channel=channel, credentials=credentials, external_id=ids[2])
    metrics = connector.fetch_metrics(channel=channel, credentials=credentials, external_ids=ids)
    assert metrics.followers == 8120
    assert metrics.posts == {i: {"likes": 4, "shares": 1, "replies": 0, "views": 57} for i in ids[:2]}


def test_oauth1_credentials_sign_each_request(organisation, x, capsys):
    x.add(0, 1)
    add_channel(
        *(
            f"--credential={name}={value}"
            for name, value in (
                ("consumer_key", "ck"),
                ("consumer_secret", "cs"),
                ("access_token", f"{USER_ID}-at"),
                ("access_token_secret", "ats"),
            )
        )
    )
    assert "stored 1" in sync(capsys)
    method, path, headers = x.network.requests[-1]
    assert path == MENTIONS and headers["Authorization"].startswith("OAuth ")
    assert 'oauth_consumer_key="ck"' in headers["Authorization"] and "oauth_signature=" in headers["Authorization"]


def test_a_channel_without_access_is_told_how_to_connect(organisation, x, capsys):
    channel = add_channel("--display-name", "Imported only")
    report = channel_sync(channel=channel)
    assert report.permanent and "no X access token" in report.error


# --- OAuth 2.0 access tokens renewed with the refresh token signing in stored ---


def add_signed_in_channel(*extra: str) -> Channel:
    return add_channel("--token", TOKEN, "--credential", f"refresh_token={REFRESH}", *extra)


def test_an_expired_token_is_renewed_stored_and_the_call_made_again(organisation, x, capsys):
    first = x.add(0, 1)
    channel = add_signed_in_channel()
    sync(capsys)
    assert not x.renewals
    x.expire()
    later = x.add(1, 2)
    assert "fetched 2, stored 2, duplicates 0" in sync(capsys)
    [renewal] = x.renewals
    assert renewal["form"] == {"grant_type": "refresh_token", "refresh_token": REFRESH, "client_id": "cid-x"}
    assert renewal["authorization"] == "Basic " + base64.b64encode(b"cid-x:secret-x").decode()
    channel.refresh_from_db()
    assert channel_credentials(channel=channel) == {"access_token": "access-1", "refresh_token": "refresh-1"}
    assert channel.status == ChannelStatus.OK and stored() == sorted(first + later)
    # Two hours later again: the rotated refresh token is the one used, and replaced in its turn.
    x.expire()
    x.add(3, 1)
    assert "stored 1" in sync(capsys)
    assert [renewal["form"]["refresh_token"] for renewal in x.renewals] == [REFRESH, "refresh-1"]
    channel.refresh_from_db()
    assert channel_credentials(channel=channel) == {"access_token": "access-2", "refresh_token": "refresh-2"}


@pytest.mark.parametrize(
    "answer",
    [
        Canned(400, b'{"error":"invalid_request","error_description":"Value passed for the token was invalid."}', JSON),
        Canned(400, b'{"error":"invalid_grant","error_description":"The refresh token was revoked."}', JSON),
        Canned(401, b'{"error":"invalid_client","error_description":"Missing valid authorization header"}', JSON),
    ],
    ids=["used", "revoked", "app"],
)
def test_a_refused_renewal_disables_the_channel_until_it_is_reconnected(answer, organisation, x, capsys):
    first = x.add(0, 1)
    channel = add_signed_in_channel()
    sync(capsys)
    x.expire()
    later = x.add(1, 1)
    x.network.fail_next(TOKEN_ENDPOINT, answer)
    report = channel_sync(channel=channel)
    channel.refresh_from_db()
    assert report.permanent and channel.status == ChannelStatus.DISABLED
    reason = json.loads(answer.body)["error_description"]
    assert channel.last_error == (
        f"X refused to renew the access token (HTTP {answer.status}: {reason}): reconnect the account by signing in "
        "again"
    )
    assert channel_credentials(channel=channel) == {"access_token": TOKEN, "refresh_token": REFRESH}
    assert channel.sync_cursor == {"user_id": USER_ID, "since_id": first[0]} and stored() == first
    # Signing in again stores a new pair; the next run reads what was missed.
    x.access_tokens.add("signed-in-again")
    channel_set_credentials(channel=channel, credentials={"access_token": "signed-in-again", "refresh_token": "r2"})
    call_command("sync", "--org", "northfield", "--channel", str(channel.id))
    assert stored() == sorted(first + later)


def test_a_token_endpoint_that_fails_is_tried_again_later_and_the_refresh_token_kept(organisation, x, capsys):
    channel = add_signed_in_channel()
    sync(capsys)
    x.expire()
    x.network.fail_next(TOKEN_ENDPOINT, Canned(503, b"<html>Over capacity</html>"))
    report = channel_sync(channel=channel)
    assert not report.permanent and "X's token endpoint had a problem of its own (HTTP 503)" in report.error
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.ERROR
    assert channel_credentials(channel=channel)["refresh_token"] == REFRESH
    assert not channel_sync(channel=channel).error and len(x.refresh_tokens) == 1


def test_a_renewed_token_that_is_refused_too_is_reported_without_renewing_again(organisation, x, capsys):
    channel = add_signed_in_channel()
    x.expire()
    # The first call (who am I) renews the token; the mentions call is then refused with the new one.
    x.network.fail_next(MENTIONS, Canned(401, problem(401, "Unauthorized", "Unauthorized"), JSON))
    report = channel_sync(channel=channel)
    assert report.permanent and "refused the stored access (HTTP 401)" in report.error
    assert len(x.renewals) == 1 and x.network.hits("/2/users/me") == 2


def test_a_token_renewed_by_another_process_is_used_not_renewed_twice(organisation, x):
    channel = add_signed_in_channel()
    connector = CONNECTORS["twitter"]
    # Two runs read the channel's credentials before either renewed them (a sync and a reply, say).
    sync_copy, reply_copy = channel_credentials(channel=channel), channel_credentials(channel=channel)
    x.expire()
    x.add(0, 1)
    assert len(connector.fetch(channel=channel, credentials=sync_copy, cursor={}).records) == 1
    assert sync_copy == {"access_token": "access-1", "refresh_token": "refresh-1"}  # the rest of the run uses these
    connector.publish(channel=channel, credentials=reply_copy, text="On its way", idempotency_key="k1")
    assert len(x.renewals) == 1 and len(x.created) == 1
    assert reply_copy == sync_copy == channel_credentials(channel=channel)


def test_without_the_x_app_an_expired_token_says_what_to_set(organisation, x, settings, capsys):
    channel = add_signed_in_channel()
    sync(capsys)
    settings.TOWNSQUARE_OAUTH_X_CLIENT_SECRET = ""
    x.expire()
    report = channel_sync(channel=channel)
    assert report.permanent and "TOWNSQUARE_OAUTH_X_CLIENT_ID and TOWNSQUARE_OAUTH_X_CLIENT_SECRET" in report.error
    assert not x.renewals


# --- Listening by recent search (GET /2/tweets/search/recent) ---


def add_listening_channel() -> Channel:
    return add_channel("--token", TOKEN, "--option", "listen=true")


def floods(x: FakeX, first: int, count: int) -> list[str]:
    """`count` public posts that match "flood AND northfield", each with a newer one that only says northfield."""
    found = []
    for n in range(first, first + count):
        match, other = tweet(5000 + 2 * n, f"northfield flood report {n}"), tweet(5001 + 2 * n, f"northfield fair {n}")
        x.public += [match, other]
        found.append(match["id"])
    return found


def heard() -> list[str]:
    return sorted(Post.objects.filter(network="twitter", source="listening").values_list("external_id", flat=True))


def test_search_finds_what_the_queries_need_walks_back_with_since_id_and_stores_it_once(
    organisation, x, capsys, monkeypatch
):
    monkeypatch.setattr(twitter_connector, "PAGE_SIZE", 10)
    query = query_create(organisation=organisation, name="Floods", text="flood AND northfield")
    channel = add_listening_channel()
    first = floods(x, 0, 1)
    # The search asks for the query's anchor word; the post that only says "northfield" is not kept.
    assert "searched northfield 2: 1 matched a query" in sync(capsys)
    [asked] = x.searches
    assert asked["query"] == "northfield -is:retweet" and "since_id" not in asked and asked["max_results"] == "10"
    assert heard() == first and Mention.objects.filter(query=query).count() == 1
    channel.refresh_from_db()
    assert channel.search_cursor == {"word:northfield": {"since_id": str(FIRST + 5001)}}
    # Thirty more: sixty hits, six pages of ten back to since_id. A run reads at most five pages of a term; the
    # next run continues the walk where it stopped, with the same since_id.
    later = floods(x, 1, 30)
    assert "searched northfield 50: 25 matched a query" in sync(capsys)
    channel.refresh_from_db()
    walk = channel.search_cursor["word:northfield"]
    assert walk["since_id"] == str(FIRST + 5001) and walk["top"] == str(FIRST + 5061)
    assert "searched northfield 10: 5 matched a query" in sync(capsys)
    walking = [asked for asked in x.searches if "next_token" in asked]
    assert len(walking) == 5 and all(asked["since_id"] == str(FIRST + 5001) for asked in walking)
    assert heard() == sorted(first + later) and Mention.objects.filter(query=query).count() == 31
    channel.refresh_from_db()
    assert channel.search_cursor == {"word:northfield": {"since_id": str(FIRST + 5061)}}
    assert "searched northfield 0: 0 matched a query" in sync(capsys)
    assert x.searches[-1]["since_id"] == str(FIRST + 5061)


def test_search_terms_are_written_in_xs_query_syntax(organisation, x, capsys):
    for number, text in enumerate(
        ['"Elm Street" AND bins', "#BinDay", "@NorthfieldCC", "author:resident_jo", "site:northfield.gov.uk"]
    ):
        query_create(organisation=organisation, name=f"q{number}", text=text)
    x.public = [
        tweet(1, "bins on Elm Street again"),
        tweet(2, "#BinDay moved to Friday"),
        tweet(3, "@NorthfieldCC the bins"),
        tweet(4, "see https://northfield.gov.uk/bins"),
    ]
    add_listening_channel()
    sync(capsys)
    asked = {search["query"].removesuffix(" -is:retweet") for search in x.searches}
    assert asked == {'"elm street"', "#binday", "@northfieldcc", "from:resident_jo", 'url:"northfield.gov.uk"'}
    # Every post is by resident_jo, so the author query keeps them all.
    assert heard() == [str(FIRST + n) for n in range(1, 5)]


SEARCH_FAILURES = {
    "rate limited": (
        Canned(
            429,
            problem(429, "Too Many Requests", "Too Many Requests"),
            {**JSON, "x-rate-limit-remaining": "0", "x-rate-limit-reset": "{reset}"},
        ),
        "limiting requests (HTTP 429); trying again in",
    ),
    "rate limited, Retry-After": (
        Canned(429, problem(429, "Too Many Requests", "Too Many Requests"), {**JSON, "Retry-After": "110"}),
        "limiting requests (HTTP 429); trying again in 110 seconds",
    ),
    "malformed JSON": (Canned(200, b'{"data": [{"id": "19', JSON), "not valid JSON"),
    "server error": (Canned(503, b"<html>Over capacity</html>"), "had a problem of its own (HTTP 503)"),
    "plan without search": (
        Canned(
            403,
            json.dumps(
                {
                    "client_id": "28500000",
                    "detail": "When authenticating requests to the Twitter API v2 endpoints, you must use keys and "
                    "tokens from a Twitter developer App that is attached to a Project. You can create a project "
                    "via the developer portal.",
                    "registration_url": "https://developer.twitter.com/en/docs/projects/overview",
                    "title": "Client Forbidden",
                    "required_enrollment": "Appropriate Level of API Access",
                    "reason": "client-not-enrolled",
                    "type": "https://api.twitter.com/2/problems/client-forbidden",
                }
            ).encode(),
            JSON,
        ),
        "refused to search recent posts for listening (HTTP 403: When authenticating",
    ),
    "forbidden": (
        Canned(403, problem(403, "Forbidden", "Forbidden"), JSON),
        "Recent search needs an X API plan that includes it (Basic or above); mentions are still read",
    ),
}


@pytest.mark.parametrize("case", list(SEARCH_FAILURES))
def test_search_failures_keep_the_channel_and_the_walk_and_lose_nothing(case, organisation, x, capsys, monkeypatch):
    monkeypatch.setattr(twitter_connector, "PAGE_SIZE", 10)
    answer, words = SEARCH_FAILURES[case]
    reset = int(time.time()) + 120
    answer.headers = {name: value.replace("{reset}", str(reset)) for name, value in answer.headers.items()}
    query_create(organisation=organisation, name="Floods", text="flood AND northfield")
    channel = add_listening_channel()
    first = floods(x, 0, 1)
    sync(capsys)
    later = floods(x, 1, 10)
    mentions = x.add(0, 2)
    # A run that reads one page of the term starts the walk; the next is refused at its second page.
    channel.refresh_from_db()
    channel_sync(channel=channel, search_pages=1)
    x.network.fail_next(SEARCH, answer)
    report = channel_sync(channel=channel)
    channel.refresh_from_db()
    assert words in report.error and not report.permanent and channel.status == ChannelStatus.ERROR
    if case.startswith("rate limited"):
        assert 100 <= report.retry_after <= 120
    walk = channel.search_cursor["word:northfield"]
    assert walk["since_id"] == str(FIRST + 5001) and walk["walk"] and walk["top"] == str(FIRST + 5021)
    # The mentions read earlier in the run were stored; the next run continues the walk without a gap.
    assert set(mentions) <= set(stored())
    assert not channel_sync(channel=channel).error
    assert heard() == sorted(first + later)
    channel.refresh_from_db()
    assert channel.search_cursor == {"word:northfield": {"since_id": str(FIRST + 5021)}}


def test_a_term_quiet_for_longer_than_search_reaches_starts_again_from_its_newest(organisation, x, capsys):
    query_create(organisation=organisation, name="Floods", text="flood AND northfield")
    channel = add_listening_channel()
    floods(x, 0, 1)
    sync(capsys)
    # Eight days later: the term's since_id is older than recent search reaches.
    x.search_reaches_back_to = FIRST + 5100
    later = floods(x, 60, 2)
    assert "searched northfield 4: 2 matched a query" in sync(capsys)
    assert [asked.get("since_id") for asked in x.searches[-2:]] == [str(FIRST + 5001), None]
    assert set(later) <= set(heard())
    channel.refresh_from_db()
    assert channel.search_cursor == {"word:northfield": {"since_id": str(FIRST + 5123)}} and not channel.last_error


def test_search_renews_an_expired_token_and_reads_past_deleted_references(organisation, x, capsys):
    query_create(organisation=organisation, name="Floods", text="flood AND northfield")
    channel = add_channel("--token", TOKEN, "--credential", f"refresh_token={REFRESH}", "--option", "listen=true")
    sync(capsys)
    first = floods(x, 0, 2)
    reply = tweet(6000, "northfield flood reply", referenced_tweets=[{"type": "replied_to", "id": "404"}])
    x.public.append(reply)
    query = {"max_results": ["100"], "expansions": ["author_id"], "tweet.fields": ["edit_history_tweet_ids"]}
    answer = x._newest_first(x.public, query, "next_token")
    # X names the deleted post a reply answers in `errors`, beside the posts it found.
    answer["errors"] = [
        {
            "value": "404",
            "detail": "Could not find tweet with referenced_tweets.id: [404].",
            "title": "Not Found Error",
            "resource_type": "tweet",
            "parameter": "referenced_tweets.id",
            "resource_id": "404",
            "type": "https://api.twitter.com/2/problems/resource-not-found",
        }
    ]
    expired = Canned(401, problem(401, "Unauthorized", "Unauthorized"), JSON)
    x.network.fail_next(SEARCH, expired, Canned(200, json.dumps(answer).encode(), JSON))
    report = channel_sync(channel=channel)
    assert not report.error and len(x.renewals) == 1
    assert heard() == sorted([*first, reply["id"]])
    assert Post.objects.get(external_id=reply["id"]).in_reply_to_external_id == "404"


# --- Direct messages (channel option messages=on) ---

JO, SAM, ROBIN = "44196397", "55500001", "66600001"


def add_messaging_channel(*extra: str) -> Channel:
    return add_channel("--token", TOKEN, "--option", "messages=on", *extra)


def messages_stored() -> dict[str, Post]:
    return {post.external_id: post for post in Post.objects.filter(network="twitter", extra__kind="message")}


def test_direct_messages_are_stored_as_private_messages_of_one_to_one_conversations(organisation, x, capsys):
    x.users[SAM] = user("sam_lee", SAM)
    x.users[ROBIN] = user("robin_b", ROBIN)
    channel = add_messaging_channel()
    hello = x.message(1, "Hello, my bin was not collected #bins https://bins.example/report")
    answer = x.message(2, "Sorry, Jo: on its way", sender=USER_ID)
    other = x.message(3, "Is the tip open?", person=SAM)
    # The account wrote to Robin, who has not written on this page: their name is looked up.
    to_robin = x.message(4, "Your permit is ready", person=ROBIN, sender=USER_ID)
    # A group conversation (its id is not two members' ids) is left out.
    group = {**x.message(5, "Group chat"), "dm_conversation_id": "1582838223999999999"}
    x.dm_events[-1] = group
    assert "fetched 4, stored 4" in sync(capsys)
    found = messages_stored()
    post = found[f"dm/{JO}-{USER_ID}/{hello['id']}"]
    assert post.author.handle == "resident_jo" and post.extra == {"kind": "message", "direct_to": "northfieldcc"}
    assert post.hashtags == ["bins"] and post.links == ["https://bins.example/report"] and post.url == ""
    ours = found[f"dm/{JO}-{USER_ID}/{answer['id']}"]
    assert ours.author.handle == "northfieldcc" and ours.author.external_id == USER_ID
    assert ours.extra["direct_to"] == "resident_jo"
    assert found[f"dm/{ROBIN}-{USER_ID}/{to_robin['id']}"].extra["direct_to"] == "robin_b"
    assert found[f"dm/{SAM}-{USER_ID}/{other['id']}"].author.handle == "sam_lee"
    assert x.network.hits("/2/users") == 1  # Robin only: Jo and Sam came with their messages
    # One private conversation per person who wrote; the one where only the account wrote is none yet.
    conversations = Conversation.objects.filter(organisation=organisation, kind=Conversation.DIRECT)
    assert sorted(c.participant.handle for c in conversations) == ["resident_jo", "sam_lee"]
    channel.refresh_from_db()
    assert channel.sync_cursor == {"user_id": USER_ID, "messages": {"newest": group["id"]}}
    # Nothing new: the newest message comes again and is known; the mentions are read as before.
    assert "stored 0" in sync(capsys)
    assert x.network.hits(MENTIONS) == 2 and x.network.hits(DM_EVENTS) == 2


def test_without_messages_on_no_direct_message_is_read(organisation, x, capsys):
    x.message(1, "Hello")
    channel = add_channel()
    sync(capsys)
    assert x.network.hits(DM_EVENTS) == 0 and not messages_stored()
    channel.refresh_from_db()
    assert "messages" not in channel.sync_cursor and "phase" not in channel.sync_cursor


def test_a_long_message_history_is_walked_back_across_runs_without_gaps(organisation, x, capsys, monkeypatch):
    monkeypatch.setattr(twitter_connector, "PAGE_SIZE", 5)
    channel = add_messaging_channel()
    first = x.message(0, "First")
    sync(capsys)
    later = [x.message(n, f"Message {n}") for n in range(1, 24)]
    # One page of mentions and two of messages; the walk stops with the run.
    channel.refresh_from_db()
    channel_sync(channel=channel, max_pages=3)
    channel.refresh_from_db()
    assert channel.sync_cursor["phase"] == "messages"
    assert channel.sync_cursor["messages"]["newest"] == first["id"] and channel.sync_cursor["messages"]["walk"]
    x.message(30, "Written during the walk")
    mentions_read = x.network.hits(MENTIONS)
    # The next run finishes the walk first; the mentions wait for the run after it.
    report = channel_sync(channel=channel)
    assert not report.error and x.network.hits(MENTIONS) == mentions_read
    assert set(messages_stored()) == {f"dm/{JO}-{USER_ID}/{event['id']}" for event in [first, *later]}
    channel.refresh_from_db()
    assert channel.sync_cursor == {"user_id": USER_ID, "messages": {"newest": later[-1]["id"]}}
    report = channel_sync(channel=channel)
    assert report.stored == 1 and x.network.hits(MENTIONS) == mentions_read + 1
    assert len(messages_stored()) == 25 and Post.objects.filter(network="twitter").count() == 25


MESSAGE_FAILURES = {
    "rate limited": (
        Canned(429, problem(429, "Too Many Requests", "Too Many Requests"), {**JSON, "x-rate-limit-reset": "{reset}"}),
        "limiting requests (HTTP 429); trying again in",
        False,
    ),
    "malformed JSON": (Canned(200, b'{"data": [{"id": "19', JSON), "not valid JSON", False),
    "access without dm.read": (
        Canned(403, problem(403, "Forbidden", "Forbidden"), JSON),
        "refused to read the account's direct messages (HTTP 403: Forbidden): the access was given without the "
        "dm.read permission",
        True,
    ),
    "expired token": (
        Canned(401, problem(401, "Unauthorized", "Unauthorized"), JSON),
        "refused the stored access (HTTP 401)",
        True,
    ),
}


@pytest.mark.parametrize("case", list(MESSAGE_FAILURES))
def test_message_failures_keep_the_mentions_and_lose_no_message(case, organisation, x, capsys):
    answer, words, permanent = MESSAGE_FAILURES[case]
    reset = int(time.time()) + 120
    answer.headers = {name: value.replace("{reset}", str(reset)) for name, value in answer.headers.items()}
    channel = add_messaging_channel()
    first = x.message(1, "Hello")
    sync(capsys)
    mentions = x.add(0, 2)
    later = x.message(2, "Still waiting")
    x.network.fail_next(DM_EVENTS, answer)
    channel.refresh_from_db()
    report = channel_sync(channel=channel)
    channel.refresh_from_db()
    assert words in report.error and report.permanent == permanent
    assert channel.status == (ChannelStatus.DISABLED if permanent else ChannelStatus.ERROR)
    if case == "rate limited":
        assert 100 <= report.retry_after <= 120
    # The mentions were stored before the messages were asked for; the messages' cursor did not move.
    assert set(mentions) <= set(stored())
    assert channel.sync_cursor["messages"] == {"newest": first["id"]} and channel.sync_cursor["phase"] == "messages"
    call_command("sync", "--org", "northfield", "--channel", str(channel.id))
    assert set(messages_stored()) == {f"dm/{JO}-{USER_ID}/{event['id']}" for event in (first, later)}


def test_an_expired_token_is_renewed_for_the_messages_too(organisation, x, capsys):
    channel = add_messaging_channel("--credential", f"refresh_token={REFRESH}")
    sync(capsys)
    later = x.message(1, "Hello")
    # The token expires between the mentions and the messages.
    x.network.fail_next(DM_EVENTS, Canned(401, problem(401, "Unauthorized", "Unauthorized"), JSON))
    channel.refresh_from_db()
    assert not channel_sync(channel=channel).error
    assert list(messages_stored()) == [f"dm/{JO}-{USER_ID}/{later['id']}"] and len(x.renewals) == 1
    assert x.network.requests[-1][2]["Authorization"] == "Bearer access-1"


def test_a_private_answer_goes_into_the_conversation_of_the_message_answered(organisation, x):
    channel = add_messaging_channel()
    connector = CONNECTORS["twitter"]
    credentials = {"access_token": TOKEN}
    asked = x.message(1, "Hello")
    target = f"dm/{JO}-{USER_ID}/{asked['id']}"
    result = connector.publish(
        channel=channel, credentials=credentials, text="On its way", idempotency_key="k1", in_reply_to=target
    )
    assert x.sent == [{"conversation": f"{JO}-{USER_ID}", "text": "On its way"}] and not x.created
    assert result.external_id == f"dm/{JO}-{USER_ID}/{x.dm_events[-1]['id']}"
    picture = MediaItem(data=b"\x89PNG", mime_type="image/png", alt_text="A map")
    with pytest.raises(ReplyRefused, match="cannot attach images to an X direct message"):
        connector.publish(channel=channel, credentials=credentials, text="Map", idempotency_key="k2",
                          in_reply_to=target, media=[picture])  # fmt: skip
    assert len(x.sent) == 1 and not x.uploads


def test_a_private_answer_x_refuses_says_why_and_is_not_the_channels_fault(organisation, x):
    channel = add_messaging_channel()
    connector = CONNECTORS["twitter"]
    credentials = {"access_token": TOKEN}
    asked = x.message(1, "Hello")
    x.closed_to_messages.add(JO)
    target = f"dm/{JO}-{USER_ID}/{asked['id']}"
    with pytest.raises(ReplyRefused, match="the person may not accept direct messages from this account") as refused:
        connector.publish(channel=channel, credentials=credentials, text="Hi", idempotency_key="k1", in_reply_to=target)
    assert "You are not permitted to send Direct Messages to this user" in refused.value.message
    # A conversation X no longer has (the person deleted their account) is gone, not the channel's fault.
    gone = f"dm/{SAM}-{USER_ID}/1"
    x.network.fail_next(
        f"/2/dm_conversations/{SAM}-{USER_ID}/messages",
        Canned(404, problem(404, "Not Found Error", "Could not find DM conversation."), JSON),
    )
    with pytest.raises(PostGone, match="the conversation being answered no longer exists"):
        connector.publish(channel=channel, credentials=credentials, text="Hi", idempotency_key="k2", in_reply_to=gone)
    # The app losing its access is the channel's problem: permanent, and not a refusal of this one message.
    x.network.fail_next(
        f"/2/dm_conversations/{JO}-{USER_ID}/messages",
        Canned(
            403,
            problem(
                403,
                "Client Forbidden",
                "This request must be made using an approved developer account.",
                "https://api.twitter.com/2/problems/client-forbidden",
            ),  # fmt: skip
            JSON,
        ),
    )
    with pytest.raises(ConnectorError, match="refused the stored access") as forbidden:
        connector.publish(channel=channel, credentials=credentials, text="Hi", idempotency_key="k3", in_reply_to=target)
    assert forbidden.value.permanent and not isinstance(forbidden.value, ReplyRefused)
    assert not x.sent
