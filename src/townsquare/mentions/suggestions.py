"""Queries offered to a new organisation: its name, its accounts and the place it serves.

Worked out when the listening page is shown (so channels added later are offered too) and never saved
until someone accepts one; a suggestion whose text is already a query is not offered again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from townsquare.listening import QueryError, parse, to_text
from townsquare.mentions.models import QueryKind
from townsquare.orgs.models import Organisation

# Words that name the kind of body rather than the place: "Northfield Borough Council" serves "Northfield".
BODY_WORDS = re.compile(
    r"\b(borough|city|county|district|town|parish|metropolitan|council|authority|of|the|and)\b", re.IGNORECASE
)


@dataclass(frozen=True)
class Suggestion:
    name: str
    text: str
    kind: str


def query_suggestions(*, organisation: Organisation) -> list[Suggestion]:
    offered = [Suggestion(organisation.name, f'"{organisation.name}"', QueryKind.ORGANISATION)]
    handles = sorted({channel.handle.lstrip("@") for channel in organisation.channels.all()})
    if handles:
        offered.append(Suggestion("Our accounts", " OR ".join(f"@{h}" for h in handles), QueryKind.ORGANISATION))
    place = " ".join(BODY_WORDS.sub(" ", organisation.name).split())
    if place and place.lower() != organisation.name.lower():
        offered.append(Suggestion(place, f'"{place}"' if " " in place else place, QueryKind.PLACE))
    existing = set(organisation.listening_queries.values_list("text", flat=True))
    return [s for s in offered if _canonical(s.text) not in existing | {None}]


def _canonical(text: str) -> str | None:
    try:
        return to_text(parse(text))
    except QueryError:  # a handle or name the language cannot spell is not offered
        return None
