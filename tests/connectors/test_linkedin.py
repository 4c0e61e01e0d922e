"""LinkedIn organisation pages through the Community Management API pointed at the local stand-in: comments on
the organisation's posts in; posts with images and alt text, replies and metrics out. Payloads follow the shapes
LinkedIn documents for the Posts, Social Actions, Reactions, Images and Network Sizes APIs."""

from __future__ import annotations

import dataclasses
import json
import time
from urllib.parse import parse_qs, quote

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.connectors.conftest import Canned
from townsquare.channels.models import Channel, ChannelStatus
from townsquare.channels.services import channel_credentials
from townsquare.networks import oauth2
from townsquare.networks.base import ConnectorError, MediaItem, PostGone
from townsquare.networks.connectors import CONNECTORS
from townsquare.networks.linkedin import api as linkedin_api
from townsquare.networks.linkedin.mapping import from_little_text, to_little_text
from townsquare.networks.sync import channel_sync
from townsquare.posts.models import Post

ORG = "2414183"
AUTHOR = f"urn:li:organization:{ORG}"
TOKEN = "AQVlinkedinmembertoken000000"
REFRESH = "AQWlinkedinrefreshtoken00000"
TOKEN_ENDPOINT = "/oauth/v2/accessToken"
POSTS = "/rest/posts"
JSON = {"Content-Type": "application/json"}
# Posts are recent, so that they fall inside the window the connector reads.
START_MS = int((time.time() - 86400) * 1000)


def comments_path(urn: str) -> str:
    return f"/rest/socialActions/{quote(urn, safe='')}/comments"


def problem(status: int, code: str, message: str, service: int = 65601) -> bytes:
    return json.dumps({"status": status, "serviceErrorCode": service, "code": code, "message": message}).encode()


