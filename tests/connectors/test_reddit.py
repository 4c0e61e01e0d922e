"""Reddit through PRAW pointed at the local stand-in: inbox mentions and comment replies in; replies, new posts
and upvotes out; search for the listening queries; followers and own posts' counts; private messages in and
answered privately."""

from __future__ import annotations

import base64
import json
import re
from datetime import timedelta
from urllib.parse import parse_qs

import prawcore
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from tests.connectors.conftest import Canned
from tests.factories import store_posts
from townsquare.channels.models import AccountSnapshot, Channel, ChannelStatus
from townsquare.channels.services import channel_credentials
from townsquare.inbox.models import Conversation
from townsquare.mentions.models import Mention
from townsquare.mentions.services import query_create
from townsquare.networks.base import ConnectorError, MediaItem, PostGone, ReplyRefused
from townsquare.networks.connectors import CONNECTORS
from townsquare.networks.metrics import channel_metrics_refresh
from townsquare.networks.reddit import connector as reddit_connector
from townsquare.networks.sync import channel_sync
from townsquare.posts.models import Post

MENTIONS = "/message/mentions"
MESSAGES = "/message/messages/"
COMMENT = "/api/comment/"
REPLIES = "/message/comments/"
SEARCH_ALL = "/r/all/search/"
INFO = "/api/info/"
VOTE = "/api/vote/"
SUBMIT = "/api/submit/"
ME = "/api/v1/me"
ABOUT = "/r/northfield/about/"
SECRETS = {"client_id": "k3yId0000", "client_secret": "s3cr3t-app", "password": "hunter2-northfield"}
START = 1772442900


def comment(number: int, body: str, *, kind: str = "username_mention", parent: str = "t3_1abcde") -> dict:
    """An inbox item (a t1 thing) in the shape /message/* listings return."""
    return {
        "kind": "t1",
        "data": {
            "id": f"k{number:05d}",
            "name": f"t1_k{number:05d}",
            "author": "resident_jo",
            "body": body,
            "body_html": f'&lt;div class="md"&gt;&lt;p&gt;{body}&lt;/p&gt;&lt;/div&gt;',
            "created_utc": float(START + number),
            "context": f"/r/northfield/comments/1abcde/bin_day/k{number:05d}/?context=3",
            "parent_id": parent,
            "link_title": "Bin day changes",
            "subreddit": "northfield",
            "subreddit_name_prefixed": "r/northfield",
            "type": kind,
            "was_comment": True,
            "new": True,
            "score": 4,
            "dest": "northfieldcc",
            "likes": None,
            "distinguished": None,
        },
    }


def submission(number: int, title: str, selftext: str = "", *, author: str | None = "resident_jo", **extra) -> dict:
    """A submission (a t3 thing) in the shape search listings and /api/info return."""
    post_id = f"s{number:05d}"
    data = {
        "id": post_id,
        "name": f"t3_{post_id}",
        "author": author if author is not None else "[deleted]",
        "author_fullname": "t2_9resjo" if author else None,
        "title": title,
        "selftext": selftext,
        "selftext_html": f'&lt;div class="md"&gt;{selftext}&lt;/div&gt;' if selftext else None,
        "is_self": True,
        "url": f"https://www.reddit.com/r/northfield/comments/{post_id}/post/",
        "domain": "self.northfield",
        "permalink": f"/r/northfield/comments/{post_id}/post/",
        "created_utc": float(START + number),
        "subreddit": "northfield",
        "subreddit_name_prefixed": "r/northfield",
        "subreddit_id": "t5_2nfld",
        "score": 12,
        "ups": 12,
        "downs": 0,
        "upvote_ratio": 0.93,
        "num_comments": 4,
        "archived": False,
        "locked": False,
        "stickied": False,
        "over_18": False,
        "spoiler": False,
        "removed_by_category": None,
        "link_flair_text": None,
        "likes": None,
    }
    data.update(extra)
    return {"kind": "t3", "data": data}


def message(
    number: int,
    body: str,
    *,
    author: str | None = "resident_jo",
    dest: str = "northfieldcc",
    first: str | None = None,
    **extra,
) -> dict:
    """A private message (a t4 thing) in the shape /message/messages returns; `first`: the fullname of its
    conversation's first message, for a reply."""
    data = {
        "first_message": int(first.removeprefix("t4_"), 36) if first else None,
        "first_message_name": first,
        "subreddit": None,
        "likes": None,
        "replies": "",
        "author_fullname": f"t2_{author}" if author else None,
        "id": f"m{number:05d}",
        "subject": "re: Bin collection" if first else "Bin collection",
        "associated_awarding_id": None,
        "score": 0,
        "author": author,
        "num_comments": None,
        "parent_id": first,
        "subreddit_name_prefixed": None,
        "new": True,
        "type": "unknown",
        "body": body,
        "dest": dest,
        "was_comment": False,
        "body_html": f'&lt;!-- SC_OFF --&gt;&lt;div class="md"&gt;&lt;p&gt;{body}&lt;/p&gt;&lt;/div&gt;',
        "name": f"t4_m{number:05d}",
        "created": float(START + number),
        "created_utc": float(START + number),
        "context": "",
        "distinguished": None,
    }
    data.update(extra)
    return {"kind": "t4", "data": data}  # fmt: skip


def listing(children: list[dict], after: str | None = None) -> dict:
    return {"kind": "Listing", "data": {"after": after, "before": None, "dist": len(children), "children": children}}


