"""X (Twitter) through Tweepy's API v2 client: mentions (and, for listening, recent search) in, posts, replies,
likes and reposts out, metrics.

The mentions timeline (GET /2/users/:id/mentions) runs newest first and pages backwards with a
pagination_token, so the cursor is `{"since_id": newest mention stored, "walk": the page token while a walk
back to it is under way, "top": that walk's newest id, "user_id": the account's id}`. `since_id` only moves
once the walk has reached it, so a run cut short continues the walk next time and never leaves a gap. Each
listening term's search cursor has the same shape.

With the channel option `messages=on` a run that has read the mentions also reads direct messages (GET
/2/dm_events, walked back by event id under the cursor's "messages"); a reply to one goes privately into its
conversation.

Access is either an OAuth 2.0 user access token (`access_token`; it expires after two hours: where signing in
stored a `refresh_token`, a 401 renews it once, see networks/tokens.py) or OAuth 1.0a user tokens that do not expire
(`consumer_key`, `consumer_secret`, `access_token`, `access_token_secret`), all in the vault.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from typing import Any

import requests
import tweepy

from townsquare.networks.base import (
    AccountMetrics,
    Connector,
    ConnectorError,
    FetchResult,
    MediaItem,
    PostGone,
    PublishResult,
    ReplyRefused,
    error_for_status,
    messages_on,
    walk_back,
)
from townsquare.networks.searchterms import SearchTerm
from townsquare.networks.tokens import renewed_access_token
from townsquare.networks.twitter.mapping import (
    DM_EVENT_FIELDS,
    DM_EXPANSIONS,
    DM_PREFIX,
    EXPANSIONS,
    MEDIA_FIELDS,
    TWEET_FIELDS,
    USER_FIELDS,
    message_id,
    message_to_record,
    page_to_records,
    user_to_author,
)
from townsquare.posts.normalise import AuthorRecord, PostRecord

# Tweepy's client always calls this host; requests are sent to API_URL instead (tests point it at the stand-in).
TWEEPY_HOST = "https://api.twitter.com"
API_URL = "https://api.x.com"
TIMEOUT_SECONDS = 20
# The mentions timeline gives at most 100 a page (and 5 at least).
PAGE_SIZE = 100
# GET /2/tweets takes at most 100 ids.
LOOKUP_SIZE = 100
ALT_TEXT_LIMIT = 1000
WHAT = "the X API"
OAUTH1 = ("consumer_key", "consumer_secret", "access_token", "access_token_secret")
# What a 403 means for one call: given X's words and whether they are about the app's or token's access, the
# error to raise (None: the usual handling).
Forbidden = Callable[[str, bool], ConnectorError | None]
# X answers 403 when a reply or like names a tweet that was deleted or that the account cannot see.
GONE_WORDS = ("deleted", "not visible", "not found")


class _Session(requests.Session):
    """Tweepy's v2 client sends its requests without a timeout; this one has one, and sends them to API_URL. With
    `renew` (an OAuth 2.0 access token stored with a refresh token), a 401 renews the token once and sends the
    request again with it: X's access tokens expire after two hours."""

    def __init__(self, renew: Callable[[], str] | None = None) -> None:
        super().__init__()
        self.renew = renew

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", TIMEOUT_SECONDS)
        if url.startswith(TWEEPY_HOST):
            url = API_URL + url[len(TWEEPY_HOST) :]
        response = super().request(method, url, *args, **kwargs)
        if response.status_code == 401 and self.renew is not None:
            # Once: a 401 with a new token is the account's access refused, reported as such.
            renew, self.renew = self.renew, None
            response.close()
            kwargs["headers"] = {**(kwargs.get("headers") or {}), "Authorization": f"Bearer {renew()}"}
            response = super().request(method, url, *args, **kwargs)
        return response


