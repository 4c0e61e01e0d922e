"""Fetching from a channel's network into the ingest pipeline, resumably.

Each page is stored first and its cursor saved after, so a crash between the two fetches the page again
(de-duplication absorbs it) and never skips one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from townsquare.channels.models import Channel, ChannelStatus
from townsquare.channels.services import channel_credentials, channel_record_error, channel_record_sync
from townsquare.ingest.pipeline import ingest_records
from townsquare.networks.base import ConnectorError
from townsquare.networks.connectors import CONNECTORS, connector_for

# At most this many pages in one sync; the rest waits for the next run, which continues from the cursor.
MAX_PAGES = 20


@dataclass
class SyncReport:
    fetched: int = 0
    stored: int = 0
    duplicates: int = 0
    edited: int = 0
    error: str = ""
    permanent: bool = False
    retry_after: float | None = None


def channel_sync(*, channel: Channel, max_pages: int = MAX_PAGES) -> SyncReport:
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
    except ConnectorError as error:
        report.error, report.permanent, report.retry_after = error.message, error.permanent, error.retry_after
        channel_record_error(
            channel=channel, message=error.message, permanent=error.permanent, retry_after=error.retry_after
        )
        return report
    channel_record_sync(channel=channel)
    return report


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