class FakeReddit:
    def __init__(self, network) -> None:
        self.network = network
        self.listings: dict[str, list[dict]] = {MENTIONS: [], REPLIES: []}
        self.replies: list[dict[str, str]] = []
        self.comments = {"t1_k00001"}
        # Searchable submissions, any order; the searches asked for; what /api/info knows by fullname.
        self.submissions: list[dict] = []
        self.searches: list[dict[str, str]] = []
        self.things: dict[str, dict] = {}
        self.votes: list[dict[str, str]] = []
        self.submitted: list[dict[str, str]] = []
        self.profile_followers = 57
        # Access tokens Reddit still grants; None: any number (0: the account revoked the app).
        self.tokens_left: int | None = None
        self.subscribers = 12400
        # Private conversations: each its first message, later ones in `replies` (the account's own among them).
        self.threads: list[dict] = []
        self.answers: list[dict[str, str]] = []
        # People who do not take messages from the account.
        self.refusing: set[str] = set()
        network.routes.update(
            {
                ("POST", "/api/v1/access_token"): self._token,
                ("GET", MENTIONS): lambda query, body, headers: self._listing(MENTIONS, query),
                ("GET", REPLIES): lambda query, body, headers: self._listing(REPLIES, query),
                ("GET", MESSAGES): self._messages,
                ("POST", COMMENT): self._comment,
                ("GET", SEARCH_ALL): self._search,
                ("GET", "/r/northfield+askuk/search/"): self._search,
                ("GET", INFO): self._info,
                ("POST", VOTE): self._vote,
                ("POST", SUBMIT): self._submit,
                ("GET", ME): self._me,
                ("GET", ABOUT): self._about,
            }
        )

    def _token(self, query, body: bytes, headers) -> tuple[int, dict]:
        form = {key: values[-1] for key, values in parse_qs(body.decode()).items()}
        app = base64.b64decode(headers.get("Authorization", "").removeprefix("Basic ")).decode()
        if app != f"{SECRETS['client_id']}:{SECRETS['client_secret']}":
            return 401, {"message": "Unauthorized", "error": 401}
        if form.get("username") != "northfieldcc" or form.get("password") != SECRETS["password"]:
            return 200, {"error": "invalid_grant"}  # how Reddit answers a wrong password
        if self.tokens_left is not None:
            if self.tokens_left == 0:
                return 200, {"error": "invalid_grant"}
            self.tokens_left -= 1
        return 200, {
            "access_token": "eyJhbGciOi.reddit-token",
            "token_type": "bearer",
            "expires_in": 86400,
            "scope": "*",
        }

    def _listing(self, path: str, query: dict[str, list[str]]) -> tuple[int, dict]:
        items = sorted(self.listings[path], key=lambda item: -item["data"]["created_utc"])
        if "after" in query:
            names = [item["data"]["name"] for item in items]
            items = items[names.index(query["after"][-1]) + 1 :]
        page = items[: int(query.get("limit", ["25"])[-1])]
        after = page[-1]["data"]["name"] if page and len(page) < len(items) else None
        return 200, {"kind": "Listing", "data": {"after": after, "before": None, "dist": len(page), "children": page}}

    def _comment(self, query, body: bytes, headers) -> tuple[int, dict]:
        form = {key: values[-1] for key, values in parse_qs(body.decode()).items()}
        if form["thing_id"].startswith("t4_"):
            return self._answer(form)
        if form["thing_id"] not in self.comments:
            return 200, {"json": {"errors": [["DELETED_COMMENT", "that comment has been deleted", "parent"]]}}
        self.replies.append(form)
        made = comment(90000 + len(self.replies), form["text"], kind="", parent=form["thing_id"])["data"]
        made.update(author="northfieldcc", permalink=f"/r/northfield/comments/1abcde/bin_day/{made['id']}/")
        return 200, {"json": {"errors": [], "data": {"things": [{"kind": "t1", "data": made}]}}}

    def _messages(self, query: dict[str, list[str]], body, headers) -> tuple[int, dict]:
        """Conversations by their newest message, newest first, `limit` a page, paged on with `after` (the
        fullname of a conversation's first message)."""
        found = sorted(
            self.threads, key=lambda thread: -max(item["data"]["created_utc"] for item in thread_items(thread))
        )
        if "after" in query:
            names = [thread["data"]["name"] for thread in found]
            found = found[names.index(query["after"][-1]) + 1 :]
        page = found[: int(query.get("limit", ["25"])[-1])]
        return 200, listing(page, page[-1]["data"]["name"] if page and len(page) < len(found) else None)

    def _answer(self, form: dict[str, str]) -> tuple[int, dict]:
        """A reply to a message: Reddit adds it to the message's conversation."""
        names = {item["data"]["name"]: thread for thread in self.threads for item in thread_items(thread)}
        thread = names.get(form["thing_id"])
        if thread is None:
            return 200, {"json": {"errors": [["NO_THING_ID", "id not specified", "parent"]]}}
        person = next(
            item["data"]["author"] for item in thread_items(thread) if item["data"]["author"] != "northfieldcc"
        )
        if person in self.refusing:
            said = "Can't send a message to that user."
            return 200, {"json": {"errors": [["NOT_WHITELISTED_BY_USER_MESSAGE", said, "parent"]]}}
        self.answers.append(form)
        made = message(80000 + len(self.answers), form["text"], author="northfieldcc", dest=person,
                       first=thread["data"]["name"])  # fmt: skip
        self.reply_in(thread, made)
        return 200, {"json": {"errors": [], "data": {"things": [made]}}}

    def converse(self, first: int, count: int, *, person: str = "resident_jo", own: tuple[int, ...] = ()) -> dict:
        """A conversation of `count` messages numbered from `first`, the person's but for the numbers in `own`."""
        root = message(first, f"Bins missed on street {first}", author=person)
        self.threads.append(root)
        for number in range(first + 1, first + count):
            self.reply_in(root, self.said(number, root, person, own))
        return root

    @staticmethod
    def said(number: int, root: dict, person: str, own: tuple[int, ...] = ()) -> dict:
        if number in own:
            return message(number, f"Sorry, {number}", author="northfieldcc", dest=person, first=root["data"]["name"])
        return message(number, f"Still missed {number}", author=person, first=root["data"]["name"])

    @staticmethod
    def reply_in(root: dict, item: dict) -> None:
        replies = root["data"]["replies"] or listing([])
        replies["data"]["children"].append(item)
        root["data"]["replies"] = replies

    def _search(self, query: dict[str, list[str]], body, headers) -> tuple[int, dict]:
        """Reddit's search: newest first with sort=new, `limit` a page, paged on with `after` (a fullname)."""
        asked = {key: values[-1] for key, values in query.items()}
        self.searches.append(asked)
        wanted = asked["q"]
        if wanted.startswith("author:"):
            found = [item for item in self.submissions if item["data"]["author"] == wanted.removeprefix("author:")]
        else:
            words = wanted.strip('"').lower()
            found = [item for item in self.submissions
                     if words in f"{item['data']['title']} {item['data']['selftext']}".lower()]  # fmt: skip
        found.sort(key=lambda item: -item["data"]["created_utc"])
        if "after" in asked:
            names = [item["data"]["name"] for item in found]
            found = found[names.index(asked["after"]) + 1 :]
        page = found[: int(asked.get("limit", "25"))]
        return 200, listing(page, page[-1]["data"]["name"] if page and len(page) < len(found) else None)

    def _info(self, query: dict[str, list[str]], body, headers) -> tuple[int, dict]:
        names = query["id"][-1].split(",")
        return 200, listing([self.things[name] for name in names if name in self.things])

    def _vote(self, query, body: bytes, headers) -> tuple[int, dict]:
        self.votes.append({key: values[-1] for key, values in parse_qs(body.decode()).items()})
        return 200, {}

    def _submit(self, query, body: bytes, headers) -> tuple[int, dict]:
        form = {key: values[-1] for key, values in parse_qs(body.decode()).items()}
        if form["sr"] != "northfield":
            return 200, {"json": {"errors": [["SUBREDDIT_NOTALLOWED", "you aren't allowed to post there.", "sr"]]}}
        self.submitted.append(form)
        post_id = f"1b2c{len(self.submitted):02d}"
        url = f"https://www.reddit.com/r/northfield/comments/{post_id}/bin_day_changes/"
        return 200, {
            "json": {"errors": [], "data": {"url": url, "drafts_count": 0, "id": post_id, "name": f"t3_{post_id}"}}
        }

    def _me(self, query, body, headers) -> tuple[int, dict]:
        profile = {
            "display_name": "u_northfieldcc",
            "display_name_prefixed": "u/northfieldcc",
            "name": "t5_8prof",
            "subreddit_type": "user",
            "subscribers": self.profile_followers,
            "title": "",
            "over_18": False,
        }
        me = {
            "name": "northfieldcc",
            "id": "8nfcc",
            "link_karma": 310,
            "comment_karma": 1204,
            "total_karma": 1514,
            "created_utc": 1600000000.0,
            "has_verified_email": True,
            "subreddit": profile,
        }
        return 200, me

    def _about(self, query, body, headers) -> tuple[int, dict]:
        about = {
            "display_name": "northfield",
            "name": "t5_2nfld",
            "id": "2nfld",
            "subscribers": self.subscribers,
            "subreddit_type": "public",
            "title": "Northfield",
            "active_user_count": 31,
            "over18": False,
        }
        return 200, {"kind": "t5", "data": about}

    def add(self, path: str, first: int, count: int) -> list[str]:
        made = [comment(n, f"u/northfieldcc bins missed on street {n}") for n in range(first, first + count)]
        self.listings[path] += made
        return [item["data"]["name"] for item in made]


