"""Sending a reply through the channel's connector (any network whose connector can "reply"), then storing it
as our post so routing records it in the conversation."""

from __future__ import annotations

from django.utils import timezone

from townsquare.channels.models import Channel
from townsquare.channels.services import channel_credentials, channel_record_error
from townsquare.ingest.pipeline import ingest_records
from townsquare.networks.abilities import channel_can, missing_access
from townsquare.networks.base import ConnectorError, PostGone, PublishResult, ReplyRefused
from townsquare.networks.connectors import CONNECTORS
from townsquare.posts.models import Identity, Post
from townsquare.posts.normalise import AuthorRecord, PostRecord


class ReplyUnavailable(Exception):
    """The channel's network cannot take replies from Townsquare."""


class ReplyFailed(Exception):
    """The network refused or failed; `permanent`: trying again cannot help until a person acts."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


# Networks whose connector answers a private message privately (Mastodon replies `direct` to a direct status;
# Facebook and Instagram send a message to the person through the Send API; Bluesky and X send a message into
# the conversation; Reddit replies to the person's private message, which keeps its conversation).
# Elsewhere a reply to a private message could only go out as a public post, so it is refused.
PRIVATE_REPLY_NETWORKS = frozenset({"mastodon", "facebook", "bluesky", "instagram", "twitter", "reddit"})


def reply_unavailable_reason(channel: Channel, *, private: bool = False) -> str:
    """Why a reply (to a private message, with `private`) cannot be sent on this channel, or "" when it can."""
    connector = CONNECTORS.get(channel.network)
    network = channel.get_network_display()
    if connector is None or "reply" not in connector.capabilities:
        return f"Townsquare cannot reply on {network}: its connector does not send replies"
    if not channel_can(channel, "reply"):
        return missing_access(channel, "reply") or (
            f"no access is stored for @{channel.handle} on {network}: an admin connects it on the channel's page"
        )
    if private and channel.network not in PRIVATE_REPLY_NETWORKS:
        return f"Townsquare cannot answer private messages on {network} yet (its only reply there would be public)"
    return ""


def reply_publish(*, channel: Channel, text: str, in_reply_to: str, idempotency_key: str, direct_to: str = "") -> Post:
    """Publish through the connector with the key (a retry with the same key publishes once) and return our
    stored post; `direct_to` (the person's handle) for an answer to a private message. Raises ReplyUnavailable
    or ReplyFailed (in plain words for the member)."""
    reason = reply_unavailable_reason(channel, private=bool(direct_to))
    if reason:
        raise ReplyUnavailable(reason)
    try:
        result = CONNECTORS[channel.network].publish(
            channel=channel,
            credentials=channel_credentials(channel=channel),
            text=text,
            idempotency_key=idempotency_key,
            in_reply_to=in_reply_to or None,
        )
    except ConnectorError as failure:
        # Revoked access disables the channel and shows on its page; a deleted parent post or a closed messaging
        # window is not the channel's fault.
        if failure.permanent and not isinstance(failure, (PostGone, ReplyRefused)):
            channel_record_error(channel=channel, message=failure.message, permanent=True)
        raise ReplyFailed(failure.message, permanent=failure.permanent) from failure
    return _stored(channel=channel, result=result, text=text, in_reply_to=in_reply_to, direct_to=direct_to)


def _stored(*, channel: Channel, result: PublishResult, text: str, in_reply_to: str, direct_to: str) -> Post:
    """Our post as stored (the sandbox stores its own; others are stored here, once)."""
    found = Post.objects.filter(
        organisation_id=channel.organisation_id, network=channel.network, external_id=result.external_id
    ).first()
    if found is not None:
        return found
    # Reuse the channel's identity when its posts were fetched before, so one account stays one identity.
    identity = Identity.objects.filter(
        organisation_id=channel.organisation_id, network=channel.network, handle__iexact=channel.handle
    ).first()
    author = AuthorRecord(
        external_id=identity.external_id if identity else channel.handle,
        handle=identity.handle if identity else channel.handle,
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
        # Routing files a private answer under the (channel, person) conversation, as fetched ones are.
        extra={"direct_to": direct_to} if direct_to else {},
    )
    ingest_records(organisation=channel.organisation, records=[record], source="published")
    return Post.objects.get(
        organisation_id=channel.organisation_id, network=channel.network, external_id=result.external_id
    )
