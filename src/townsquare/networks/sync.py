"""Fetching from a channel's network into the ingest pipeline, resumably.

Each page is stored first and its cursor saved after, so a crash between the two fetches the page again
(de-duplication absorbs it) and never skips one.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from townsquare.channels.models import Channel, ChannelStatus
from townsquare.channels.services import channel_credentials, channel_record_error, channel_record_sync
from townsquare.ingest.pipeline import ingest_records
from townsquare.networks.base import Connector, ConnectorError
from townsquare.networks.connectors import CONNECTORS, connector_for
from townsquare.networks.listen import FIREHOSE_CURSOR, listening_enabled, listening_filter

# At most this many pages in one sync; the rest waits for the next run, which continues from the cursor.
MAX_PAGES = 20
# At most this many pages per search term in one sync (a term's walk continues next run).
SEARCH_PAGES = 5


@dataclass
class SyncReport:
    fetched: int = 0
    stored: int = 0
    duplicates: int = 0
    edited: int = 0
    error: str = ""
    permanent: bool = False
    retry_after: float | None = None
    # Listening by search: term label -> posts the network returned; how many matched a query and were kept.
    searched: dict[str, int] = field(default_factory=dict)
    matched: int = 0
    # Names of the active queries this network's search cannot serve (a wildcard, only lang:...).
    unsearchable: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        failure = {"error", "permanent", "retry_after"}
        return {name: value for name, value in asdict(self).items() if name not in failure}


def channel_sync(*, channel: Channel, max_pages: int = MAX_PAGES, search_pages: int = SEARCH_PAGES) -> SyncReport:
    """Fetch what is new on the channel's network and store it; errors are recorded on the channel."""
    report = SyncReport()
    try:
        connector = connector_for(channel.network)
        credentials = channel_credentials(channel=channel)
        for _ in range(max_pages):
            page = connector.fetch(channel=channel, credentials=credentials, cursor=dict(channel.sync_cursor or {}))
            with transaction.atomic():
                result = ingest_records(organisation=channel.organisation, records=page.records, source="sync")
                channel.sync_cursor = page.cursor
                channel.save(update_fields=["sync_cursor"])
            report.fetched += len(page.records)
            report.stored += len(result.stored)
            report.duplicates += result.duplicates
            report.edited += len(result.edited)
            if not page.more:
                break
        if listening_enabled(channel) and connector.search_kinds:
            _listen(channel, connector, credentials, report, search_pages)
    except ConnectorError as error:
        report.error, report.permanent, report.retry_after = error.message, error.permanent, error.retry_after
        channel_record_error(
            channel=channel, message=error.message, permanent=error.permanent, retry_after=error.retry_after
        )
        return report
    channel_record_sync(channel=channel, summary=report.summary())
    return report


def _listen(channel: Channel, connector: Connector, credentials: dict, report: SyncReport, pages: int) -> None:
    """Search the network for the organisation's listening terms; keep the posts that match a query. Each
    term has its own cursor in `channel.search_cursor`, saved with the page it covers."""
    listening = listening_filter(channel.organisation)
    plan = listening.plan(connector.search_kinds)
    report.unsearchable = sorted(plan.unsearchable.values())
    # Read afresh: the cleaning below writes the field, and the caller's object may predate another run.
    channel.refresh_from_db(fields=["search_cursor"])
    # Terms no query needs any more lose their cursor; a term added later starts from its newest page. The
    # firehose consumer's cursor is its own.
    stored = channel.search_cursor or {}
    cursors = {term.key: stored.get(term.key, {}) for term in plan.terms}
    if FIREHOSE_CURSOR in stored:
        cursors[FIREHOSE_CURSOR] = stored[FIREHOSE_CURSOR]
    if cursors != channel.search_cursor:
        channel.search_cursor = cursors
        channel.save(update_fields=["search_cursor"])
    for term in plan.terms:
        report.searched[term.label] = 0
        for _ in range(pages):
            page = connector.search(channel=channel, credentials=credentials, term=term, cursor=dict(cursors[term.key]))
            kept = listening.keep(page.records)
            with transaction.atomic():
                result = ingest_records(organisation=channel.organisation, records=kept, source="listening")
                cursors[term.key] = page.cursor
                channel.search_cursor = dict(cursors)
                channel.save(update_fields=["search_cursor"])
            report.searched[term.label] += len(page.records)
            report.matched += len(kept)
            report.stored += len(result.stored)
            report.duplicates += result.duplicates
            report.edited += len(result.edited)
            if not page.more:
                break


def channels_due(*, now=None) -> list[Channel]:
    """Enabled channels whose network syncs on a schedule, whose last attempt is older than its interval, and
    that the network has not asked to leave alone for longer (`next_sync_at`, from Retry-After)."""
    now = now or timezone.now()
    due = []
    for kind, connector in CONNECTORS.items():
        if connector.sync_interval is None:
            continue
        before = now - timedelta(seconds=connector.sync_interval)
        candidates = (
            Channel.objects.filter(network=kind).exclude(status=ChannelStatus.DISABLED).exclude(next_sync_at__gt=now)
        )
        due.extend(
            candidates.filter(Q(last_synced_at__isnull=True) | Q(last_synced_at__lte=before)).exclude(
                last_error_at__gt=before
            )
        )
    return due