def thread_items(thread: dict) -> list[dict]:
    replies = thread["data"]["replies"]
    return [thread, *(replies["data"]["children"] if replies else [])]


@pytest.fixture
def reddit(fake_network, monkeypatch) -> FakeReddit:
    monkeypatch.setattr(reddit_connector, "OAUTH_URL", fake_network.url)
    monkeypatch.setattr(reddit_connector, "REDDIT_URL", fake_network.url)
    monkeypatch.setattr(reddit_connector, "TIMEOUT_SECONDS", 0.5)
    # PRAW retries 5xx answers and timeouts after a sleep of a few seconds; the tests need not wait.
    monkeypatch.setattr(prawcore.sessions.FiniteRetryStrategy, "_sleep_seconds", lambda self: None)
    return FakeReddit(fake_network)


def add_channel(*options: str, **secrets: str) -> Channel:
    pairs = [f"--credential={key}={value}" for key, value in {**SECRETS, **secrets}.items()]
    pairs += [f"--option={option}" for option in options]
    call_command("channel", "add", "--org", "northfield", "--network", "reddit", "--handle", "northfieldcc", *pairs)
    return Channel.objects.get(network="reddit")


def sync(capsys) -> str:
    call_command("sync", "--org", "northfield")
    return capsys.readouterr().out


def stored() -> set[str]:
    return set(Post.objects.filter(network="reddit").values_list("external_id", flat=True))


def test_add_needs_the_script_app_and_keeps_it_in_the_vault(organisation):
    with pytest.raises(CommandError, match="reddit needs --credential client_id"):
        call_command("channel", "add", "--org", "northfield", "--network", "reddit", "--handle", "northfieldcc")
    channel = add_channel()
    assert channel_credentials(channel=channel) == SECRETS and channel.options == {}


