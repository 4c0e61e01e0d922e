"""Listening to all of Bluesky through Jetstream: a WebSocket service that streams the network's commits as
JSON (`{"did", "time_us", "kind": "commit", "commit": {"operation", "collection", "rkey", "record", "cid"}}`).

The consumer asks only for posts (`wantedCollections=app.bsky.feed.post`), maps each created post to a
PostRecord, keeps those that match one of the organisation's active listening queries and stores them through
the ingest pipeline. The last `time_us` read is the cursor, saved with the posts it covers in
`channel.search_cursor["jetstream"]`; a reconnect resumes a few seconds before it (Jetstream replays from any
time in its window), and posts read twice are absorbed by de-duplication. An event that cannot be read is
reported and skipped; the stream goes on.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from django.db import transaction
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.sync.client import connect

from townsquare.channels.models import Channel
from townsquare.ingest.pipeline import ingest_records
from townsquare.networks.bluesky.mapping import commit_to_record
from townsquare.networks.listen import FIREHOSE_CURSOR, ListeningFilter, listening_filter
from townsquare.posts.normalise import PostRecord

logger = logging.getLogger(__name__)

DEFAULT_URL = "wss://jetstream2.us-east.bsky.network/subscribe"
POST_COLLECTION = "app.bsky.feed.post"
# Resume this far before the stored cursor: events of the same moment may have been read only in part.
REWIND_US = 5_000_000
# Store what was kept (and move the cursor) at least this often, so a restart replays little.
FLUSH_SECONDS = 2.0
# Look for edited listening queries this often.
REFRESH_SECONDS = 60.0
# Waits between reconnection attempts, growing to the last.
BACKOFF_SECONDS = (1, 2, 5, 10, 30, 60)


@dataclass
class JetstreamStats:
    events: int = 0
    posts: int = 0
    matched: int = 0
    stored: int = 0
    duplicates: int = 0
    unreadable: int = 0
    connections: int = 0


class JetstreamConsumer:
    """One organisation's listening over Jetstream; `run` blocks until stopped."""

    def __init__(
        self,
        *,
        channel: Channel,
        url: str = DEFAULT_URL,
        report: Callable[[str], None] = logger.warning,
        flush_seconds: float = FLUSH_SECONDS,
        backoff: tuple[float, ...] = BACKOFF_SECONDS,
    ) -> None:
        self.channel = channel
        self.url = url
        self.report = report
        self.flush_seconds = flush_seconds
        self.backoff = backoff
        self.stats = JetstreamStats()
        self.listening: ListeningFilter = listening_filter(channel.organisation)
        self._pending: list[PostRecord] = []
        self._time_us: int | None = self._stored_cursor()
        self._flushed_at = time.monotonic()
        self._refreshed_at = time.monotonic()

    def _stored_cursor(self) -> int | None:
        self.channel.refresh_from_db(fields=["search_cursor"])
        value = (self.channel.search_cursor or {}).get(FIREHOSE_CURSOR, {}).get("time_us")
        return int(value) if value is not None else None

    def subscribe_url(self) -> str:
        params: dict[str, Any] = {"wantedCollections": POST_COLLECTION}
        if self._time_us is not None:
            params["cursor"] = max(0, self._time_us - REWIND_US)
        return f"{self.url}?{urlencode(params)}"

    def run(self, *, should_stop: Callable[[], bool] = lambda: False, max_connections: int | None = None) -> None:
        """Read events until `should_stop()` or `max_connections` connections have ended, reconnecting after
        each drop with a growing wait."""
        failures = 0
        while not should_stop() and (max_connections is None or self.stats.connections < max_connections):
            self.stats.connections += 1
            try:
                with connect(self.subscribe_url(), open_timeout=10, proxy=None) as socket:
                    failures = 0
                    while not should_stop():
                        try:
                            message = socket.recv(timeout=self.flush_seconds)
                        except TimeoutError:
                            message = None
                        if message is not None:
                            self.handle(message)
                        self._maybe_flush()
            except (ConnectionClosed, InvalidHandshake, InvalidURI, OSError) as error:
                self.report(f"Jetstream {self.url}: the connection ended ({error or type(error).__name__})")
                failures += 1
            finally:
                self.flush()
            if not should_stop() and (max_connections is None or self.stats.connections < max_connections):
                time.sleep(self.backoff[min(failures, len(self.backoff)) - 1] if failures else 0)

    def handle(self, message: str | bytes) -> None:
        """One event; one that cannot be read is reported and skipped."""
        self.stats.events += 1
        try:
            event = json.loads(message)
            if event.get("kind") != "commit":
                # identity and account events: nothing to store, but their time moves the cursor.
                self._time_us = int(event["time_us"])
                return
            commit = event["commit"]
            time_us = int(event["time_us"])
            if commit.get("operation") == "create" and commit.get("collection") == POST_COLLECTION:
                self.stats.posts += 1
                record = commit_to_record(
                    did=event["did"],
                    rkey=commit["rkey"],
                    cid=commit.get("cid") or "",
                    record=commit["record"],
                    indexed_at=_iso(time_us),
                )
                self._pending.extend(self.listening.keep([record]))
            self._time_us = time_us
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            self.stats.unreadable += 1
            self.report(f"Jetstream {self.url}: skipped an event that could not be read ({_reason(error)})")

    def _maybe_flush(self) -> None:
        now = time.monotonic()
        if now - self._flushed_at >= self.flush_seconds:
            self.flush()
        if now - self._refreshed_at >= REFRESH_SECONDS:
            self._refreshed_at = now
            if self.listening.stale():
                self.listening = listening_filter(self.channel.organisation)

    def flush(self) -> None:
        """Store the kept posts and save the cursor that covers them, in one transaction."""
        self._flushed_at = time.monotonic()
        if self._time_us is None:
            return
        records, self._pending = self._pending, []
        with transaction.atomic():
            if records:
                result = ingest_records(organisation=self.channel.organisation, records=records, source="firehose")
                self.stats.matched += len(records)
                self.stats.stored += len(result.stored)
                self.stats.duplicates += result.duplicates
            self.channel.refresh_from_db(fields=["search_cursor"])
            self.channel.search_cursor = {**self.channel.search_cursor, FIREHOSE_CURSOR: {"time_us": self._time_us}}
            self.channel.save(update_fields=["search_cursor"])


def _iso(time_us: int) -> str:
    return datetime.fromtimestamp(time_us / 1_000_000, UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _reason(error: Exception) -> str:
    if isinstance(error, KeyError):
        return f"no {error.args[0]!r}"
    return str(error) or type(error).__name__