class _Account:
    """A Tweepy client for the channel's account and whether it signs with OAuth 1.0a (`user_auth`)."""

    def __init__(self, channel, credentials: dict[str, str]) -> None:
        renew = None
        if credentials.get("access_token_secret"):
            missing = [name for name in OAUTH1 if not credentials.get(name)]
            if missing:
                raise ConnectorError(
                    f"the channel has no {', '.join(missing)} for OAuth 1.0a: add it again with --credential",
                    permanent=True,
                )
            self.client = tweepy.Client(**{name: credentials[name] for name in OAUTH1}, return_type=dict)
            self.user_auth = True
        elif credentials.get("access_token"):
            # An OAuth 2.0 user access token is sent as the bearer token (Tweepy's user_auth=False).
            self.client = tweepy.Client(bearer_token=credentials["access_token"], return_type=dict)
            self.user_auth = False
            if credentials.get("refresh_token"):
                renew = partial(self._renew, channel, credentials)
        else:
            raise ConnectorError(
                "the channel has no X access token: add it again with --token (OAuth 2.0) or with --credential "
                "consumer_key, consumer_secret, access_token and access_token_secret (OAuth 1.0a)",
                permanent=True,
            )
        self.client.session = _Session(renew)

    def _renew(self, channel, credentials: dict[str, str]) -> str:
        self.client.bearer_token = renewed_access_token(channel, credentials)
        return self.client.bearer_token

    def user_id(self, channel, cursor: dict[str, Any]) -> str:
        known = (channel.options or {}).get("user_id") or cursor.get("user_id")
        if known:
            return str(known)
        return _data(self.client.get_me(user_auth=self.user_auth))["id"]

    def upload(self, item: MediaItem) -> str:
        """POST /2/media/upload (base64 in JSON), then the alt text with POST /2/media/metadata."""
        if len(item.alt_text) > ALT_TEXT_LIMIT:
            raise ConnectorError(f"X takes alt text of at most {ALT_TEXT_LIMIT} characters", permanent=True)
        body = {"media": base64.b64encode(item.data).decode(), "media_category": "tweet_image",
                "media_type": item.mime_type}  # fmt: skip
        uploaded = self.client.request("POST", "/2/media/upload", json=body, user_auth=self.user_auth)
        media_id = _data(uploaded.json())["id"]
        if item.alt_text:
            metadata = {"id": media_id, "metadata": {"alt_text": {"text": item.alt_text}}}
            self.client.request("POST", "/2/media/metadata", json=metadata, user_auth=self.user_auth)
        return media_id


