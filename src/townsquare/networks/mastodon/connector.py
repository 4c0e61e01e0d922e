"""Mastodon through Mastodon.py: mentions in from notifications, statuses out.

The cursor is `{"min_id": newest notification id stored}`. Paging forward with min_id returns the notifications
just after it, oldest page first, so each page can be stored and the cursor moved without leaving a gap.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import requests
from mastodon import (
    Mastodon,
    MastodonAPIError,
    MastodonError,
    MastodonNetworkError,
    MastodonNotFoundError,
    MastodonRatelimitError,
)

from townsquare.networks.base import (
    AccountMetrics,
    Connector,
    ConnectorError,
    FetchResult,
    MediaItem,
    PostGone,
    PublishResult,
    error_for_status,
    walk_back,
)
from townsquare.networks.mastodon.mapping import status_to_record
from townsquare.networks.searchterms import SearchTerm

PAGE_SIZE = 40
MASTODON_VERSION = "4.3.0"
# GET /api/v1/statuses takes at most 20 ids.
STATUSES_BATCH = 20
TIMEOUT_SECONDS = 20
# "update": a status we were mentioned in was edited; it arrives as the same status id.
NOTIFICATION_TYPES = ["mention", "update"]


class MastodonConnector(Connector):
    kind = "mastodon"
    capabilities = frozenset({"fetch_mentions", "search", "publish", "reply", "like", "share", "metrics"})
    sync_interval = 300
    # Full-text search (statuses whose authors let them be indexed) and hashtag timelines.
    search_kinds = frozenset({"word", "phrase", "hashtag"})

    def _client(self, channel, credentials: dict[str, str]) -> tuple[Mastodon, requests.Session]:
        instance = (channel.options or {}).get("instance")
        token = credentials.get("access_token")
        if not instance or not token:
            raise ConnectorError(
                "the channel has no instance URL or access token: add it again with --instance and --token",
                permanent=True,
            )
        session = requests.Session()
        # Remember the last response so a 429's Retry-After can be read (Mastodon.py does not pass it on).
        session.hooks["response"].append(lambda response, *args, **kwargs: setattr(session, "last", response))
        client = Mastodon(
            api_base_url=instance,
            access_token=token,
            ratelimit_method="throw",
            request_timeout=TIMEOUT_SECONDS,
            session=session,
            # Declared rather than asked for (one request fewer per call): the batch statuses read needs 4.3.
            mastodon_version=MASTODON_VERSION,
            version_check_mode="created",
        )
        return client, session

    def fetch(self, *, channel, credentials: dict[str, str], cursor: dict[str, Any]) -> FetchResult:
        client, session = self._client(channel, credentials)
        min_id = cursor.get("min_id")
        with _errors(session, what=f"the Mastodon server {client.api_base_url}"):
            if min_id:
                page = client.notifications(types=NOTIFICATION_TYPES, min_id=min_id, limit=PAGE_SIZE)
            else:
                # A new channel starts from the newest page rather than replaying years of history.
                page = client.notifications(types=NOTIFICATION_TYPES, limit=PAGE_SIZE)
        records = [
            status_to_record(notification["status"])
            for notification in page
            # The status of a notification is absent when it was deleted after it was sent.
            if notification.get("status")
        ]
        newest = max((int(notification["id"]) for notification in page), default=None)
        next_cursor = {**cursor, "min_id": str(newest)} if newest is not None else dict(cursor)
        return FetchResult(records=records, cursor=next_cursor, more=bool(min_id) and len(page) >= PAGE_SIZE)

    def search(self, *, channel, credentials: dict[str, str], term: SearchTerm, cursor: dict[str, Any]) -> FetchResult:
        """A hashtag's public timeline, or /api/v2/search for statuses; both newest first, walked back with
        max_id to the newest status stored for this term (ids grow with time)."""
        client, session = self._client(channel, credentials)
        max_id = cursor.get("walk") or None
        with _errors(session, what=f"the Mastodon server {client.api_base_url}"):
            if term.kind == "hashtag":
                statuses = client.timeline_hashtag(term.value, max_id=max_id, limit=PAGE_SIZE)
            else:
                query = f'"{term.value}"' if term.kind == "phrase" else term.value
                found = client.search_v2(query, resolve=False, result_type="statuses", max_id=max_id, limit=PAGE_SIZE)
                statuses = found["statuses"]
        marked = [(str(status["id"]), status_to_record(status)) for status in statuses]
        oldest = min((int(marker) for marker, _ in marked), default=None)
        # A short page is the last one.
        next_page = str(oldest) if len(marked) >= PAGE_SIZE and oldest is not None else None
        return walk_back(cursor=cursor, page=marked, next_page=next_page, order=int)

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
        client, session = self._client(channel, credentials)
        what = f"the Mastodon server {client.api_base_url}"
        with _errors(session, what=what):
            # Each image is uploaded with its description (the alt text), then attached by id.
            media_ids = [
                client.media_post(item.data, mime_type=item.mime_type, description=item.alt_text,
                                  file_name=item.filename or None)["id"]
                for item in media
            ]  # fmt: skip
        with _errors(session, what=what, gone="the post being replied to"):
            parent = client.status(in_reply_to) if in_reply_to else {}
            visibility = _reply_visibility(parent)
            if visibility == "direct":
                text = _addressed(text, parent["account"]["acct"])
            status = client.status_post(
                text,
                in_reply_to_id=in_reply_to or None,
                media_ids=media_ids or None,
                idempotency_key=idempotency_key,
                visibility=visibility,
            )
        return PublishResult(external_id=str(status["id"]), url=status.get("url") or "")

    def like(self, *, channel, credentials: dict[str, str], external_id: str) -> None:
        client, session = self._client(channel, credentials)
        with _errors(session, what=f"the Mastodon server {client.api_base_url}", gone="the post being liked"):
            client.status_favourite(external_id)

    def share(self, *, channel, credentials: dict[str, str], external_id: str) -> PublishResult:
        client, session = self._client(channel, credentials)
        with _errors(session, what=f"the Mastodon server {client.api_base_url}", gone="the post being boosted"):
            reblog = client.status_reblog(external_id)
        return PublishResult(external_id=str(reblog["id"]), url=reblog.get("url") or "")

    def fetch_metrics(self, *, channel, credentials: dict[str, str], external_ids: Sequence[str]) -> AccountMetrics:
        client, session = self._client(channel, credentials)
        posts: dict[str, dict[str, int]] = {}
        with _errors(session, what=f"the Mastodon server {client.api_base_url}"):
            account = client.account_verify_credentials()
            for start in range(0, len(external_ids), STATUSES_BATCH):
                # Deleted statuses are simply absent from the answer.
                for status in client.statuses(list(external_ids[start : start + STATUSES_BATCH])):
                    posts[str(status["id"])] = {
                        "replies": status["replies_count"],
                        "shares": status["reblogs_count"],
                        "likes": status["favourites_count"],
                    }
        return AccountMetrics(followers=account.get("followers_count"), posts=posts)


def _reply_visibility(parent: dict[str, Any]) -> str | None:
    """A reply is never more public than what it answers: the API would otherwise use the account's default
    (usually public) and a private message would be answered in public. None: the account's default."""
    visibility = parent.get("visibility")
    return visibility if visibility in {"direct", "private", "unlisted"} else None