class FakeLinkedIn:
    def __init__(self, network) -> None:
        self.network = network
        self.posts: list[dict] = []
        self.comments: dict[str, list[dict]] = {}
        self.gone: set[str] = set()
        self.created: list[dict] = []
        self.replies: list[tuple[str, dict]] = []
        self.images: list[tuple[str, bytes]] = []
        # (actor, root) of each reaction made.
        self.reactions: list[tuple[str, str]] = []
        # The access tokens LinkedIn accepts now, and each renewal asked for.
        self.access_tokens = {TOKEN}
        self.renewals: list[dict] = []
        network.routes.update(
            {
                ("POST", TOKEN_ENDPOINT): self._token,
                ("POST", "/rest/reactions"): self._react,
                ("GET", POSTS): self._list_posts,
                ("POST", POSTS): self._create,
                ("POST", "/rest/images"): self._initialise,
                ("GET", f"/rest/networkSizes/{quote(AUTHOR, safe='')}"): lambda q, b, h: (
                    200,
                    {"firstDegreeSize": 9120},
                ),
            }
        )

    def post(self, number: int, text: str = "") -> str:
        urn = f"urn:li:share:{7100000000000000000 + number}"
        self.posts.append(
            {
                "id": urn,
                "author": AUTHOR,
                "commentary": text or f"Spring clean-up day {number}",
                "createdAt": START_MS + number * 1000,
                "publishedAt": START_MS + number * 1000,
                "lastModifiedAt": START_MS + number * 1000,
                "visibility": "PUBLIC",
                "lifecycleState": "PUBLISHED",
                "distribution": {
                    "feedDistribution": "MAIN_FEED",
                    "targetEntities": [],
                    "thirdPartyDistributionChannels": [],
                },
            }
        )
        self.comments[urn] = []
        self.network.routes[("GET", comments_path(urn))] = lambda q, b, h, u=urn: self._list_comments(u, q)
        self.network.routes[("POST", comments_path(urn))] = lambda q, b, h, u=urn: self._reply(u, b)
        self.network.routes[("GET", f"/rest/socialActions/{quote(urn, safe='')}")] = lambda q, b, h, u=urn: (
            self._actions(u)
        )
        return urn

    def comment(self, post: str, second: int, text: str = "", parent: str = "") -> str:
        activity = post.replace("share", "activity")
        comment_id = str(7200000000000000000 + second)
        urn = f"urn:li:comment:({activity},{comment_id})"
        item = {
            "actor": "urn:li:person:A1b2C3",
            "commentUrn": urn,
            "id": comment_id,
            "object": activity,
            "created": {"actor": "urn:li:person:A1b2C3", "time": START_MS + second * 1000},
            "lastModified": {"actor": "urn:li:person:A1b2C3", "time": START_MS + second * 1000},
            "message": {"text": text or f"Where do we meet? {second}", "attributes": []},
            "likesSummary": {"totalLikes": 2, "likedByCurrentUser": False},
            "commentsSummary": {"aggregatedTotalComments": 0, "totalFirstLevelComments": 0},
        }
        if parent:
            item["parentComment"] = parent
        self.comments[post].append(item)
        self.network.routes[("POST", comments_path(urn))] = lambda q, b, h, u=urn: self._reply(u, b)
        return urn

    def _page(self, items: list[dict], query) -> dict:
        start, count = int(query["start"][0]), int(query["count"][0])
        return {
            "elements": items[start : start + count],
            "paging": {"start": start, "count": count, "total": len(items), "links": []},
        }

    def expire(self) -> None:
        """60 days have passed: every access token given so far has expired."""
        self.access_tokens.clear()

    def _authorised(self, headers) -> bool:
        return (headers.get("Authorization") or "").removeprefix("Bearer ") in self.access_tokens

    def _expired(self) -> tuple[int, dict]:
        return 401, json.loads(problem(401, "EXPIRED_ACCESS_TOKEN", "The token used in the request has expired"))

    def _token(self, query, body, headers) -> tuple[int, dict]:
        """POST /oauth/v2/accessToken, grant_type=refresh_token: a new access token; the refresh token stays the
        same (its year does not start again)."""
        form = {key: values[-1] for key, values in parse_qs(body.decode()).items()}
        self.renewals.append({"form": form, "authorization": headers.get("Authorization")})
        if form.get("grant_type") != "refresh_token" or form.get("refresh_token") != REFRESH:
            return 400, {"error": "invalid_request", "error_description": "Unable to retrieve access token"}
        access = f"li-access-{len(self.renewals)}"
        self.access_tokens.add(access)
        scope = "r_organization_social,w_organization_social"
        return 200, {"access_token": access, "expires_in": 5183999, "refresh_token": REFRESH,
                     "refresh_token_expires_in": 31103999, "scope": scope}  # fmt: skip

    def _list_posts(self, query, body, headers) -> tuple[int, dict]:
        if not self._authorised(headers):
            return self._expired()
        assert headers["LinkedIn-Version"] == linkedin_api.API_VERSION and query["q"] == ["author"]
        assert query["author"] == [AUTHOR]
        return 200, self._page(sorted(self.posts, key=lambda post: -post["createdAt"]), query)

    def _list_comments(self, urn: str, query) -> tuple[int, dict]:
        return 200, self._page(self.comments[urn], query)

    def _reply(self, target: str, body: bytes) -> tuple[int, dict]:
        if target in self.gone:
            return 404, json.loads(problem(404, "NOT_FOUND", "Not Found", 100))
        form = json.loads(body)
        self.replies.append((target, form))
        comment_id = str(7300000000000000000 + len(self.replies))
        return 201, {
            "actor": form["actor"],
            "id": comment_id,
            "commentUrn": f"urn:li:comment:({form['object']},{comment_id})",
            "message": form["message"],
            "object": form["object"],
        }

    def _initialise(self, query, body, headers) -> tuple[int, dict]:
        assert query["action"] == ["initializeUpload"]
        image = f"urn:li:image:C4E10AQ{len(self.images)}"
        upload = f"/upload/{len(self.images)}"
        self.images.append((image, b""))
        self.network.routes[("PUT", upload)] = lambda q, b, h, i=image: self._uploaded(i, b)
        return 200, {
            "value": {"uploadUrlExpiresAt": START_MS + 10**7, "uploadUrl": self.network.url + upload, "image": image}
        }

    def _react(self, query, body, headers) -> tuple[int, dict, dict]:
        assert headers["LinkedIn-Version"] == linkedin_api.API_VERSION
        actor, form = query["actor"][0], json.loads(body)
        assert form["reactionType"] == "LIKE"
        root = form["root"]
        if root in self.gone or not any(post["id"] == root for post in self.posts):
            return 404, json.loads(problem(404, "NOT_FOUND", "Not Found", 100)), {}
        if (actor, root) in self.reactions:
            return 409, json.loads(problem(409, "CONFLICT", "Reaction already exists", 100)), {}
        self.reactions.append((actor, root))
        reaction = f"urn:li:reaction:({actor},{root.replace('share', 'activity')})"
        made = {"id": reaction, "root": root, "reactionType": "LIKE", "created": {"actor": actor, "time": START_MS}}
        return 201, made, {"x-restli-id": reaction}

    def _uploaded(self, image: str, body: bytes) -> tuple[int, dict]:
        self.images = [(urn, body if urn == image else data) for urn, data in self.images]
        return 201, {}

    def _create(self, query, body, headers) -> tuple[int, dict, dict]:
        if not self._authorised(headers):
            return (*self._expired(), {})
        self.created.append(json.loads(body))
        return 201, {}, {"x-restli-id": f"urn:li:share:{7400000000000000000 + len(self.created)}"}

    def _actions(self, urn: str) -> tuple[int, dict]:
        if urn in self.gone:
            return 404, json.loads(problem(404, "NOT_FOUND", "Not Found", 100))
        return 200, {
            "likesSummary": {"totalLikes": 31},
            "commentsSummary": {"aggregatedTotalComments": len(self.comments[urn])},
            "target": urn,
        }


