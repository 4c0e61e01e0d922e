"""How long a post is in its network's own unit: characters, or graphemes on Bluesky.

Graphemes are approximated without a Unicode segmentation library: combining marks, variation selectors,
emoji skin tones and anything joined by a zero-width joiner add nothing, and a pair of regional indicators
(a flag) counts once. The compose page counts with the browser's Intl.Segmenter, which agrees on these cases.
"""

from __future__ import annotations

import unicodedata

from townsquare.networks.registry import network_get

GRAPHEME_NETWORKS = frozenset({"bluesky"})
ZWJ = "\u200d"


def _extends(char: str) -> bool:
    point = ord(char)
    return (
        unicodedata.combining(char) != 0
        or unicodedata.category(char) in ("Mn", "Me")
        or 0xFE00 <= point <= 0xFE0F  # variation selectors
        or 0x1F3FB <= point <= 0x1F3FF  # emoji skin tones
        or 0xE0020 <= point <= 0xE007F  # emoji tag sequences (subdivision flags)
    )


def grapheme_count(text: str) -> int:
    count = 0
    joined = False
    regional_pending = False
    for char in text:
        if char == ZWJ:
            joined = True
            continue
        if joined or _extends(char):
            joined = False
            continue
        if 0x1F1E6 <= ord(char) <= 0x1F1FF:  # regional indicators pair up into flags
            if regional_pending:
                regional_pending = False
                continue
            regional_pending = True
        else:
            regional_pending = False
        count += 1
    return count


def text_length(*, text: str, network: str) -> int:
    return grapheme_count(text) if network in GRAPHEME_NETWORKS else len(text)


def text_unit(network: str) -> str:
    return "graphemes" if network in GRAPHEME_NETWORKS else "characters"


def text_limit(network: str) -> int:
    """0 means no limit."""
    return network_get(network).text_limit