def test_mentions_and_replies_are_mapped_and_stored_once(organisation, reddit, capsys):
    reddit.listings[MENTIONS] = [
        comment(1, "Hey u/northfieldcc the bins on [Elm St](https://maps.example/elm) were missed; see https://photos.example/1")
    ]  # fmt: skip
    reddit.listings[REPLIES] = [comment(2, "Thanks, that worked", kind="comment_reply", parent="t1_own00001")]
    channel = add_channel()
    assert "fetched 2, stored 2, duplicates 0" in sync(capsys)
    post = Post.objects.get(external_id="t1_k00001")
    assert post.mentions == ["northfieldcc"]
    assert post.links == ["https://maps.example/elm", "https://photos.example/1"]
    assert post.author.handle == "resident_jo" and post.created_at.timestamp() == START + 1
    assert post.url == "https://www.reddit.com/r/northfield/comments/1abcde/bin_day/k00001/?context=3"
    assert post.in_reply_to_external_id == "t3_1abcde"
    assert Post.objects.get(external_id="t1_k00002").in_reply_to_external_id == "t1_own00001"
    channel.refresh_from_db()
    assert channel.sync_cursor == {"newest": float(START + 2)} and channel.status == ChannelStatus.OK
    # Every API call carried the bearer token; the next run offers only the newest again (same second).
    assert all(h.get("Authorization") == "bearer eyJhbGciOi.reddit-token" for m, p, h in reddit.network.requests
               if p.startswith("/message"))  # fmt: skip
    assert "stored 0" in sync(capsys) and len(stored()) == 2


def test_a_new_channel_takes_the_newest_and_later_runs_read_back_to_them(organisation, reddit, capsys):
    old = reddit.add(MENTIONS, 0, 40)
    add_channel()
    sync(capsys)
    assert stored() == set(old[15:])
    new = reddit.add(MENTIONS, 40, 230)
    sync(capsys)
    assert stored() == set(old[15:] + new)


JSON_TYPE = {"Content-Type": "application/json"}


def listing_failures(cut_listing: bytes) -> dict:
    """What any listing read can meet: a rate limit, a listing cut short (`cut_listing`), access refused. Each
    case: the answer, the words, the status."""
    return {
        "rate limited": (
            Canned(429, b'{"message": "Too Many Requests", "error": 429}',
                   {**JSON_TYPE, "Retry-After": "60", "x-ratelimit-reset": "60"}),
            "limiting requests (HTTP 429); trying again in 60 seconds",
            ChannelStatus.ERROR,
        ),
        "malformed JSON": (Canned(200, cut_listing, JSON_TYPE), "not valid JSON", ChannelStatus.ERROR),
        "forbidden": (
            Canned(403, b'{"message": "Forbidden", "error": 403}', JSON_TYPE),
            "refused the stored access (HTTP 403)",
            ChannelStatus.DISABLED,
        ),
    }  # fmt: skip


# Each case: the answers served in turn (PRAW tries a 5xx or a timeout three times), the words, the status.
FAILURES = {
    "server error": (
        [Canned(503, b"<html>down</html>")] * 3,
        "had a problem of its own (HTTP 503)",
        ChannelStatus.ERROR,
    ),
    "timeout": ([Canned(200, b"{}", delay=1.0)] * 3, "the request timed out", ChannelStatus.ERROR),
    **listing_failures(b'{"kind": "Listing", "data": {'),
    "not a listing": (
        Canned(200, b'{"kind": "Thing", "data": {}}', JSON_TYPE),
        "an answer Townsquare cannot read",
        ChannelStatus.ERROR,
    ),
}


@pytest.mark.parametrize("case", list(FAILURES))
def test_failures_are_recorded_in_plain_words_and_nothing_is_lost(case, organisation, reddit, capsys):
    answer, words, status = FAILURES[case]
    first = reddit.add(MENTIONS, 0, 2)
    channel = add_channel()
    sync(capsys)
    later = reddit.add(MENTIONS, 2, 30)
    answers = answer if isinstance(answer, list) else [answer]
    reddit.network.fail_next(MENTIONS, *answers)
    with pytest.raises(CommandError, match="1 channel"):
        sync(capsys)
    channel.refresh_from_db()
    assert channel.status == status and words in channel.last_error
    assert channel.sync_cursor == {"newest": float(START + 1)} and not reddit.network.canned[MENTIONS]
    if status == ChannelStatus.DISABLED:
        return
    sync(capsys)
    assert stored() == set(first + later)


def test_a_wrong_password_disables_the_channel(organisation, reddit, capsys):
    channel = add_channel(password="wrong")
    with pytest.raises(CommandError, match="1 channel"):
        sync(capsys)
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.DISABLED and "invalid_grant" in channel.last_error
    assert reddit.network.hits(MENTIONS) == 0


def test_replying_posts_a_comment_and_a_deleted_parent_says_so(organisation, reddit):
    channel = add_channel()
    connector, credentials = CONNECTORS["reddit"], channel_credentials(channel=channel)
    text = "Collected tomorrow"
    result = connector.publish(
        channel=channel, credentials=credentials, text=text, idempotency_key="r1", in_reply_to="t1_k00001"
    )
    assert reddit.replies[0]["thing_id"] == "t1_k00001" and reddit.replies[0]["text"] == "Collected tomorrow"
    assert result.external_id == "t1_k90001" and result.url.endswith("/bin_day/k90001/")
    with pytest.raises(PostGone):
        connector.publish(
            channel=channel, credentials=credentials, text="Sorry", idempotency_key="r2", in_reply_to="t1_gone"
        )