@pytest.fixture
def linkedin(fake_network, monkeypatch, settings) -> FakeLinkedIn:
    monkeypatch.setattr(linkedin_api, "API_URL", fake_network.url + "/rest")
    monkeypatch.setattr(linkedin_api, "TIMEOUT_SECONDS", 0.5)
    # The deployment's LinkedIn app, the one signing in uses, renews tokens at the stand-in's token endpoint.
    provider = dataclasses.replace(oauth2.PROVIDERS["linkedin"], token_url=fake_network.url + TOKEN_ENDPOINT)
    monkeypatch.setitem(oauth2.PROVIDERS, "linkedin", provider)
    settings.TOWNSQUARE_OAUTH_LINKEDIN_CLIENT_ID, settings.TOWNSQUARE_OAUTH_LINKEDIN_CLIENT_SECRET = "cid-li", "sec-li"
    return FakeLinkedIn(fake_network)


def add_channel(*extra: str) -> Channel:
    call_command(
        "channel",
        "add",
        "--org",
        "northfield",
        "--network",
        "linkedin",
        "--handle",
        "northfield-council",
        "--option",
        f"organization_id={ORG}",
        "--token",
        TOKEN,
        *extra,
    )
    return Channel.objects.get(network="linkedin")


def stored() -> list[str]:
    return sorted(Post.objects.filter(network="linkedin").values_list("external_id", flat=True))


def sync(capsys) -> str:
    call_command("sync", "--org", "northfield")
    return capsys.readouterr().out


def test_add_needs_the_organisation_and_a_token(organisation):
    with pytest.raises(CommandError, match="linkedin needs --option organization_id"):
        call_command(
            "channel", "add", "--org", "northfield", "--network", "linkedin", "--handle", "x", "--token", TOKEN
        )


def test_little_text_is_read_and_written():
    assert from_little_text(
        r"Join us {hashtag|\#|SpringClean} with @[Friends of Park](urn:li:organization:9) \(10am\)"
    ) == ("Join us #SpringClean with @Friends of Park (10am)")
    assert to_little_text("Bins (all) #bins @home") == r"Bins \(all\) {hashtag|\#|bins} \@home"