def _addressed(text: str, acct: str) -> str:
    """A direct status reaches only the accounts it mentions: make sure it mentions the person answered."""
    return text if f"@{acct}".lower() in text.lower() else f"@{acct} {text}"


@contextmanager
def _errors(session: requests.Session, *, what: str, gone: str = "") -> Iterator[None]:
    """Turn Mastodon.py's exceptions into ConnectorError in plain words."""
    try:
        yield
    except MastodonError as error:
        response = getattr(session, "last", None)
        headers = response.headers if response is not None else {}
        if isinstance(error, MastodonRatelimitError):
            raise error_for_status(429, what=what, headers=headers) from error
        if isinstance(error, MastodonNotFoundError) and gone:
            raise PostGone(f"{gone} no longer exists on {what} (it was deleted)") from error
        if isinstance(error, MastodonNetworkError):
            raise ConnectorError(f"could not reach {what}: {_reason(error)}; will try again later") from error
        if isinstance(error, MastodonAPIError) and len(error.args) >= 2 and isinstance(error.args[1], int):
            raise error_for_status(error.args[1], what=what, headers=headers) from error
        if isinstance(error, MastodonAPIError):
            raise ConnectorError(f"{what} sent an answer that is not valid JSON; will try again later") from error
        raise ConnectorError(f"{what}: {_reason(error)}") from error


def _reason(error: Exception) -> str:
    text = str(error.args[0]) if error.args else type(error).__name__
    return "the request timed out" if "timed out" in text.lower() else text