# --- Listening by search: GET /r/{subreddits}/search ---


def floods(reddit: FakeReddit, first: int, count: int) -> list[str]:
    """`count` submissions that match "flood AND northfield", each beside one that only says northfield."""
    names = []
    for n in range(first, first + count):
        match = submission(2 * n, f"Northfield flood report {n}", f"Water over [Elm St](https://maps.example/{n})")
        reddit.submissions += [match, submission(2 * n + 1, f"Northfield fair {n}")]
        names.append(match["data"]["name"])
    return names


def test_search_stores_matching_submissions_once_and_walks_back_to_the_cursor(
    organisation, reddit, capsys, monkeypatch
):
    monkeypatch.setattr(reddit_connector, "SEARCH_PAGE_SIZE", 3)
    query = query_create(organisation=organisation, name="Floods", text="flood AND northfield")
    channel = add_channel("listen=true")
    first = floods(reddit, 0, 1)
    assert "stored 1, duplicates 0; searched northfield 2: 1 matched a query" in sync(capsys)
    assert stored() == set(first) and Mention.objects.filter(query=query).count() == 1
    post = Post.objects.get(external_id=first[0])
    assert post.title == "Northfield flood report 0" and post.text == "Water over [Elm St](https://maps.example/0)"
    assert post.links == ["https://maps.example/0"] and post.source == "listening"
    assert post.url == "https://www.reddit.com/r/northfield/comments/s00000/post/" and post.likes_count == 12
    asked = reddit.searches[0]
    assert (asked["q"], asked["sort"], asked["syntax"], asked["t"]) == ("northfield", "new", "lucene", "all")
    assert reddit.network.hits(SEARCH_ALL) == 1
    channel.refresh_from_db()
    assert channel.search_cursor == {"word:northfield": {"newest": float(START + 1)}}
    # Sixteen new hits, six pages of three back to the stored newest: a run reads five pages of a term and the
    # next continues the walk from Reddit's `after`.
    later = floods(reddit, 1, 8)
    assert "stored 7, duplicates 0; searched northfield 15" in sync(capsys)
    channel.refresh_from_db()
    assert channel.search_cursor["word:northfield"] == {
        "newest": float(START + 1), "walk": "t3_s00003", "top": float(START + 17)
    }  # fmt: skip
    assert "stored 1, duplicates 0; searched northfield 2" in sync(capsys)
    assert reddit.searches[-1]["after"] == "t3_s00003"
    assert stored() == set(first + later) and Mention.objects.filter(query=query).count() == 9
    channel.refresh_from_db()
    assert channel.search_cursor == {"word:northfield": {"newest": float(START + 17)}}


def test_search_asks_for_phrases_and_authors_in_the_channels_subreddits_only(organisation, reddit, capsys):
    query_create(organisation=organisation, name="Elm", text='"elm street" AND bins')
    query_create(organisation=organisation, name="Jo", text="author:resident_jo")
    add_channel("listen=true", "subreddits=r/northfield, askuk")
    reddit.submissions = [
        submission(1, "Bins on Elm Street again, u/northfieldcc", author="someone_else", is_self=False,
                   url="https://photos.example/elm", score=-3),
        submission(2, "Lost cat", author="resident_jo"),
    ]  # fmt: skip
    out = sync(capsys)
    assert "stored 2" in out and stored() == {"t3_s00001", "t3_s00002"}
    link = Post.objects.get(external_id="t3_s00001")
    assert link.links == ["https://photos.example/elm"] and link.mentions == ["northfieldcc"]
    assert (link.likes_count, link.replies_count) == (0, 4) and link.author.handle == "someone_else"
    assert sorted(asked["q"] for asked in reddit.searches) == ['"elm street"', "author:resident_jo"]
    assert all(asked["restrict_sr"] == "True" for asked in reddit.searches)
    assert reddit.network.hits("/r/northfield+askuk/search/") == 2 and reddit.network.hits(SEARCH_ALL) == 0


SEARCH_FAILURES = listing_failures(b'{"kind": "Listing", "data": {"children": [')


@pytest.mark.parametrize("case", list(SEARCH_FAILURES))
def test_search_failures_are_recorded_and_the_terms_cursor_stays(case, organisation, reddit, capsys):
    answer, words, status = SEARCH_FAILURES[case]
    query_create(organisation=organisation, name="Floods", text="flood AND northfield")
    channel = add_channel("listen=true")
    first = floods(reddit, 0, 1)
    sync(capsys)
    later = floods(reddit, 1, 2)
    reddit.network.fail_next(SEARCH_ALL, answer)
    with pytest.raises(CommandError, match="1 channel"):
        sync(capsys)
    channel.refresh_from_db()
    assert channel.status == status and words in channel.last_error
    assert channel.search_cursor == {"word:northfield": {"newest": float(START + 1)}}
    if status == ChannelStatus.DISABLED:
        return
    sync(capsys)
    assert stored() == set(first + later)


def test_searching_a_subreddit_that_does_not_exist_says_so(organisation, reddit):
    query_create(organisation=organisation, name="Floods", text="flood")
    channel = add_channel("listen=true", "subreddits=nowhere")
    # Reddit sends a search in an unknown subreddit to its subreddit search.
    reddit.network.fail_next("/r/nowhere/search/", Canned(302, b"", {"Location": "/subreddits/search?q=nowhere"}))
    report = channel_sync(channel=channel)
    assert report.permanent and "has no subreddit r/nowhere" in report.error


# --- Upvotes: POST /api/vote, after /api/info ---


