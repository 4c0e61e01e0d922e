"""What Townsquare can do on a channel, in plain words, so pages offer only what works and say why not."""

from __future__ import annotations

from dataclasses import dataclass

from townsquare.channels.services import channel_credentials
from townsquare.networks.connectors import CONNECTORS
from townsquare.networks.listen import listening_enabled

# base.CAPABILITIES in the words the channel's page uses.
CAPABILITY_WORDS = {
    "fetch_mentions": "Read what people say to the account",
    "search": "Search public posts for the listening queries",
    "publish": "Publish posts",
    "reply": "Reply to posts",
    "like": "Like posts",
    "share": "Share (repost or boost) posts",
    "metrics": "Read followers and engagement counts",
}
# Networks Townsquare reads without an account's secret (a feed's address; the rehearsal network).
NO_SECRET_NEEDED = {"sandbox", "rss"}


@dataclass(frozen=True)
class Ability:
    capability: str
    words: str
    available: bool
    # Why not, or what is left to switch on; empty when it works.
    why: str = ""


def channel_can(channel, capability: str) -> bool:
    """Whether the channel's connector offers `capability` and the channel holds what it needs for it."""
    connector = CONNECTORS.get(channel.network)
    if connector is None or capability not in connector.capabilities:
        return False
    if missing_setting(channel, capability):
        return False
    if channel.network in NO_SECRET_NEEDED:
        return True
    return channel.has_credentials and not missing_access(channel, capability)


def missing_access(channel, capability: str) -> str:
    """Why the access stored for the channel cannot do `capability` although it can do others (the connector
    names what the capability needs), or "" when nothing is missing or nothing is stored at all."""
    connector = CONNECTORS.get(channel.network)
    need = connector.credential_needs.get(capability) if connector is not None else None
    if need is None or not channel.has_credentials:
        return ""
    names, why = need
    stored = channel_credentials(channel=channel)
    return "" if any(stored.get(name) for name in names) else why


def missing_setting(channel, capability: str) -> str:
    """Why the channel cannot do `capability` for want of one of its options (the connector names it), or ""."""
    connector = CONNECTORS.get(channel.network)
    need = connector.option_needs.get(capability) if connector is not None else None
    if need is None:
        return ""
    option, why = need
    return "" if str((channel.options or {}).get(option) or "").strip() else why


def channel_abilities(channel) -> list[Ability]:
    """Every capability, whether it works on this channel and, if not, why."""
    connector = CONNECTORS.get(channel.network)
    label = channel.get_network_display()
    abilities = []
    for capability, words in CAPABILITY_WORDS.items():
        if connector is None or capability not in connector.capabilities:
            why = f"{label} does not offer this to Townsquare"
            abilities.append(Ability(capability, words, False, why))
        elif not channel_can(channel, capability):
            if channel.network not in NO_SECRET_NEEDED and not channel.has_credentials:
                why = "no access is stored for the account: store its token or app password below"
            else:
                why = missing_access(channel, capability) or missing_setting(channel, capability)
            abilities.append(Ability(capability, words, False, why))
        elif capability == "search" and not listening_enabled(channel):
            abilities.append(Ability(capability, words, False, "switched off for this channel (see Details)"))
        else:
            abilities.append(Ability(capability, words, True))
    return abilities
