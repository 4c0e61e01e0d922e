"""Refreshing engagement figures: the account's followers and each recent own post's counts, over time.

Own posts are the posts Townsquare has stored whose author is the channel's account (fetched, imported or
published and then fetched), from the last `OWN_POSTS_DAYS` days: engagement on older posts hardly moves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from townsquare.channels.models import AccountSnapshot, Channel, ChannelStatus
from townsquare.channels.services import channel_credentials, channel_record_error
from townsquare.networks.base import ConnectorError
from townsquare.networks.connectors import CONNECTORS, connector_for
from townsquare.posts.models import Post
from townsquare.posts.services import post_metrics_record

OWN_POSTS_DAYS = 30
MAX_OWN_POSTS = 500


@dataclass
class MetricsReport:
    followers: int | None = None
    posts: int = 0
    error: str = ""


def channel_metrics_refresh(*, channel: Channel) -> MetricsReport:
    """Read the account's followers and its recent posts' counts now; errors are recorded on the channel."""
    connector = connector_for(channel.network)
    if "metrics" not in connector.capabilities:
        return MetricsReport(error=f"{channel.get_network_display()} gives no metrics")
    since = timezone.now() - timedelta(days=OWN_POSTS_DAYS)
    own = list(
        Post.objects.filter(
            organisation_id=channel.organisation_id,
            network=channel.network,
            author__handle__iexact=channel.handle,
            created_at__gte=since,
        ).order_by("-created_at")[:MAX_OWN_POSTS]
    )
    try:
        metrics = connector.fetch_metrics(
            channel=channel,
            credentials=channel_credentials(channel=channel),
            external_ids=[post.external_id for post in own],
        )
    except ConnectorError as error:
        channel_record_error(
            channel=channel, message=error.message, permanent=error.permanent, retry_after=error.retry_after
        )
        return MetricsReport(error=error.message)
    observed_at = timezone.now()
    report = MetricsReport(followers=metrics.followers)
    with transaction.atomic():
        AccountSnapshot.objects.create(channel=channel, observed_at=observed_at, followers=metrics.followers)
        for post in own:
            counts = metrics.posts.get(post.external_id)
            if counts:
                post_metrics_record(post=post, metrics=counts, observed_at=observed_at)
                report.posts += 1
    return report


def channels_with_metrics() -> list[Channel]:
    kinds = [kind for kind, connector in CONNECTORS.items() if "metrics" in connector.capabilities]
    return list(Channel.objects.filter(network__in=kinds).exclude(status=ChannelStatus.DISABLED))