def test_upvoting_a_submission_or_comment_and_what_cannot_be_upvoted(organisation, reddit):
    channel = add_channel()
    connector, credentials = CONNECTORS["reddit"], channel_credentials(channel=channel)
    reddit.things = {
        "t3_s00001": submission(1, "Bin day moved"),
        "t1_k00002": comment(2, "Thanks for sorting it"),
        "t3_s00003": submission(3, "[deleted]", "[deleted]", author=None, removed_by_category="deleted"),
        "t1_k00004": {"kind": "t1", "data": {**comment(4, "[removed]")["data"], "author": "[deleted]"}},
        "t3_s00005": submission(5, "Last year's fair", archived=True),
    }
    for name in ("t3_s00001", "t1_k00002"):
        connector.like(channel=channel, credentials=credentials, external_id=name)
    assert [(vote["id"], vote["dir"]) for vote in reddit.votes] == [("t3_s00001", "1"), ("t1_k00002", "1")]
    for name in ("t3_s00003", "t1_k00004", "t3_gone1"):
        with pytest.raises(PostGone, match="deleted or removed"):
            connector.like(channel=channel, credentials=credentials, external_id=name)
    with pytest.raises(ReplyRefused, match="archived"):
        connector.like(channel=channel, credentials=credentials, external_id="t3_s00005")
    assert len(reddit.votes) == 2


@pytest.mark.parametrize(
    "path, answer, words, permanent",
    [
        (VOTE, Canned(429, b'{"message": "Too Many Requests", "error": 429}', {"Retry-After": "30"}),
         "trying again in 30 seconds", False),
        (INFO, Canned(403, b'{"message": "Forbidden", "error": 403}'), "refused the stored access (HTTP 403)", True),
        (INFO, Canned(200, b'{"kind": "Listing", "da', {"Content-Type": "application/json"}), "not valid JSON", False),
    ],
)  # fmt: skip
def test_a_failed_upvote_says_why(organisation, reddit, path, answer, words, permanent):
    channel = add_channel()
    reddit.things = {"t3_s00001": submission(1, "Bin day moved")}
    reddit.network.fail_next(path, answer)
    with pytest.raises(ConnectorError, match=re.escape(words)) as failure:
        CONNECTORS["reddit"].like(
            channel=channel, credentials=channel_credentials(channel=channel), external_id="t3_s00001"
        )
    assert failure.value.permanent is permanent and not isinstance(failure.value, PostGone)


def test_access_revoked_during_an_upvote_is_permanent(organisation, reddit):
    """A 401 makes PRAW ask for a new token once; an app the account revoked gets none."""
    channel = add_channel()
    reddit.things = {"t3_s00001": submission(1, "Bin day moved")}
    reddit.tokens_left = 1
    reddit.network.fail_next(INFO, Canned(401, b'{"message": "Unauthorized", "error": 401}'))
    with pytest.raises(ConnectorError, match="invalid_grant") as failure:
        CONNECTORS["reddit"].like(
            channel=channel, credentials=channel_credentials(channel=channel), external_id="t3_s00001"
        )
    assert failure.value.permanent and reddit.network.hits("/api/v1/access_token") == 2 and reddit.votes == []


# --- New posts: POST /api/submit to the channel's subreddit ---


def test_a_new_post_goes_to_the_channels_subreddit_with_its_first_line_as_title(organisation, reddit):
    channel = add_channel("subreddit=r/northfield")
    connector, credentials = CONNECTORS["reddit"], channel_credentials(channel=channel)
    text = "Bin day changes from March\n\nCollections move to **Tuesday**; see the [map](https://maps.example)."
    result = connector.publish(channel=channel, credentials=credentials, text=text, idempotency_key="p1")
    sent = reddit.submitted[0]
    assert (sent["sr"], sent["kind"], sent["title"]) == ("northfield", "self", "Bin day changes from March")
    assert sent["text"] == "Collections move to **Tuesday**; see the [map](https://maps.example)."
    assert result.external_id == "t3_1b2c01" and result.url == "https://www.reddit.com/r/northfield/comments/1b2c01/"
    # A body that is one address alone is a link post.
    connector.publish(channel=channel, credentials=credentials, text="Budget consultation\nhttps://northfield.example/b",
                      idempotency_key="p2")  # fmt: skip
    assert (reddit.submitted[1]["kind"], reddit.submitted[1]["url"]) == ("link", "https://northfield.example/b")


def test_what_a_new_post_needs_and_what_reddit_refuses(organisation, reddit):
    connector = CONNECTORS["reddit"]
    nowhere = add_channel()
    with pytest.raises(ConnectorError, match="needs a subreddit: set the channel's option subreddit") as failure:
        connector.publish(channel=nowhere, credentials=SECRETS, text="Hello\nthere", idempotency_key="p1")
    assert failure.value.permanent
    Channel.objects.all().delete()
    channel = add_channel("subreddit=northfield")
    credentials = channel_credentials(channel=channel)
    image = MediaItem(data=b"\x89PNG", mime_type="image/png", alt_text="A bin lorry")
    with pytest.raises(ConnectorError, match="cannot attach images"):
        connector.publish(channel=channel, credentials=credentials, text="Bins", idempotency_key="p2", media=[image])
    with pytest.raises(ReplyRefused, match="first line is its title"):
        connector.publish(channel=channel, credentials=credentials, text="x" * 301, idempotency_key="p3")
    # Reddit's throttle on new posts comes as an error in the answer, with the wait in words.
    said = "Looks like you've been doing that a lot. Take a break for 9 minutes before trying again."
    throttle = json.dumps({"json": {"errors": [["RATELIMIT", said, "ratelimit"]]}}).encode()
    reddit.network.fail_next(SUBMIT, Canned(200, throttle, {"Content-Type": "application/json"}))
    with pytest.raises(ConnectorError, match="limiting the account's posts") as failure:
        connector.publish(channel=channel, credentials=credentials, text="Bins\nmoved", idempotency_key="p4")
    assert failure.value.retry_after == 540 and not failure.value.permanent
    channel.options = {"subreddit": "askuk"}
    with pytest.raises(ReplyRefused, match="refused the post: you aren't allowed to post there"):
        connector.publish(channel=channel, credentials=credentials, text="Bins\nmoved", idempotency_key="p5")
    channel.options = {"subreddit": "nowhere"}
    reddit.network.fail_next(SUBMIT, Canned(404, b'{"message": "Not Found", "error": 404}'))
    with pytest.raises(ConnectorError, match="has no subreddit r/nowhere"):
        connector.publish(channel=channel, credentials=credentials, text="Bins\nmoved", idempotency_key="p6")
    assert reddit.submitted == []


