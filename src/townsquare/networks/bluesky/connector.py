"""Bluesky through the atproto client: mentions, replies and quotes in from notifications, posts out.

listNotifications pages from the newest backwards, so the cursor is `{"newest": indexedAt of the newest
notification stored, "walk": the API's cursor while a walk back to it is under way, "top": that walk's
newest}`. `newest` only moves once the walk has reached it, so a run cut short continues the walk and
never leaves a gap. Posts are read with getPosts for counts and full-size image URLs.

With the channel option `messages=on` (the app password made with "Allow access to your direct messages") a
run that has caught up with notifications also reads chat (chat.bsky.convo, through the atproto-proxy header
to did:web:api.bsky.chat): conversations most recently active first, each one's messages newer than the
cursor's `"chat"` (the highest `rev` stored; revs are time-ordered ids) as direct messages, and a reply to a
chat message goes into its conversation with sendMessage.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

from atproto import Client, models
from atproto.exceptions import (
    AtProtocolError,
    BadRequestError,
    InvokeTimeoutError,
    ModelError,
    NetworkError,
    RateLimitExceededError,
    RequestErrorBase,
    UnauthorizedError,
)
from atproto_client.models.utils import get_model_as_dict, get_or_create
from atproto_client.request import Request

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
from townsquare.networks.bluesky.mapping import (
    MESSAGE_VIEW,
    chat_id,
    message_to_record,
    outgoing_facets,
    post_to_record,
)
from townsquare.networks.searchterms import SearchTerm
from townsquare.posts.normalise import PostRecord, parse_datetime

DEFAULT_SERVICE = "https://bsky.social"
# getPosts takes at most 25 uris, so one page of notifications is one getPosts call.
PAGE_SIZE = 25
TIMEOUT_SECONDS = 20
REASONS = {"mention", "reply", "quote"}
# searchPosts takes at most 100 a page.
SEARCH_PAGE_SIZE = 100
# app.bsky.embed.images allows four images on a post.
MAX_IMAGES = 4
# listConvos and getMessages take at most 100 a page; a run reads at most this many pages of each.
CHAT_PAGE_SIZE = 50
MAX_CHAT_PAGES = 10
CHAT_PREFIX = "chat/"

T = TypeVar("T")

# Logged-in sessions by (service, handle, password digest): one login serves every page and every sync in this
# process (createSession is limited to 300 a day per account); the client refreshes its own access token.
_SESSIONS: dict[tuple[str, str, str], _Session] = {}
_SESSIONS_LOCK = threading.Lock()


class BlueskyConnector(Connector):
    kind = "bluesky"
    capabilities = frozenset({"fetch_mentions", "search", "publish", "reply", "like", "share", "metrics"})
    sync_interval = 300
    search_kinds = frozenset({"word", "phrase", "hashtag", "mention", "author", "domain"})

    def _session(self, channel, credentials: dict[str, str]) -> _Session:
        password = credentials.get("app_password")
        if not password:
            raise ConnectorError(
                "the channel has no app password: add it again with --handle and --app-password", permanent=True
            )
        service = (channel.options or {}).get("service") or DEFAULT_SERVICE
        key = (service, channel.handle, hashlib.sha256(password.encode()).hexdigest())
        with _SESSIONS_LOCK:
            if key not in _SESSIONS:
                _SESSIONS[key] = _Session(service=service, handle=channel.handle, password=password)
            return _SESSIONS[key]

    def fetch(self, *, channel, credentials: dict[str, str], cursor: dict[str, Any]) -> FetchResult:
        session = self._session(channel, credentials)
        newest = cursor.get("newest")
        walk = cursor.get("walk")
        params = models.AppBskyNotificationListNotifications.Params(limit=PAGE_SIZE, cursor=walk or None)
        page = session.call(lambda client: client.app.bsky.notification.list_notifications(params))
        items = [get_model_as_dict(item) for item in page.notifications]
        seen = [item for item in items if newest and _time(item["indexedAt"]) <= _time(newest)]
        fresh = [item for item in items if item not in seen and item["reason"] in REASONS]
        records = session.posts([item["uri"] for item in fresh], reasons={i["uri"]: i["reason"] for i in fresh})
        top = cursor.get("top") or max((item["indexedAt"] for item in items), key=_time, default=newest)
        # A new channel takes the newest page only; an old one walks back until it meets what it has.
        done = not newest or bool(seen) or not page.cursor or not items
        chat = {"chat": cursor["chat"]} if cursor.get("chat") else {}
        if not done:
            walking = {"newest": newest, "walk": page.cursor, "top": top, **chat}
            return FetchResult(records=records, cursor=walking, more=True)
        if messages_on(channel):
            messages, rev = session.messages(since=chat.get("chat"))
            records += messages
            chat = {"chat": rev} if rev else {}
        return FetchResult(records=records, cursor={**({"newest": top} if top else {}), **chat})

    def search(self, *, channel, credentials: dict[str, str], term: SearchTerm, cursor: dict[str, Any]) -> FetchResult:
        """searchPosts, latest first, walked back to the newest post stored for this term (by indexedAt)."""
        session = self._session(channel, credentials)
        params = models.AppBskyFeedSearchPosts.Params(
            q=_search_query(term), sort="latest", limit=SEARCH_PAGE_SIZE, cursor=cursor.get("walk") or None
        )
        page = session.call(lambda client: client.app.bsky.feed.search_posts(params))
        posts = [get_model_as_dict(post) for post in page.posts]
        marked = [(_marker(post["indexedAt"]), post_to_record(post, reason="search")) for post in posts]
        return walk_back(cursor=cursor, page=marked, next_page=page.cursor)

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
        if len(media) > MAX_IMAGES:
            raise ConnectorError(f"Bluesky takes at most {MAX_IMAGES} images on a post", permanent=True)
        # Bluesky has no idempotency key: a publish retried after a lost answer can post twice.
        session = self._session(channel, credentials)
        if in_reply_to and in_reply_to.startswith(CHAT_PREFIX):
            if media:
                raise ReplyRefused("Townsquare cannot attach images to a Bluesky chat message yet")
            return session.send_message(in_reply_to.split("/")[1], text)
        reply_to = session.reply_ref(in_reply_to) if in_reply_to else None
        facets = [get_or_create(facet, models.AppBskyRichtextFacet.Main) for facet in outgoing_facets(text)]
        embed = session.images(media) if media else None
        created = session.call(
            lambda client: client.send_post(text, session.did, reply_to, embed=embed, facets=facets or None)
        )
        rkey = created.uri.rsplit("/", 1)[-1]
        return PublishResult(
            external_id=created.uri,
            url=f"https://bsky.app/profile/{channel.handle}/post/{rkey}",
            extra={"cid": created.cid},
        )

    def like(self, *, channel, credentials: dict[str, str], external_id: str) -> None:
        session = self._session(channel, credentials)
        subject = session.strong_ref(external_id, gone="the post being liked")
        record = models.AppBskyFeedLike.Record(created_at=_now(), subject=subject)
        session.call(lambda client: client.app.bsky.feed.like.create(session.did, record))

    def share(self, *, channel, credentials: dict[str, str], external_id: str) -> PublishResult:
        session = self._session(channel, credentials)
        subject = session.strong_ref(external_id, gone="the post being reposted")
        record = models.AppBskyFeedRepost.Record(created_at=_now(), subject=subject)
        created = session.call(lambda client: client.app.bsky.feed.repost.create(session.did, record))
        return PublishResult(external_id=created.uri, extra={"cid": created.cid})

    def fetch_metrics(self, *, channel, credentials: dict[str, str], external_ids: Sequence[str]) -> AccountMetrics:
        session = self._session(channel, credentials)
        params = models.AppBskyActorGetProfile.Params(actor=channel.handle)
        profile = session.call(lambda client: client.app.bsky.actor.get_profile(params))
        posts: dict[str, dict[str, int]] = {}
        for start in range(0, len(external_ids), PAGE_SIZE):
            batch = models.AppBskyFeedGetPosts.Params(uris=list(external_ids[start : start + PAGE_SIZE]))
            # Deleted posts are simply absent from the answer.
            for post in session.call(lambda client, batch=batch: client.app.bsky.feed.get_posts(batch)).posts:
                posts[post.uri] = {
                    "replies": post.reply_count or 0,
                    "shares": (post.repost_count or 0) + (post.quote_count or 0),
                    "likes": post.like_count or 0,
                }
        return AccountMetrics(followers=profile.followers_count, posts=posts)


class _Session:
    """One logged-in client; a call that meets an expired session logs in again once and repeats."""

    def __init__(self, *, service: str, handle: str, password: str) -> None:
        self.what = f"the Bluesky server {service}"
        self.handle, self.password = handle, password
        self.client = Client(base_url=service, request=Request(timeout=TIMEOUT_SECONDS))
        self.logged_in = False
        # The account's DID, which names the repository a post is written to.
        self.did = ""
        self.client.on_session_change(lambda event, session: setattr(self, "did", session.did))

    def _login(self) -> None:
        with _errors(self.what, login=True):
            self.client.login(self.handle, self.password, fetch_bsky_profile=False)
        self.logged_in = True

    def call(self, action: Callable[[Client], T], *, gone: str = "", chat: bool = False) -> T:
        """`action` with the logged-in client; `chat`: through the proxy to Bluesky's chat service."""
        if not self.logged_in:
            self._login()
        try:
            with _errors(self.what, gone=gone, chat=chat):
                return action(self.client.with_bsky_chat_proxy() if chat else self.client)
        except _Expired:
            self._login()
            with _errors(self.what, gone=gone, chat=chat):
                return action(self.client.with_bsky_chat_proxy() if chat else self.client)

    def messages(self, *, since: str | None) -> tuple[list[PostRecord], str | None]:
        """Chat messages with a rev after `since` and the highest rev seen. Conversations come most recently
        active first, so reading stops at the first one with nothing newer (a first run: the newest page)."""
        found, top, cursor = [], since, None
        for _ in range(MAX_CHAT_PAGES):
            params = models.ChatBskyConvoListConvos.Params(limit=CHAT_PAGE_SIZE, cursor=cursor)
            page = self.call(lambda client, params=params: client.chat.bsky.convo.list_convos(params), chat=True)
            convos = [get_model_as_dict(convo) for convo in page.convos]
            fresh = [convo for convo in convos if since is None or convo["rev"] > since]
            for convo in fresh:
                messages, rev = self._convo_messages(convo, since)
                found += messages
                top = max(filter(None, [top, convo["rev"], rev]))
            if since is None or len(fresh) < len(convos) or not page.cursor:
                break
            cursor = page.cursor
        return found, top

    def _convo_messages(self, convo: dict[str, Any], since: str | None) -> tuple[list[PostRecord], str | None]:
        """One conversation's messages newer than `since` (newest first; deleted ones are left out)."""
        found, top, cursor = [], None, None
        for _ in range(MAX_CHAT_PAGES):
            params = models.ChatBskyConvoGetMessages.Params(convo_id=convo["id"], limit=CHAT_PAGE_SIZE, cursor=cursor)
            page = self.call(lambda client, params=params: client.chat.bsky.convo.get_messages(params), chat=True)
            items = [get_model_as_dict(message) for message in page.messages]
            fresh = [item for item in items if since is None or item["rev"] > since]
            top = max([top or "", *(item["rev"] for item in fresh)]) or None
            found += [
                message_to_record(item, convo=convo, own_did=self.did, own_handle=self.handle)
                for item in fresh
                if item.get("$type") == MESSAGE_VIEW
            ]
            if since is None or len(fresh) < len(items) or not page.cursor:
                break
            cursor = page.cursor
        return found, top

    def send_message(self, convo_id: str, text: str) -> PublishResult:
        """A chat message into the conversation (a reply to one of its messages)."""
        data = models.ChatBskyConvoSendMessage.Data(
            convo_id=convo_id, message=models.ChatBskyConvoDefs.MessageInput(text=text)
        )
        sent = self.call(
            lambda client: client.chat.bsky.convo.send_message(data), gone="the chat conversation", chat=True
        )
        return PublishResult(external_id=chat_id(convo_id, sent.id))

    def posts(self, uris: list[str], *, reasons: dict[str, str]) -> list[PostRecord]:
        if not uris:
            return []
        params = models.AppBskyFeedGetPosts.Params(uris=uris)
        found = self.call(lambda client: client.app.bsky.feed.get_posts(params))
        # Posts deleted since the notification are simply absent from the answer.
        return [post_to_record(get_model_as_dict(post), reason=reasons.get(post.uri, "")) for post in found.posts]

    def images(self, media: Sequence[MediaItem]) -> models.AppBskyEmbedImages.Main:
        """Upload each image as a blob (its type in Content-Type) and embed them with their alt text."""
        images = []
        for item in media:
            uploaded = self.call(
                lambda client, item=item: client.com.atproto.repo.upload_blob(
                    item.data, headers={"Content-Type": item.mime_type}
                )
            )
            images.append(models.AppBskyEmbedImages.Image(alt=item.alt_text, image=uploaded.blob))
        return models.AppBskyEmbedImages.Main(images=images)

    def strong_ref(self, uri: str, *, gone: str) -> models.ComAtprotoRepoStrongRef.Main:
        """A post's uri and current cid, which likes and reposts name."""
        params = models.AppBskyFeedGetPosts.Params(uris=[uri])
        found = self.call(lambda client: client.app.bsky.feed.get_posts(params), gone=gone)
        if not found.posts:
            raise PostGone(f"{gone} no longer exists on {self.what} (it was deleted)")
        return models.ComAtprotoRepoStrongRef.Main(uri=found.posts[0].uri, cid=found.posts[0].cid)

    def reply_ref(self, uri: str) -> models.AppBskyFeedPost.ReplyRef:
        """A reply names its parent and the thread's root, each by uri and cid."""
        params = models.AppBskyFeedGetPosts.Params(uris=[uri])
        found = self.call(lambda client: client.app.bsky.feed.get_posts(params), gone="the post being replied to")
        if not found.posts:
            raise PostGone(f"the post being replied to no longer exists on {self.what} (it was deleted)")
        parent = found.posts[0]
        parent_ref = models.ComAtprotoRepoStrongRef.Main(uri=parent.uri, cid=parent.cid)
        root = parent.record.reply.root if getattr(parent.record, "reply", None) else parent_ref
        return models.AppBskyFeedPost.ReplyRef(parent=parent_ref, root=root)


