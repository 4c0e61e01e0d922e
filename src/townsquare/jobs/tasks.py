"""Tasks and periodic tasks. Huey's Django integration imports every installed app's `tasks` module."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from townsquare.channels.models import Channel
from townsquare.networks.metrics import channel_metrics_refresh, channels_with_metrics
from townsquare.networks.sync import channel_sync, channels_due
from townsquare.orgs.services import invitations_purge_expired


@db_periodic_task(crontab(minute="17", hour="3"))
def purge_expired_invitations() -> int:
    return invitations_purge_expired()


@db_task()
def sync_channel(channel_id: int) -> str:
    channel = Channel.objects.filter(id=channel_id).first()
    if channel is None:
        return "gone"
    return channel_sync(channel=channel).error or "ok"


@db_periodic_task(crontab(minute="*"))
def enqueue_due_syncs() -> int:
    """Every minute: one sync task per channel whose network's interval has passed."""
    due = channels_due()
    for channel in due:
        sync_channel(channel.id)
    return len(due)


@db_task()
def refresh_channel_metrics(channel_id: int) -> str:
    channel = Channel.objects.filter(id=channel_id).first()
    if channel is None:
        return "gone"
    return channel_metrics_refresh(channel=channel).error or "ok"


@db_periodic_task(crontab(minute="41"))
def enqueue_metrics_refresh() -> int:
    """Every hour: followers and own posts' engagement for each channel whose network gives metrics."""
    channels = channels_with_metrics()
    for channel in channels:
        refresh_channel_metrics(channel.id)
    return len(channels)