# --- Metrics: followers and own posts' counts ---


def test_metrics_read_profile_followers_and_own_posts_counts(organisation, reddit):
    an_hour_ago = (timezone.now() - timedelta(hours=1)).isoformat()
    store_posts(
        organisation,
        {"id": "t3_s00001", "text": "Bin day moved", "author": "northfieldcc", "created_at": an_hour_ago},
        {"id": "t1_k00002", "text": "Collected tomorrow", "author": "northfieldcc", "created_at": an_hour_ago},
        {"id": "t3_s00003", "text": "Someone else's", "author": "resident_jo", "created_at": an_hour_ago},
        network="reddit",
    )
    reddit.things = {
        "t3_s00001": submission(1, "Bin day moved", author="northfieldcc", score=87, num_comments=23),
        "t1_k00002": {"kind": "t1", "data": {**comment(2, "Collected tomorrow")["data"], "score": -2}},
        "t3_s00003": submission(3, "Someone else's", score=999),
    }
    channel = add_channel()
    report = channel_metrics_refresh(channel=channel)
    assert not report.error and report.followers == 57 and report.posts == 2
    assert list(AccountSnapshot.objects.filter(channel=channel).values_list("followers", flat=True)) == [57]
    post = Post.objects.get(external_id="t3_s00001")
    assert (post.likes_count, post.replies_count) == (87, 23)
    assert Post.objects.get(external_id="t1_k00002").likes_count == 0
    assert Post.objects.get(external_id="t3_s00003").likes_count is None
    asked = [path for _, path, _ in reddit.network.requests if path in (ME, ABOUT, INFO)]
    assert asked == [ME, INFO]


def test_metrics_count_the_channels_own_subreddit_when_it_names_one(organisation, reddit):
    channel = add_channel("subreddit=northfield")
    metrics = CONNECTORS["reddit"].fetch_metrics(
        channel=channel, credentials=channel_credentials(channel=channel), external_ids=[]
    )
    assert metrics.followers == 12400 and metrics.posts == {}
    assert reddit.network.hits(ABOUT) == 1 and reddit.network.hits(ME) == 0


def test_revoked_access_during_metrics_disables_the_channel(organisation, reddit):
    channel = add_channel()
    reddit.network.fail_next(ME, Canned(403, b'{"message": "Forbidden", "error": 403}'))
    assert "refused the stored access (HTTP 403)" in channel_metrics_refresh(channel=channel).error
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.DISABLED and not AccountSnapshot.objects.exists()


# --- Private messages (option messages=on): GET /message/messages; answers with POST /api/comment ---


def test_private_messages_are_read_only_with_the_option(organisation, reddit, capsys):
    reddit.converse(10, 2)
    add_channel()
    sync(capsys)
    assert reddit.network.hits(MESSAGES) == 0 and stored() == set()


def test_private_messages_are_walked_back_page_by_page_and_stored_once(organisation, reddit, capsys, monkeypatch):
    monkeypatch.setattr(reddit_connector, "MESSAGES_PAGE_SIZE", 2)
    # Reddit's own notice and a subreddit's message are not between the account and a person.
    reddit.threads += [
        message(1, "Your free awards are expiring", author="reddit", distinguished="admin"),
        message(2, "Welcome to r/northfield", author=None, subreddit="northfield", distinguished="moderator"),
    ]
    jo = reddit.converse(10, 3, own=(12,))
    sam = reddit.converse(20, 1, person="sam_lee")
    channel = add_channel("messages=on")
    assert "stored 4, duplicates 0" in sync(capsys)
    assert stored() == {"t4_m00010", "t4_m00011", "t4_m00012", "t4_m00020"}
    first = Post.objects.get(external_id="t4_m00010")
    assert (first.title, first.text, first.author.handle) == (
        "Bin collection",
        "Bins missed on street 10",
        "resident_jo",
    )
    assert first.extra["direct_to"] == "northfieldcc" and first.extra["thread"] == "t4_m00010"
    assert first.url == "https://www.reddit.com/message/messages/m00010"
    ours = Post.objects.get(external_id="t4_m00012")
    assert ours.extra["direct_to"] == "resident_jo" and ours.author.handle == "northfieldcc"
    assert Post.objects.get(external_id="t4_m00011").extra["thread"] == "t4_m00010"
    people = set(Conversation.objects.filter(kind=Conversation.DIRECT).values_list("participant__handle", flat=True))
    assert people == {"resident_jo", "sam_lee"}
    channel.refresh_from_db()
    assert channel.sync_cursor == {"messages": {"newest": float(START + 20)}}
    # New messages in old and new conversations: three pages back to the stored newest; only the message of the
    # stored newest second comes again (de-duplication absorbs it).
    reddit.reply_in(sam, reddit.said(34, sam, "sam_lee"))
    reddit.reply_in(jo, reddit.said(32, jo, "resident_jo"))
    reddit.converse(30, 2, person="pat_k")
    reddit.converse(33, 1, person="lee_m")
    assert "fetched 6, stored 5, duplicates 1" in sync(capsys)
    assert stored() - {"t4_m00010", "t4_m00011", "t4_m00012", "t4_m00020"} == {
        "t4_m00030", "t4_m00031", "t4_m00032", "t4_m00033", "t4_m00034"
    }  # fmt: skip
    asked = [path for _, path, _ in reddit.network.requests if path == MESSAGES]
    assert len(asked) == 1 + 3
    channel.refresh_from_db()
    assert channel.sync_cursor == {"messages": {"newest": float(START + 34)}}
    assert "stored 0" in sync(capsys) and len(stored()) == 9