def test_posts_and_comments_are_mapped_and_stored_once(organisation, linkedin, capsys):
    post = linkedin.post(1, r"Spring clean-up on Saturday {hashtag|\#|Northfield}")
    first = linkedin.comment(post, 10, "Can children come too?")
    linkedin.comment(post, 20, "Yes, all welcome", parent=first)
    channel = add_channel()
    assert "fetched 3, stored 3, duplicates 0" in sync(capsys)
    own = Post.objects.get(external_id=post)
    assert own.text == "Spring clean-up on Saturday #Northfield" and own.hashtags == ["northfield"]
    comment = Post.objects.get(external_id=first)
    assert comment.in_reply_to_external_id == post and comment.author.external_id == "urn:li:person:A1b2C3"
    assert Post.objects.get(text="Yes, all welcome").in_reply_to_external_id == first
    channel.refresh_from_db()
    assert channel.sync_cursor == {"newest": START_MS + 20000}
    assert "stored 0, duplicates 1" in sync(capsys)


def test_later_runs_read_every_page_of_comments_and_posts(organisation, linkedin, capsys):
    old = linkedin.post(0)
    add_channel()
    sync(capsys)
    comments = [linkedin.comment(old, 100 + n) for n in range(120)]
    posts = [linkedin.post(300 + n) for n in range(60)]
    assert "stored 180, duplicates 1" in sync(capsys)
    assert stored() == sorted([old, *comments, *posts])


FAILURES = {
    "rate limited": (
        Canned(429, problem(429, "TOO_MANY_REQUESTS", "Resource level throttle limit"), {**JSON, "Retry-After": "60"}),
        "limiting requests (HTTP 429); trying again in 60 seconds",
        ChannelStatus.ERROR,
    ),
    "expired token": (
        Canned(401, problem(401, "EXPIRED_ACCESS_TOKEN", "The token used in the request has expired"), JSON),
        "refused the stored access (HTTP 401): reconnect the account with a new token (EXPIRED_ACCESS_TOKEN",
        ChannelStatus.DISABLED,
    ),
    "revoked token": (
        Canned(
            401,
            problem(401, "REVOKED_ACCESS_TOKEN", "The token used in the request has been revoked by the user"),
            JSON,
        ),
        "REVOKED_ACCESS_TOKEN",
        ChannelStatus.DISABLED,
    ),
    "permission taken away": (
        Canned(
            403,
            problem(
                403, "ACCESS_DENIED", "Not enough permissions to access: partnerApiPostsExternal.FINDER-author", 100
            ),
            JSON,
        ),
        "refused the stored access (HTTP 403)",
        ChannelStatus.DISABLED,
    ),
    "server error": (
        Canned(504, b"<html>Gateway Timeout</html>"),
        "had a problem of its own (HTTP 504)",
        ChannelStatus.ERROR,
    ),
    "malformed JSON": (Canned(200, b'{"elements": [', JSON), "not valid JSON", ChannelStatus.ERROR),
    "unreadable JSON": (
        Canned(200, b'{"elements": [{"commentary": "no id"}]}', JSON),
        "cannot read",
        ChannelStatus.ERROR,
    ),
    "timeout": (Canned(200, b"{}", JSON, delay=1.5), "the request timed out", ChannelStatus.ERROR),
}


@pytest.mark.parametrize("case", list(FAILURES))
def test_failures_are_recorded_in_plain_words_and_nothing_is_lost(case, organisation, linkedin, capsys):
    answer, words, status = FAILURES[case]
    post = linkedin.post(0)
    first = [post, linkedin.comment(post, 1)]
    channel = add_channel()
    sync(capsys)
    later = [linkedin.comment(post, 10 + n) for n in range(60)] + [linkedin.post(100)]
    linkedin.network.fail_next(POSTS, answer)
    channel.refresh_from_db()
    cursor = channel.sync_cursor
    report = channel_sync(channel=channel)
    channel.refresh_from_db()
    assert channel.status == status and words in channel.last_error and channel.sync_cursor == cursor
    assert report.permanent == (status == ChannelStatus.DISABLED)
    if case == "rate limited":
        assert report.retry_after == 60
    assert stored() == sorted(first)
    call_command("sync", "--org", "northfield", "--channel", str(channel.id))
    assert stored() == sorted(first + later)


