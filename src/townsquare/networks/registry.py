"""The networks Townsquare knows, from kind to description. A network is not an account: an organisation's
account on a network is a `channels.Channel`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Network:
    kind: str
    label: str
    # The longest post the network accepts, in its own unit (characters or graphemes).
    text_limit: int
    # Whether Townsquare can talk to the network's API yet; others are reached by import of exports.
    connected: bool = False


NETWORKS: dict[str, Network] = {
    network.kind: network
    for network in (
        Network("sandbox", "Sandbox (rehearsal network)", 500, connected=True),
        Network("mastodon", "Mastodon", 500, connected=True),
        Network("bluesky", "Bluesky", 300, connected=True),
        Network("reddit", "Reddit", 40000, connected=True),
        Network("youtube", "YouTube", 10000, connected=True),
        Network("rss", "RSS / Atom feed", 0, connected=True),
        Network("twitter", "X / Twitter", 280, connected=True),
        Network("facebook", "Facebook", 63206, connected=True),
        Network("instagram", "Instagram", 2200, connected=True),
        Network("linkedin", "LinkedIn", 3000, connected=True),
    )
}


def network_choices() -> list[tuple[str, str]]:
    return [(network.kind, network.label) for network in NETWORKS.values()]


def network_get(kind: str) -> Network:
    try:
        return NETWORKS[kind]
    except KeyError:
        known = ", ".join(NETWORKS)
        raise ValueError(f"unknown network {kind!r}: expected one of {known}") from None
