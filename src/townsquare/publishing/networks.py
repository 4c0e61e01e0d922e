"""Publishing on each network: one function per network kind, one error type that says if it is permanent."""

from __future__ import annotations

from collections.abc import Callable

from townsquare.channels.models import Channel
from townsquare.networks.sandbox.services import sandbox_publish


class PublishError(Exception):
    """A network refused or failed. Permanent errors (bad credentials, rejected text) are not retried."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


def _publish_sandbox(*, channel: Channel, text: str, key: str) -> str:
    return sandbox_publish(channel=channel, text=text, reference=key).external_id


# Network kind -> publish(channel, text, key) returning the network's id for the post. The key must make the
# call idempotent: publishing the same key twice returns the first publication.
PUBLISHERS: dict[str, Callable[..., str]] = {"sandbox": _publish_sandbox}


def network_publish(*, channel: Channel, text: str, key: str) -> str:
    publish = PUBLISHERS.get(channel.network)
    if publish is None:
        raise PublishError(f"Townsquare cannot publish on {channel.get_network_display()} yet", permanent=True)
    return publish(channel=channel, text=text, key=key)
