"""Reddit through PRAW pointed at the local stand-in: inbox mentions and comment replies in, replies out."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs

import prawcore
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.connectors.conftest import Canned
from townsquare.channels.models import Channel, ChannelStatus
from townsquare.channels.services import channel_credentials
from townsquare.networks.base import PostGone
from townsquare.networks.connectors import CONNECTORS
from townsquare.networks.reddit import connector as reddit_connector
from townsquare.posts.models import Post

MENTIONS = "/message/mentions"
REPLIES = "/message/comments/"
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


class FakeReddit:
    def __init__(self, network) -> None:
        self.network = network
        self.listings: dict[str, list[dict]] = {MENTIONS: [], REPLIES: []}
        self.replies: list[dict[str, str]] = []
        self.comments = {"t1_k00001"}
        network.routes.update(
            {
                ("POST", "/api/v1/access_token"): self._token,
                ("GET", MENTIONS): lambda query, body, headers: self._listing(MENTIONS, query),
                ("GET", REPLIES): lambda query, body, headers: self._listing(REPLIES, query),
                ("POST", "/api/comment/"): self._comment,
            }
        )

    def _token(self, query, body: bytes, headers) -> tuple[int, dict]:
        form = {key: values[-1] for key, values in parse_qs(body.decode()).items()}
        app = base64.b64decode(headers.get("Authorization", "").removeprefix("Basic ")).decode()
        if app != f"{SECRETS['client_id']}:{SECRETS['client_secret']}":
            return 401, {"message": "Unauthorized", "error": 401}
        if form.get("username") != "northfieldcc" or form.get("password") != SECRETS["password"]:
            return 200, {"error": "invalid_grant"}  # how Reddit answers a wrong password
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
        if form["thing_id"] not in self.comments:
            return 200, {"json": {"errors": [["DELETED_COMMENT", "that comment has been deleted", "parent"]]}}
        self.replies.append(form)
        made = comment(90000 + len(self.replies), form["text"], kind="", parent=form["thing_id"])["data"]
        made.update(author="northfieldcc", permalink=f"/r/northfield/comments/1abcde/bin_day/{made['id']}/")
        return 200, {"json": {"errors": [], "data": {"things": [{"kind": "t1", "data": made}]}}}

    def add(self, path: str, first: int, count: int) -> list[str]:
        made = [comment(n, f"u/northfieldcc bins missed on street {n}") for n in range(first, first + count)]
        self.listings[path] += made
        return [item["data"]["name"] for item in made]


@pytest.fixture
def reddit(fake_network, monkeypatch) -> FakeReddit:
    monkeypatch.setattr(reddit_connector, "OAUTH_URL", fake_network.url)
    monkeypatch.setattr(reddit_connector, "REDDIT_URL", fake_network.url)
    monkeypatch.setattr(reddit_connector, "TIMEOUT_SECONDS", 0.5)
    # PRAW retries 5xx answers and timeouts after a sleep of a few seconds; the tests need not wait.
    monkeypatch.setattr(prawcore.sessions.FiniteRetryStrategy, "_sleep_seconds", lambda self: None)
    return FakeReddit(fake_network)


def add_channel(**secrets: str) -> Channel:
    pairs = [f"--credential={key}={value}" for key, value in {**SECRETS, **secrets}.items()]
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


# Each case: the answers served in turn (PRAW tries a 5xx or a timeout three times), the words, the status.
FAILURES = {
    "server error": (
        [Canned(503, b"<html>down</html>")] * 3,
        "had a problem of its own (HTTP 503)",
        ChannelStatus.ERROR,
    ),
    "timeout": ([Canned(200, b"{}", delay=1.0)] * 3, "the request timed out", ChannelStatus.ERROR),
    "rate limited": (
        Canned(
            429,
            b'{"message": "Too Many Requests", "error": 429}',
            {"Content-Type": "application/json", "Retry-After": "60", "x-ratelimit-reset": "60"},
        ),  # fmt: skip
        "limiting requests (HTTP 429); trying again in 60 seconds",
        ChannelStatus.ERROR,
    ),
    "malformed JSON": (
        Canned(200, b'{"kind": "Listing", "data": {', {"Content-Type": "application/json"}),
        "not valid JSON",
        ChannelStatus.ERROR,
    ),
    "not a listing": (
        Canned(200, b'{"kind": "Thing", "data": {}}', {"Content-Type": "application/json"}),
        "an answer Townsquare cannot read",
        ChannelStatus.ERROR,
    ),
    "forbidden": (
        Canned(403, b'{"message": "Forbidden", "error": 403}', {"Content-Type": "application/json"}),
        "refused the stored access (HTTP 403)",
        ChannelStatus.DISABLED,
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