def test_a_run_cut_short_continues_the_walk_without_a_gap(organisation, reddit, capsys, monkeypatch):
    monkeypatch.setattr(reddit_connector, "MESSAGES_PAGE_SIZE", 2)
    reddit.converse(10, 1)
    channel = add_channel("messages=on")
    sync(capsys)
    for number in range(20, 26):
        reddit.converse(number, 1, person=f"person_{number}")
    # The inbox and one page of messages, then the run stops: the walk's place is kept.
    channel.refresh_from_db()
    channel_sync(channel=channel, max_pages=2)
    channel.refresh_from_db()
    assert channel.sync_cursor["messages"] == {
        "newest": float(START + 10),
        "walk": "t4_m00024",
        "top": float(START + 25),
    }
    assert channel.sync_cursor["phase"] == "messages"
    # The next run goes on from the walk's place (the stored newest second comes again and is absorbed).
    assert "fetched 5, stored 4, duplicates 1" in sync(capsys)
    assert stored() == {"t4_m00010", *(f"t4_m000{number}" for number in range(20, 26))}
    channel.refresh_from_db()
    assert channel.sync_cursor == {"messages": {"newest": float(START + 25)}}


MESSAGE_FAILURES = listing_failures(b'{"kind": "Listing", "data": {"children": [{"kind": "t4", ')


@pytest.mark.parametrize("case", list(MESSAGE_FAILURES))
def test_failures_reading_messages_keep_the_cursor_and_lose_nothing(case, organisation, reddit, capsys):
    answer, words, status = MESSAGE_FAILURES[case]
    reddit.converse(10, 1)
    channel = add_channel("messages=on")
    sync(capsys)
    reddit.converse(20, 2, person="sam_lee")
    reddit.network.fail_next(MESSAGES, answer)
    with pytest.raises(CommandError, match="1 channel"):
        sync(capsys)
    channel.refresh_from_db()
    assert channel.status == status and words in channel.last_error
    assert channel.sync_cursor["messages"] == {"newest": float(START + 10)} and stored() == {"t4_m00010"}
    if status == ChannelStatus.DISABLED:
        return
    sync(capsys)
    assert stored() == {"t4_m00010", "t4_m00020", "t4_m00021"}


def test_a_private_answer_goes_into_the_conversation_never_as_a_comment(organisation, reddit):
    channel = add_channel("messages=on")
    connector, credentials = CONNECTORS["reddit"], channel_credentials(channel=channel)
    reddit.converse(10, 2)
    result = connector.publish(
        channel=channel, credentials=credentials, text="Collected tomorrow", idempotency_key="a1",
        in_reply_to="t4_m00011",
    )  # fmt: skip
    assert [(sent["thing_id"], sent["text"]) for sent in reddit.answers] == [("t4_m00011", "Collected tomorrow")]
    assert reddit.replies == []  # nothing public
    assert result.external_id == "t4_m80001" and result.url == "https://www.reddit.com/message/messages/m80001"
    answered = thread_items(reddit.threads[0])[-1]["data"]
    assert (answered["author"], answered["dest"], answered["body"]) == (
        "northfieldcc",
        "resident_jo",
        "Collected tomorrow",
    )


def test_a_private_answer_refused_unknown_or_failed_says_why(organisation, reddit):
    channel = add_channel("messages=on")
    connector, credentials = CONNECTORS["reddit"], channel_credentials(channel=channel)
    reddit.converse(10, 1)

    def answer(in_reply_to: str = "t4_m00010") -> None:
        connector.publish(channel=channel, credentials=credentials, text="Sorry", idempotency_key="a",
                          in_reply_to=in_reply_to)  # fmt: skip

    with pytest.raises(PostGone, match="the message being answered no longer exists"):
        answer("t4_gone1")
    reddit.refusing.add("resident_jo")
    with pytest.raises(ReplyRefused, match="has blocked the account or accepts messages only from people they chose"):
        answer()
    reddit.refusing.clear()
    reddit.network.fail_next(
        COMMENT, Canned(429, b'{"message": "Too Many Requests", "error": 429}', {"Retry-After": "30"})
    )
    with pytest.raises(ConnectorError, match="trying again in 30 seconds") as failure:
        answer()
    assert not failure.value.permanent and failure.value.retry_after == 30
    reddit.network.fail_next(COMMENT, Canned(403, b'{"message": "Forbidden", "error": 403}'))
    with pytest.raises(ConnectorError, match=re.escape("refused the stored access (HTTP 403)")) as failure:
        answer()
    assert failure.value.permanent and not isinstance(failure.value, ReplyRefused)
    assert reddit.answers == [] and reddit.replies == []
