"""The one interface every connected network implements.

A `Connector` is the network (one instance per kind, no state); the organisation's account on it is a
`channels.Channel`, passed in with its decrypted credentials on every call. Errors say whether trying again
can help: `ConnectorError.permanent` (revoked or expired access: the channel is disabled and a person told)
or transient, with `retry_after` seconds when the network said how long to wait.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, ClassVar

from townsquare.posts.normalise import PostRecord

if TYPE_CHECKING:
    from townsquare.networks.searchterms import SearchTerm

CAPABILITIES = frozenset({"fetch_mentions", "search", "publish", "reply", "like", "share", "metrics"})


class ConnectorError(Exception):
    """A failed call, in plain words for the channel's page. `permanent`: trying again cannot help until a
    person acts (e.g. reconnects the account)."""

    def __init__(self, message: str, *, permanent: bool = False, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.retry_after = retry_after


class PostGone(ConnectorError):
    """The post acted on (e.g. replied to) was deleted; the channel itself is fine."""


class ReplyRefused(ConnectorError):
    """The network will not take this one reply until something changes on the person's side (e.g. their
    private messaging window closed); trying again cannot help, but the channel itself is fine."""

    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=True)


@dataclass
class FetchResult:
    records: list[PostRecord]
    # What to pass back next time to continue where this page ended; stored only after the records are.
    cursor: dict[str, Any]
    # Whether the network has more right now (the sync service then asks for the next page).
    more: bool = False


@dataclass(frozen=True)
class MediaItem:
    """An image to attach to a post; `alt_text` describes it for people who cannot see it."""

    data: bytes
    mime_type: str
    alt_text: str
    filename: str = ""
    # Where the image can be fetched publicly; Instagram takes images only by address.
    url: str = ""


@dataclass(frozen=True)
class AccountMetrics:
    """The account's audience and each own post's engagement counts, read at one moment."""

    followers: int | None
    # external id -> {"likes": n, "shares": n, "replies": n, "views": n}; only the counts the network gives
    posts: dict[str, dict[str, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class PublishResult:
    external_id: str
    url: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


class Connector:
    kind: ClassVar[str]
    capabilities: ClassVar[frozenset[str]] = frozenset()
    # Seconds between scheduled syncs of one channel; None: never synced on a schedule.
    sync_interval: ClassVar[int | None] = None
    # The SearchTerm kinds its public search understands (networks/searchterms.py); empty: no search.
    search_kinds: ClassVar[frozenset[str]] = frozenset()
    # Capability -> (credentials of which one must be stored for it, why not in plain words), for a capability
    # the channel's other access cannot do: YouTube reads with an API key but replies only as the signed-in owner.
    credential_needs: ClassVar[dict[str, tuple[tuple[str, ...], str]]] = {}
    # Capability -> (the channel option it needs, why not without it): a Reddit post goes to a named subreddit.
    option_needs: ClassVar[dict[str, tuple[str, str]]] = {}

    def fetch(self, *, channel, credentials: dict[str, str], cursor: dict[str, Any]) -> FetchResult:
        raise ConnectorError(f"{self.kind} cannot fetch posts", permanent=True)

    def search(self, *, channel, credentials: dict[str, str], term: SearchTerm, cursor: dict[str, Any]) -> FetchResult:
        """One page of public posts carrying `term`, newest first; the cursor is the term's own (see walk_back)."""
        raise ConnectorError(f"{self.kind} cannot search public posts", permanent=True)

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
        raise ConnectorError(f"{self.kind} cannot publish", permanent=True)

    def like(self, *, channel, credentials: dict[str, str], external_id: str) -> None:
        raise ConnectorError(f"{self.kind} cannot like posts", permanent=True)

    def share(self, *, channel, credentials: dict[str, str], external_id: str) -> PublishResult:
        raise ConnectorError(f"{self.kind} cannot share posts", permanent=True)

    def fetch_metrics(self, *, channel, credentials: dict[str, str], external_ids: Sequence[str]) -> AccountMetrics:
        raise ConnectorError(f"{self.kind} cannot read metrics", permanent=True)


def walk_back(
    *,
    cursor: dict[str, Any],
    page: Sequence[tuple[str, PostRecord]],
    next_page: str | None,
    order: Callable[[str], Any] = str,
) -> FetchResult:
    """One page of a list that runs newest first (a search), each record with its marker (a time or an id that
    `order` makes comparable). The cursor is `{"newest": marker of the newest record stored}`, plus `"walk"`
    (`next_page`) and `"top"` while a walk back to `newest` is under way: `newest` moves only when the walk
    has met it, so a run cut short continues next time without a gap. A first run takes the newest page."""
    newest = cursor.get("newest")
    fresh = [record for marker, record in page if newest is None or order(marker) >= order(newest)]
    top = cursor.get("top") or max((marker for marker, _ in page), key=order, default=newest)
    done = newest is None or len(fresh) < len(page) or not next_page or not page
    if not done:
        return FetchResult(records=fresh, cursor={"newest": newest, "walk": next_page, "top": top}, more=True)
    return FetchResult(records=fresh, cursor={"newest": top} if top is not None else {})


def refuse_media(kind: str, media: Sequence[MediaItem]) -> None:
    """For connectors that cannot attach images yet: say so rather than post without them."""
    if media:
        raise ConnectorError(f"{kind} cannot attach images yet", permanent=True)


def retry_after_seconds(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds to wait from Retry-After (seconds or an HTTP date) or X-RateLimit-Reset (ISO time or epoch; X
    spells it x-rate-limit-reset)."""
    now = time.time() if now is None else now
    value = headers.get("Retry-After")
    if value:
        value = value.strip()
        if value.isdigit():
            return float(value)
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - now)
        except (TypeError, ValueError):
            pass
    reset = headers.get("X-RateLimit-Reset") or headers.get("x-rate-limit-reset")
    if reset:
        reset = reset.strip()
        try:
            moment = float(reset) if reset.replace(".", "", 1).isdigit() else _iso_epoch(reset)
        except ValueError:
            return None
        return max(0.0, moment - now)
    return None


def _iso_epoch(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def error_for_status(status: int, *, what: str, headers: Mapping[str, str] | None = None) -> ConnectorError:
    """The plain-words error for an HTTP status from a network."""
    headers = headers or {}
    if status in (401, 403):
        return ConnectorError(
            f"{what} refused the stored access (HTTP {status}): reconnect the account with a new token",
            permanent=True,
        )
    if status == 429:
        wait = retry_after_seconds(headers)
        hint = f"; trying again in {wait:.0f} seconds" if wait is not None else ""
        return ConnectorError(f"{what} is limiting requests (HTTP 429){hint}", retry_after=wait)
    if status >= 500:
        return ConnectorError(f"{what} had a problem of its own (HTTP {status}); will try again later")
    return ConnectorError(f"{what} answered HTTP {status}")


def messages_on(channel) -> bool:
    """Whether the channel reads and answers private messages (the channel option `messages=on`): off unless an
    admin asks, since the access must have been granted for messages too."""
    return str((channel.options or {}).get("messages", "")).lower() in {"on", "yes", "true", "1"}