def test_publish_with_images_and_alt_text_and_replies(organisation, linkedin):
    channel = add_channel()
    connector = CONNECTORS["linkedin"]
    credentials = {"access_token": TOKEN}
    one = MediaItem(data=b"\x89PNG one", mime_type="image/png", alt_text="Volunteers in the park")
    made = connector.publish(
        channel=channel,
        credentials=credentials,
        text="Thank you (all of you) #SpringClean",
        idempotency_key="k",
        media=[one],
    )
    assert made.external_id == "urn:li:share:7400000000000000001"
    assert made.url == "https://www.linkedin.com/feed/update/urn:li:share:7400000000000000001/"
    [created] = linkedin.created
    assert created["author"] == AUTHOR and created["commentary"] == r"Thank you \(all of you\) {hashtag|\#|SpringClean}"
    assert created["content"] == {"media": {"id": "urn:li:image:C4E10AQ0", "altText": "Volunteers in the park"}}
    assert linkedin.images == [("urn:li:image:C4E10AQ0", b"\x89PNG one")]
    two = MediaItem(data=b"two", mime_type="image/jpeg", alt_text="New bins")
    connector.publish(
        channel=channel, credentials=credentials, text="Before and after", idempotency_key="k2", media=[one, two]
    )
    assert [image["altText"] for image in linkedin.created[1]["content"]["multiImage"]["images"]] == [
        "Volunteers in the park",
        "New bins",
    ]
    post = linkedin.post(1)
    comment = linkedin.comment(post, 5)
    on_post = connector.publish(
        channel=channel, credentials=credentials, text="More soon", idempotency_key="r1", in_reply_to=post
    )
    under = connector.publish(
        channel=channel, credentials=credentials, text="Yes, 10am", idempotency_key="r2", in_reply_to=comment
    )
    assert linkedin.replies[0] == (post, {"actor": AUTHOR, "message": {"text": "More soon"}, "object": post})
    activity = post.replace("share", "activity")
    assert linkedin.replies[1] == (
        comment,
        {"actor": AUTHOR, "message": {"text": "Yes, 10am"}, "object": activity, "parentComment": comment},
    )
    assert on_post.external_id.startswith("urn:li:comment:(") and under.external_id != on_post.external_id
    linkedin.gone.add(comment)
    with pytest.raises(PostGone, match="deleted"):
        connector.publish(
            channel=channel, credentials=credentials, text="Hello?", idempotency_key="g", in_reply_to=comment
        )
    with pytest.raises(ConnectorError, match="cannot attach images to LinkedIn comments"):
        connector.publish(
            channel=channel, credentials=credentials, text="x", idempotency_key="g2", in_reply_to=post, media=[one]
        )


def test_metrics_leave_out_deleted_posts(organisation, linkedin):
    channel = add_channel()
    posts = [linkedin.post(n) for n in range(3)]
    linkedin.comment(posts[0], 9)
    linkedin.gone.add(posts[2])
    metrics = CONNECTORS["linkedin"].fetch_metrics(
        channel=channel, credentials={"access_token": TOKEN}, external_ids=posts
    )
    assert metrics.followers == 9120
    assert metrics.posts == {posts[0]: {"likes": 31, "replies": 1}, posts[1]: {"likes": 31, "replies": 0}}


def test_a_post_answered_without_its_id_is_not_published_again(organisation, linkedin):
    channel = add_channel()
    linkedin.network.fail_next(POSTS, Canned(201, b""))
    with pytest.raises(ConnectorError, match="may have been made; check before trying again") as failed:
        CONNECTORS["linkedin"].publish(
            channel=channel, credentials={"access_token": TOKEN}, text="Bins as normal", idempotency_key="k"
        )
    assert failed.value.permanent


def test_like_is_a_reaction_by_the_organisation_and_a_second_like_is_done_already(organisation, linkedin):
    channel = add_channel()
    post = linkedin.post(1)
    like = CONNECTORS["linkedin"].like
    like(channel=channel, credentials={"access_token": TOKEN}, external_id=post)
    assert linkedin.reactions == [(AUTHOR, post)]
    # Liked before (here or on LinkedIn itself): LinkedIn answers 409, which is the like being there.
    like(channel=channel, credentials={"access_token": TOKEN}, external_id=post)
    assert linkedin.reactions == [(AUTHOR, post)] and linkedin.network.hits("/rest/reactions") == 2
    linkedin.gone.add(post)
    with pytest.raises(PostGone, match="the post being liked no longer exists"):
        like(channel=channel, credentials={"access_token": TOKEN}, external_id=post)


