"""One map from a channel's network to the service that sends a reply on it (None: not connected yet)."""

from __future__ import annotations

from collections.abc import Callable

from townsquare.channels.models import Channel
from townsquare.networks.abilities import channel_can
from townsquare.networks.connectors import CONNECTORS
from townsquare.networks.sandbox.services import sandbox_publish
from townsquare.posts.models import Post

Sender = Callable[..., Post]


class ConnectorUnavailable(Exception):
    pass


def _sandbox(*, channel: Channel, text: str, in_reply_to: str) -> Post:
    return sandbox_publish(channel=channel, text=text, in_reply_to=in_reply_to)


REPLY_SENDERS: dict[str, Sender | None] = {
    "sandbox": _sandbox,
    "mastodon": None,
    "bluesky": None,
    "reddit": None,
    "youtube": None,
    "rss": None,
    "twitter": None,
    "facebook": None,
    "instagram": None,
    "linkedin": None,
}


def reply_sender(network: str) -> Sender:
    sender = REPLY_SENDERS.get(network)
    if sender is None:
        raise ConnectorUnavailable(f"replying on {network} is not available yet: the connector is still to come")
    return sender


def reply_unavailable(channel: Channel) -> str:
    """Why a reply cannot be sent from the inbox on this channel, in plain words; empty when it can. The
    conversation page shows this instead of a form that would fail."""
    label = channel.get_network_display()
    if not channel_can(channel, "reply"):
        connector = CONNECTORS.get(channel.network)
        if connector is not None and "reply" in connector.capabilities:
            return f"no access is stored for @{channel.handle} on {label}: an admin stores it in Settings, Channels"
        return f"Townsquare cannot reply on {label}: the network does not offer it"
    if REPLY_SENDERS.get(channel.network) is None:
        return f"replying on {label} from the inbox is not available yet: reply on {label} itself"
    return ""
