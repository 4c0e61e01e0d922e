"""The registry: network kind -> its connector. A test checks it matches the networks marked `connected`."""

from __future__ import annotations

from townsquare.networks.base import Connector, ConnectorError
from townsquare.networks.bluesky.connector import BlueskyConnector
from townsquare.networks.facebook.connector import FacebookConnector
from townsquare.networks.instagram.connector import InstagramConnector
from townsquare.networks.linkedin.connector import LinkedInConnector
from townsquare.networks.mastodon.connector import MastodonConnector
from townsquare.networks.reddit.connector import RedditConnector
from townsquare.networks.rss.connector import RssConnector
from townsquare.networks.sandbox.connector import SandboxConnector
from townsquare.networks.twitter.connector import TwitterConnector
from townsquare.networks.youtube.connector import YouTubeConnector

CONNECTORS: dict[str, Connector] = {
    connector.kind: connector
    for connector in (
        SandboxConnector(),
        MastodonConnector(),
        RssConnector(),
        BlueskyConnector(),
        RedditConnector(),
        YouTubeConnector(),
        TwitterConnector(),
        FacebookConnector(),
        InstagramConnector(),
        LinkedInConnector(),
    )
}


def connector_for(kind: str) -> Connector:
    try:
        return CONNECTORS[kind]
    except KeyError:
        raise ConnectorError(f"Townsquare cannot connect to {kind} yet (import its exports instead)") from None