class _Expired(Exception):
    """The access token ran out mid-session (HTTP 400 ExpiredToken); logging in again fixes it."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _time(value: str) -> datetime:
    return parse_datetime(value).astimezone(UTC)


def _marker(value: str) -> str:
    """indexedAt in one UTC format, so that markers compare as text."""
    return _time(value).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _search_query(term: SearchTerm) -> str:
    """Bluesky's search syntax: quoted phrases, #tags and from:, mentions:, domain: filters."""
    prefix = {"hashtag": "#", "mention": "mentions:", "author": "from:", "domain": "domain:"}.get(term.kind, "")
    return f'"{term.value}"' if term.kind == "phrase" else prefix + term.value


def _xrpc_error(error: RequestErrorBase) -> str:
    content = error.response.content if error.response is not None else None
    return getattr(content, "error", "") or ""


@contextmanager
def _errors(what: str, *, login: bool = False, gone: str = "", chat: bool = False) -> Iterator[None]:
    """Turn atproto's exceptions into ConnectorError in plain words."""
    try:
        yield
    except RateLimitExceededError as error:
        wait = error.retry_after
        if wait is None and error.reset_at is not None:
            wait = max(0.0, (error.reset_at - datetime.now(UTC)).total_seconds())
        hint = f"; trying again in {wait:.0f} seconds" if wait is not None else ""
        raise ConnectorError(f"{what} is limiting requests (HTTP 429){hint}", retry_after=wait) from error
    except UnauthorizedError as error:
        if chat:
            raise _no_chat_access(what, error.response.status_code) from error
        if login:
            raise ConnectorError(
                f"{what} refused the handle and app password (HTTP {error.response.status_code}): "
                "add the channel again with a new app password",
                permanent=True,
            ) from error
        raise error_for_status(error.response.status_code, what=what) from error
    except BadRequestError as error:
        code = _xrpc_error(error)
        if code == "ExpiredToken" and not login:
            raise _Expired from error
        if chat and code == "InvalidToken":
            # An app password made without direct-message access: the server refuses its token for chat.
            raise _no_chat_access(what, 400) from error
        if gone and code in {"NotFound", "InvalidRequest"}:
            raise PostGone(f"{gone} no longer exists on {what} (it was deleted)") from error
        permanent = login and code in {"AccountTakedown", "AuthFactorTokenRequired"}
        raise ConnectorError(f"{what} refused the request (HTTP 400 {code})", permanent=permanent) from error
    except InvokeTimeoutError as error:
        raise ConnectorError(f"could not reach {what}: the request timed out; will try again later") from error
    except NetworkError as error:
        if error.response is not None:
            raise error_for_status(error.response.status_code, what=what) from error
        raise ConnectorError(f"could not reach {what}; will try again later") from error
    except RequestErrorBase as error:
        status = error.response.status_code if error.response is not None else 0
        raise error_for_status(status, what=what) from error
    except (ModelError, ValueError) as error:
        # Malformed JSON (pydantic's parser raises ValueError) or JSON that is not the documented shape.
        raise ConnectorError(f"{what} sent an answer that is not valid JSON; will try again later") from error
    except AtProtocolError as error:
        raise ConnectorError(f"{what}: {error}") from error


def _no_chat_access(what: str, status: int) -> ConnectorError:
    return ConnectorError(
        f"{what} refused access to direct messages (HTTP {status}): the app password was made without "
        '"Allow access to your direct messages"; make a new app password with it ticked and add the channel '
        "again, or remove the option messages=on",
        permanent=True,
    )