class TwitterConnector(Connector):
    kind = "twitter"
    capabilities = frozenset({"fetch_mentions", "search", "publish", "reply", "like", "share", "metrics"})
    # The mentions timeline allows few requests per 15 minutes on the smaller paid tiers.
    sync_interval = 900
    search_kinds = frozenset({"word", "phrase", "hashtag", "mention", "author", "domain"})

    def fetch(self, *, channel, credentials: dict[str, str], cursor: dict[str, Any]) -> FetchResult:
        account = _Account(channel, credentials)
        if cursor.get("phase") == "messages" and messages_on(channel):
            return self._messages(account, channel, cursor)
        since, walk = cursor.get("since_id"), cursor.get("walk")
        with _errors():
            user_id = account.user_id(channel, cursor)
            page = account.client.get_users_mentions(
                user_id, max_results=PAGE_SIZE, since_id=since, pagination_token=walk, tweet_fields=TWEET_FIELDS,
                expansions=EXPANSIONS, user_fields=USER_FIELDS, media_fields=MEDIA_FIELDS, user_auth=account.user_auth,
            )  # fmt: skip
            records = page_to_records(_page(page))
        messages = {"messages": cursor["messages"]} if cursor.get("messages") else {}
        result = _since_walk(cursor, records, page, user_id=user_id, **messages)
        if not result.more and messages_on(channel):
            # The mentions are read: the direct messages next, in a call of their own (the run asks again).
            result.cursor["phase"], result.more = "messages", True
        return result

    def _messages(self, account: _Account, channel, cursor: dict[str, Any]) -> FetchResult:
        """One page of GET /2/dm_events (every conversation's messages, newest first), walked back to the newest
        event stored (`walk_back` over event ids, under the cursor's "messages"). Only one-to-one conversations
        are read: Townsquare's private conversations are between the channel and one person."""
        state = cursor.get("messages") or {}
        with _errors(forbidden=_messages_forbidden):
            user_id = account.user_id(channel, cursor)
            page = account.client.get_direct_message_events(
                event_types="MessageCreate", max_results=PAGE_SIZE, pagination_token=state.get("walk"),
                dm_event_fields=DM_EVENT_FIELDS, expansions=DM_EXPANSIONS, user_fields=USER_FIELDS,
                media_fields=MEDIA_FIELDS, user_auth=account.user_auth,
            )  # fmt: skip
            events = _page(page).get("data") or []
            # walk_back only compares the markers (event ids, which grow with time); the events it keeps are
            # mapped below.
            walked = walk_back(
                cursor=state, page=[(event["id"], event) for event in events],
                next_page=(page.get("meta") or {}).get("next_token"), order=int,
            )  # fmt: skip
            records = self._message_records(account, channel, user_id, walked.records, page.get("includes") or {})
        kept = {name: value for name, value in cursor.items() if name not in ("phase", "messages")}
        more = {"phase": "messages"} if walked.more else {}
        return FetchResult(records=records, cursor={**kept, "messages": walked.cursor, **more}, more=walked.more)

    def _message_records(
        self, account: _Account, channel, user_id: str, events: list[dict[str, Any]], includes: dict[str, Any]
    ) -> list[PostRecord]:
        users = {user["id"]: user for user in includes.get("users") or []}
        media = {item["media_key"]: item for item in includes.get("media") or []}
        # A one-to-one conversation's id is its two members' ids joined by "-".
        people = {event["id"]: _other_member(event, user_id) for event in events}
        unknown = sorted({person for person in people.values() if person and person not in users})
        if unknown:
            # The person the channel wrote to is only included when they wrote on the same page.
            found = account.client.get_users(ids=unknown, user_fields=USER_FIELDS, user_auth=account.user_auth)
            users |= {user["id"]: user for user in found.get("data") or []}
        records = []
        for event in events:
            person = people[event["id"]]
            if not person:
                continue  # a group conversation
            sender = str(event["sender_id"])
            if sender == user_id:
                if person not in users:
                    continue  # written to an account since deleted or suspended: no one to file it with
                author = AuthorRecord(external_id=user_id, handle=channel.handle, display_name=channel.display_name)
                direct_to = users[person]["username"]
            else:
                author, direct_to = user_to_author(users.get(sender), sender), channel.handle
            records.append(message_to_record(event, author=author, direct_to=direct_to, media=media))
        return records

    def search(self, *, channel, credentials: dict[str, str], term: SearchTerm, cursor: dict[str, Any]) -> FetchResult:
        """GET /2/tweets/search/recent (the last seven days), newest first: the term's cursor walks back with
        since_id as the mentions timeline does. Reposts are left out: their text is cut short, so none would
        match a query."""
        account = _Account(channel, credentials)

        def recent(cursor: dict[str, Any]) -> dict[str, Any]:
            return account.client.search_recent_tweets(
                f"{_search_query(term)} -is:retweet", max_results=PAGE_SIZE, since_id=cursor.get("since_id"),
                next_token=cursor.get("walk"), tweet_fields=TWEET_FIELDS, expansions=EXPANSIONS,
                user_fields=USER_FIELDS, media_fields=MEDIA_FIELDS, user_auth=account.user_auth,
            )  # fmt: skip

        with _errors(forbidden=_search_forbidden):
            try:
                page = recent(cursor)
            except tweepy.BadRequest as error:
                if not cursor.get("since_id") or not any("since_id" in said for said in error.api_messages):
                    raise
                # The term's newest post is older than the seven days recent search reaches, and X refuses such
                # a since_id: nothing between is reachable any more, so the term starts again from its newest.
                cursor = {}
                page = recent(cursor)
            records = page_to_records(_page(page))
        return _since_walk(cursor, records, page)

    def publish(
        self,
        *,
        channel,
        credentials: dict[str, str],
        text: str,
        idempotency_key: str,
        in_reply_to: str | None = None,
        media: Sequence[MediaItem] = (),
    ) -> PublishResult:
        account = _Account(channel, credentials)
        if in_reply_to and in_reply_to.startswith(DM_PREFIX):
            return self._message(account, in_reply_to, text, media)
        # X has no idempotency key: a publish retried after a lost answer can post twice.
        with _errors(gone="the post being replied to"):
            media_ids = [account.upload(item) for item in media]
            created = _data(
                account.client.create_tweet(
                    text=text, in_reply_to_tweet_id=in_reply_to or None, media_ids=media_ids or None,
                    user_auth=account.user_auth,
                )
            )  # fmt: skip
        return PublishResult(external_id=created["id"], url=f"https://x.com/{channel.handle}/status/{created['id']}")

    def _message(self, account: _Account, in_reply_to: str, text: str, media: Sequence[MediaItem]) -> PublishResult:
        """A private answer, into the conversation of the message answered (POST
        /2/dm_conversations/:dm_conversation_id/messages)."""
        if media:
            raise ReplyRefused("Townsquare cannot attach images to an X direct message yet")
        conversation = in_reply_to.removeprefix(DM_PREFIX).split("/")[0]
        with _errors(gone="the conversation being answered", forbidden=_message_refused):
            answer = account.client.create_direct_message(
                dm_conversation_id=conversation, text=text, user_auth=account.user_auth
            )
            sent = _data(answer)
            return PublishResult(
                external_id=message_id(sent.get("dm_conversation_id") or conversation, sent["dm_event_id"])
            )

    def like(self, *, channel, credentials: dict[str, str], external_id: str) -> None:
        account = _Account(channel, credentials)
        gone = "the post being liked"
        with _errors(gone=gone):
            _data(account.client.like(external_id, user_auth=account.user_auth), gone=gone)

    def share(self, *, channel, credentials: dict[str, str], external_id: str) -> PublishResult:
        account = _Account(channel, credentials)
        gone = "the post being reposted"
        with _errors(gone=gone):
            done = _data(account.client.retweet(external_id, user_auth=account.user_auth), gone=gone)
        # The answer only says `retweeted`; a repost is known by the post it shares.
        shared = done.get("rest_id") or done.get("id") or external_id
        return PublishResult(external_id=str(shared), url=f"https://x.com/{channel.handle}/status/{external_id}")

    def fetch_metrics(self, *, channel, credentials: dict[str, str], external_ids: Sequence[str]) -> AccountMetrics:
        account = _Account(channel, credentials)
        posts: dict[str, dict[str, int]] = {}
        with _errors():
            me = _data(account.client.get_me(user_fields=["public_metrics"], user_auth=account.user_auth))
            for start in range(0, len(external_ids), LOOKUP_SIZE):
                batch = list(external_ids[start : start + LOOKUP_SIZE])
                # Deleted posts are left out of `data` (and named in `errors`); they have no counts to read.
                found = account.client.get_tweets(batch, tweet_fields=["public_metrics"], user_auth=account.user_auth)
                for tweet in found.get("data") or []:
                    counts = tweet.get("public_metrics") or {}
                    posts[tweet["id"]] = {
                        name: counts[field]
                        for name, field in (
                            ("likes", "like_count"),
                            ("shares", "retweet_count"),
                            ("replies", "reply_count"),
                            ("views", "impression_count"),
                        )  # fmt: skip
                        if counts.get(field) is not None
                    }
        return AccountMetrics(followers=(me.get("public_metrics") or {}).get("followers_count"), posts=posts)


