"""One map from a channel's network to the service that sends a reply on it (None: not connected yet)."""

from __future__ import annotations

from collections.abc import Callable

from townsquare.channels.models import Channel
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