LIKE_FAILURES = {
    "refused": (
        Canned(403, problem(403, "ACCESS_DENIED", "Not enough permissions to access: reactions.CREATE", 100), JSON),
        "refused the stored access (HTTP 403): reconnect the account with a new token (ACCESS_DENIED",
        True,
        None,
    ),
    "rate limited": (
        Canned(429, problem(429, "TOO_MANY_REQUESTS", "Resource level throttle limit"), {**JSON, "Retry-After": "45"}),
        "limiting requests (HTTP 429); trying again in 45 seconds",
        False,
        45,
    ),
}


@pytest.mark.parametrize("case", list(LIKE_FAILURES))
def test_a_like_that_fails_says_why_and_likes_nothing(case, organisation, linkedin):
    answer, words, permanent, wait = LIKE_FAILURES[case]
    channel = add_channel()
    post = linkedin.post(1)
    linkedin.network.fail_next("/rest/reactions", answer)
    with pytest.raises(ConnectorError) as failed:
        CONNECTORS["linkedin"].like(channel=channel, credentials={"access_token": TOKEN}, external_id=post)
    assert words in failed.value.message and not isinstance(failed.value, PostGone)
    assert failed.value.permanent == permanent and failed.value.retry_after == wait and linkedin.reactions == []


# --- Access tokens renewed with the refresh token signing in stored ---


def test_an_expired_token_is_renewed_stored_and_the_call_made_again(organisation, linkedin, capsys):
    first = linkedin.post(0)
    channel = add_channel("--credential", f"refresh_token={REFRESH}")
    sync(capsys)
    assert not linkedin.renewals
    linkedin.expire()
    later = linkedin.post(1)
    assert "stored 1" in sync(capsys) and stored() == sorted([first, later])
    [renewal] = linkedin.renewals
    # LinkedIn takes the app's id and secret in the form, not in Basic auth.
    assert renewal["form"] == {
        "grant_type": "refresh_token",
        "refresh_token": REFRESH,
        "client_id": "cid-li",
        "client_secret": "sec-li",
    }
    assert renewal["authorization"] is None
    channel.refresh_from_db()
    assert channel_credentials(channel=channel) == {"access_token": "li-access-1", "refresh_token": REFRESH}
    assert channel.status == ChannelStatus.OK
    # A post written 60 days later renews it again, and is posted once.
    linkedin.expire()
    made = CONNECTORS["linkedin"].publish(
        channel=channel, credentials=channel_credentials(channel=channel), text="Bins on Monday", idempotency_key="k"
    )
    assert made.external_id and len(linkedin.created) == 1 and len(linkedin.renewals) == 2


def test_a_refused_renewal_disables_the_channel_until_it_is_reconnected(organisation, linkedin, capsys):
    first = linkedin.post(0)
    channel = add_channel("--credential", f"refresh_token={REFRESH}")
    sync(capsys)
    linkedin.expire()
    linkedin.post(1)
    refused = b'{"error":"invalid_grant","error_description":"The provided authorization grant is revoked"}'
    linkedin.network.fail_next(TOKEN_ENDPOINT, Canned(400, refused, JSON))
    report = channel_sync(channel=channel)
    channel.refresh_from_db()
    assert report.permanent and channel.status == ChannelStatus.DISABLED
    assert channel.last_error == (
        "LinkedIn refused to renew the access token (HTTP 400: The provided authorization grant is revoked): "
        "reconnect the account by signing in again"
    )
    assert channel_credentials(channel=channel) == {"access_token": TOKEN, "refresh_token": REFRESH}
    assert stored() == [first]


def test_without_a_refresh_token_an_expired_token_disables_the_channel(organisation, linkedin, capsys):
    channel = add_channel()
    linkedin.expire()
    report = channel_sync(channel=channel)
    channel.refresh_from_db()
    assert report.permanent and channel.status == ChannelStatus.DISABLED and "EXPIRED_ACCESS_TOKEN" in report.error
    assert not linkedin.renewals
