"""One map from a channel's network to the service that sends a reply on it (None: the network takes none)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.utils import timezone

from townsquare.channels.models import Channel
from townsquare.channels.services import channel_credentials
from townsquare.ingest.pipeline import ingest_records
from townsquare.networks.abilities import channel_can
from townsquare.networks.base import ConnectorError
from townsquare.networks.connectors import CONNECTORS
from townsquare.networks.registry import NETWORKS
from townsquare.networks.sandbox.services import sandbox_publish
from townsquare.posts.models import Identity, Post
from townsquare.posts.normalise import AuthorRecord, PostRecord

Sender = Callable[..., Post]


class ConnectorUnavailable(Exception):
    """No reply was sent; the message says why in plain words."""


def _sandbox(*, channel: Channel, text: str, in_reply_to: str) -> Post:
    return sandbox_publish(channel=channel, text=text, in_reply_to=in_reply_to)


def _through_connector(*, channel: Channel, text: str, in_reply_to: str) -> Post:
    """Reply through the channel's connector, then store the reply as the organisation's post, so that routing
    records it in the conversation like any reply that arrives from the network."""
    if reason := reply_unavailable(channel):
        raise ConnectorUnavailable(reason)
    if not in_reply_to:
        # A direct conversation has no post to answer; publishing would make the answer a public post.
        raise ConnectorUnavailable(
            f"Townsquare cannot send direct messages on {channel.get_network_display()} yet: answer on the network"
        )
    # The same text to the same post gives the same key: a double submit is one reply where the network
    # honours the key (Mastodon's Idempotency-Key).
    key = hashlib.sha256(f"{channel.id}\n{in_reply_to}\n{text}".encode()).hexdigest()
    try:
        result = CONNECTORS[channel.network].publish(
            channel=channel,
            credentials=channel_credentials(channel=channel),
            text=text,
            idempotency_key=key,
            in_reply_to=in_reply_to or None,
        )
    except ConnectorError as error:
        raise ConnectorUnavailable(f"the reply was not sent: {error.message}") from error
    # The account as fetched posts know it (a Mastodon account id, a Bluesky DID), so it stays one identity.
    known = Identity.objects.filter(
        organisation=channel.organisation, network=channel.network, handle__iexact=channel.handle
    ).first()
    author = AuthorRecord(
        external_id=known.external_id if known else channel.handle,
        handle=channel.handle,
        display_name=channel.display_name,
    )
    record = PostRecord(
        network=channel.network,
        external_id=result.external_id,
        author=author,
        created_at=timezone.now(),
        text=text,
        url=result.url,
        in_reply_to=in_reply_to,
    )
    ingest_records(organisation=channel.organisation, records=[record], source="published")
    return Post.objects.get(organisation=channel.organisation, network=channel.network, external_id=result.external_id)


def _sender_for(kind: str) -> Sender | None:
    if kind == "sandbox":
        return _sandbox
    connector = CONNECTORS.get(kind)
    return _through_connector if connector is not None and "reply" in connector.capabilities else None


REPLY_SENDERS: dict[str, Sender | None] = {kind: _sender_for(kind) for kind in NETWORKS}


def reply_sender(network: str) -> Sender:
    sender = REPLY_SENDERS.get(network)
    if sender is None:
        raise ConnectorUnavailable(f"Townsquare cannot reply on {network}: the network does not offer it")
    return sender


def reply_unavailable(channel: Channel) -> str:
    """Why a reply cannot be sent from the inbox on this channel, in plain words; empty when it can. The
    conversation page shows this instead of a form that would fail."""
    if channel_can(channel, "reply"):
        return ""
    label = channel.get_network_display()
    connector = CONNECTORS.get(channel.network)
    if connector is not None and "reply" in connector.capabilities:
        return f"no access is stored for @{channel.handle} on {label}: an admin stores it in Settings, Channels"
    return f"Townsquare cannot reply on {label}: the network does not offer it"
