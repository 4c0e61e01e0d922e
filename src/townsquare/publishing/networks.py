"""Publishing on a network: through its connector (networks.connectors), with one error type that says if it is
permanent and, when the network said, how long to wait before trying again."""

from __future__ import annotations

from collections.abc import Sequence

from townsquare.channels.models import Channel
from townsquare.channels.services import channel_credentials
from townsquare.networks.base import ConnectorError, MediaItem
from townsquare.networks.connectors import CONNECTORS


class PublishError(Exception):
    """A network refused or failed. Permanent errors (bad credentials, rejected text) are not retried."""

    def __init__(self, message: str, *, permanent: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after


def network_publish(*, channel: Channel, text: str, key: str, media: Sequence[MediaItem] = ()) -> str:
    """Publish through the channel's connector; returns the network's id for the post. The connector must be
    idempotent by `key`: publishing the same key twice returns the first publication."""
    connector = CONNECTORS.get(channel.network)
    if connector is None or "publish" not in connector.capabilities:
        raise PublishError(f"Townsquare cannot publish on {channel.get_network_display()} yet", permanent=True)
    try:
        result = connector.publish(
            channel=channel,
            credentials=channel_credentials(channel=channel),
            text=text,
            idempotency_key=key,
            media=media,
        )
    except ConnectorError as failure:
        raise PublishError(failure.message, permanent=failure.permanent, retry_after=failure.retry_after) from failure
    return result.external_id