def _since_walk(cursor: dict[str, Any], records: list[PostRecord], page: dict[str, Any], **keep: Any) -> FetchResult:
    """The next cursor of a list X serves newest first with since_id and next_token (`keep`: more to carry). A
    cursor without since_id (a new channel or term) takes the newest page only; with one, the run walks back
    page by page, and since_id moves to the walk's newest id ("top") only when the walk has met it."""
    since = cursor.get("since_id")
    meta = page.get("meta") or {}
    top = cursor.get("top") or meta.get("newest_id") or since
    if since and meta.get("next_token"):
        walking = {**keep, "since_id": since, "walk": meta["next_token"], "top": top}
        return FetchResult(records=records, cursor=walking, more=True)
    return FetchResult(records=records, cursor={**keep, **({"since_id": top} if top else {})})


def _search_query(term: SearchTerm) -> str:
    """X's search operators: "exact phrase", #hashtag, @mention, from:, url:. A word that is not plain letters
    and digits (X would read some signs as operators) is quoted."""
    if term.kind in ("phrase", "domain") or (term.kind == "word" and not term.value.isalnum()):
        value = '"' + term.value.replace('"', "") + '"'
    else:
        value = term.value
    return {"hashtag": "#", "mention": "@", "author": "from:", "domain": "url:"}.get(term.kind, "") + value


def _page(page: Any) -> dict[str, Any]:
    """A list answer: `data` (absent when empty) or, when X refused the whole request, only `errors`."""
    if not isinstance(page, dict):
        raise ValueError("not a JSON object")
    if "data" not in page and page.get("errors") and not (page.get("meta") or {}).get("result_count") == 0:
        raise ConnectorError(f"{WHAT} refused the request: {_problem(page['errors'][0])}")
    return page


def _data(answer: Any, *, gone: str = "") -> dict[str, Any]:
    """The `data` object of a single answer; X says why in `errors` when there is none."""
    if not isinstance(answer, dict):
        raise ValueError("not a JSON object")
    if not isinstance(answer.get("data"), dict):
        problems = answer.get("errors") or []
        if gone and problems and str(problems[0].get("type", "")).endswith("/resource-not-found"):
            raise PostGone(f"{gone} no longer exists on X (it was deleted)")
        if problems:
            raise ConnectorError(f"{WHAT} refused the request: {_problem(problems[0])}")
        raise KeyError("data")
    return answer["data"]


