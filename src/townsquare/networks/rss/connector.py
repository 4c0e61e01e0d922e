"""RSS and Atom feeds through feedparser. The bytes are fetched here with urllib (timeouts, conditional GET,
clear errors); feedparser only parses.

The cursor keeps the feed's ETag and Last-Modified (a 304 costs nothing) and the ids already seen, so an
entry that stays in the feed for weeks is not offered again; the store de-duplicates anyway.
"""

from __future__ import annotations

import calendar
import hashlib
import urllib.error
import urllib.request
from datetime import UTC, datetime
from typing import Any

import feedparser

from townsquare.networks.base import Connector, ConnectorError, FetchResult, error_for_status
from townsquare.networks.mastodon.mapping import html_to_text
from townsquare.posts.normalise import AuthorRecord, PostRecord

TIMEOUT_SECONDS = 20
MAX_BYTES = 10 * 1024 * 1024
# Enough to cover any feed's window; older ids fall out of the cursor in order.
SEEN_LIMIT = 1000
USER_AGENT = "Townsquare feed reader (+https://github.com/townsquare)"


class RssConnector(Connector):
    kind = "rss"
    capabilities = frozenset({"fetch_mentions"})
    sync_interval = 1800

    def fetch(self, *, channel, credentials: dict[str, str], cursor: dict[str, Any]) -> FetchResult:
        url = (channel.options or {}).get("url")
        if not url:
            raise ConnectorError("the channel has no feed URL: add it with --option url=FEED_URL", permanent=True)
        body, headers = _download(url, cursor)
        if body is None:
            return FetchResult(records=[], cursor=cursor)
        feed = feedparser.parse(body, response_headers={"content-location": url})
        if feed.bozo and not feed.entries:
            raise ConnectorError(f"the feed at {url} is not RSS or Atom that can be read: {feed.bozo_exception}")
        seen = list(cursor.get("seen") or [])
        seen_set = set(seen)
        records = []
        for entry in feed.entries:
            record = entry_to_record(entry, feed_title=feed.feed.get("title") or "", feed_url=url)
            if record.external_id not in seen_set:
                records.append(record)
                seen.append(record.external_id)
                seen_set.add(record.external_id)
        next_cursor = {"seen": seen[-SEEN_LIMIT:]}
        for name, key in (("ETag", "etag"), ("Last-Modified", "modified")):
            if headers.get(name):
                next_cursor[key] = headers[name]
        return FetchResult(records=records, cursor=next_cursor)


def _download(url: str, cursor: dict[str, Any]) -> tuple[bytes | None, dict[str, str]]:
    """The feed's bytes and headers, or None when unchanged since the cursor's ETag/Last-Modified."""
    if not url.startswith(("http://", "https://")):
        raise ConnectorError(f"the feed URL {url!r} must start with http:// or https://", permanent=True)
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    if cursor.get("etag"):
        request.add_header("If-None-Match", cursor["etag"])
    if cursor.get("modified"):
        request.add_header("If-Modified-Since", cursor["modified"])
    what = f"the feed at {url}"
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 (http/s checked)
            body = response.read(MAX_BYTES + 1)
            headers = dict(response.headers.items())
    except urllib.error.HTTPError as error:
        if error.code == 304:
            return None, {}
        raise error_for_status(error.code, what=what, headers=dict(error.headers.items())) from error
    except TimeoutError as error:
        raise ConnectorError(f"{what} did not answer in {TIMEOUT_SECONDS} seconds; will try again later") from error
    except urllib.error.URLError as error:
        if isinstance(error.reason, TimeoutError):
            raise ConnectorError(f"{what} did not answer in {TIMEOUT_SECONDS} seconds; will try again later") from error
        raise ConnectorError(f"could not reach {what}: {error.reason}; will try again later") from error
    if len(body) > MAX_BYTES:
        raise ConnectorError(f"{what} is larger than {MAX_BYTES // (1024 * 1024)} MB")
    return body, headers


def _raw(entry: Any, key: str) -> Any:
    # Plain dict access: feedparser's own get() quietly substitutes published for a missing updated.
    return dict.get(entry, key)


def _entry_time(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = _raw(entry, key)
        if parsed:
            return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
    return None


def entry_to_record(entry: Any, *, feed_title: str, feed_url: str) -> PostRecord:
    link = entry.get("link") or ""
    external_id = entry.get("id") or link
    if not external_id:
        # Neither id nor link: the content is the only stable identity the entry has.
        digest = hashlib.sha256(f"{entry.get('title', '')}\n{entry.get('summary', '')}".encode()).hexdigest()
        external_id = f"sha256:{digest[:32]}"
    summary = entry.get("summary") or ""
    if not summary and entry.get("content"):
        summary = entry["content"][0].get("value") or ""
    text, links = html_to_text(summary)
    author_name = entry.get("author") or feed_title or feed_url
    extra: dict[str, Any] = {"feed": feed_url}
    if _raw(entry, "updated_parsed") and _raw(entry, "published_parsed"):
        extra["updated_at"] = datetime.fromtimestamp(calendar.timegm(_raw(entry, "updated_parsed")), tz=UTC).isoformat()
    return PostRecord(
        network="rss",
        external_id=external_id[:200],
        author=AuthorRecord(external_id=author_name[:200], handle=author_name[:200], display_name=author_name),
        created_at=_entry_time(entry) or datetime.now(tz=UTC),
        title=entry.get("title") or "",
        text=text,
        url=link,
        links=links or ([link] if link else []),
        hashtags=[tag["term"].lower() for tag in entry.get("tags") or [] if tag.get("term")],
        extra=extra,
    )