def _problem(problem: Any) -> str:
    if not isinstance(problem, dict):
        return str(problem)
    return str(problem.get("detail") or problem.get("message") or problem.get("title") or problem)


@contextmanager
def _errors(*, gone: str = "", forbidden: Forbidden | None = None) -> Iterator[None]:
    """Turn Tweepy's and requests' exceptions into ConnectorError in plain words. `forbidden`: what a 403 means
    for this call, given X's words and whether they are about the app's or the token's access."""
    try:
        yield
    except tweepy.HTTPException as error:
        status, headers = error.response.status_code, error.response.headers
        said = "; ".join(error.api_messages) or ""
        if status == 403 and forbidden is not None and (found := forbidden(said, _is_auth_problem(error))):
            raise found from error
        if gone and status in (403, 404) and any(word in said.lower() for word in GONE_WORDS):
            raise PostGone(f"{gone} no longer exists on X (it was deleted) or cannot be seen") from error
        if gone and status == 404:
            raise PostGone(f"{gone} no longer exists on X (it was deleted)") from error
        if gone and status == 403 and said and not _is_auth_problem(error):
            # A refusal of this one post (duplicate text, a reply the author does not allow): the account's
            # access is fine.
            raise ConnectorError(f"{WHAT} refused the request (HTTP 403): {said}") from error
        found = error_for_status(status, what=WHAT, headers=headers)
        if said and not found.permanent and status != 429 and status < 500:
            found = ConnectorError(f"{found.message}: {said}")
        raise found from error
    except requests.Timeout as error:
        raise ConnectorError(f"could not reach {WHAT}: the request timed out; will try again later") from error
    except requests.ConnectionError as error:
        raise ConnectorError(f"could not reach {WHAT}: no answer; will try again later") from error
    except ValueError as error:
        raise ConnectorError(f"{WHAT} sent an answer that is not valid JSON; will try again later") from error
    except (KeyError, TypeError, AttributeError) as error:
        raise ConnectorError(f"{WHAT} sent an answer Townsquare cannot read; will try again later") from error


def _is_auth_problem(error: tweepy.HTTPException) -> bool:
    """X's 403s that mean the app or the token lacks access (not enrolled, missing scope, suspended). X sends the
    problem as the whole body or inside `errors`."""
    try:
        body = error.response.json()
    except ValueError:
        body = None
    for problem in [*error.api_errors, body]:
        if isinstance(problem, dict):
            kind = str(problem.get("type") or "") + str(problem.get("reason") or "")
            if any(word in kind for word in ("client-forbidden", "client-not-enrolled", "unsupported-authentication")):
                return True
    return False


def _other_member(event: dict[str, Any], user_id: str) -> str:
    """The person in a one-to-one conversation with the account ("" for a group conversation)."""
    members = str(event["dm_conversation_id"]).split("-")
    if len(members) != 2 or user_id not in members:
        return ""
    return members[1] if members[0] == user_id else members[0]


def _messages_forbidden(said: str, auth_problem: bool) -> ConnectorError:
    return ConnectorError(
        f"{WHAT} refused to read the account's direct messages (HTTP 403{': ' + said if said else ''}): the access "
        "was given without the dm.read permission, or the app's X API plan does not include direct messages. "
        "Reconnect the account by signing in (it asks for dm.read and dm.write), or remove the option messages=on",
        permanent=True,
    )


def _message_refused(said: str, auth_problem: bool) -> ConnectorError | None:
    """A 403 on one private answer that is not about the app's access: X will not deliver it to this person."""
    if auth_problem:
        return None
    return ReplyRefused(
        f"X refused the private message (HTTP 403{': ' + said if said else ''}): the person may not accept direct "
        "messages from this account, so answer them on X itself. If every private answer is refused, reconnect "
        "the account by signing in so that it may send direct messages (dm.write)"
    )


def _search_forbidden(said: str, auth_problem: bool) -> ConnectorError:
    """Any 403 from recent search: the same run has just read the mentions, so the account's access is fine and
    it is search that the app's X API plan does not include. The channel stays enabled."""
    return ConnectorError(
        f"{WHAT} refused to search recent posts for listening (HTTP 403{': ' + said if said else ''}). Recent "
        "search needs an X API plan that includes it (Basic or above); mentions are still read. Upgrade the app's "
        "plan, or switch listening by search off for this channel"
    )
