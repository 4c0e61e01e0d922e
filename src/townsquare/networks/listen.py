"""Listening by public search and by firehose: which terms to ask for, and which posts found to keep.

The organisation's active listening queries decide both. Search terms come from the queries' anchors
(networks/searchterms.py); a post found is kept only when it matches one of the queries, so a search for a
common anchor word does not fill the organisation's posts with what nobody listens for. The kept posts go
through the normal ingest pipeline, whose matching records the mentions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max

from townsquare.listening import Matcher, prepare_post
from townsquare.mentions.models import ListeningQuery
from townsquare.networks.searchterms import SearchPlan, search_plan
from townsquare.orgs.models import Organisation
from townsquare.posts.normalise import PostRecord

# The channel option that switches listening by search on (`--option listen=true`).
LISTEN_OPTION = "listen"
TRUE_WORDS = {"true", "yes", "1", "on"}
# The Jetstream consumer's cursor in `channel.search_cursor`, beside the search terms' cursors.
FIREHOSE_CURSOR = "jetstream"


def listening_enabled(channel) -> bool:
    value = (channel.options or {}).get(LISTEN_OPTION)
    return value is True or str(value).strip().lower() in TRUE_WORDS


def record_for_matching(record: PostRecord) -> dict[str, Any]:
    """The fields the matcher reads, from a record not yet stored (mentions.matching does this for posts)."""
    return {
        "id": record.external_id,
        "title": record.title,
        "text": record.text,
        "author": {"handle": record.author.handle, "followers": record.author.followers, "country": None},
        "lang": record.language or None,
        "network": record.network,
        "hashtags": record.hashtags,
        "mentions": record.mentions,
        "links": record.links,
    }


@dataclass
class ListeningFilter:
    """The organisation's active queries at one moment, as a plan for searching and a filter for posts."""

    organisation_id: int
    queries: dict[int, tuple[str, str]]
    matcher: Matcher
    signature: tuple[int, Any]

    def plan(self, kinds: frozenset[str]) -> SearchPlan:
        return search_plan(self.queries, kinds)

    def keep(self, records: Iterable[PostRecord]) -> list[PostRecord]:
        records = list(records)
        if not self.queries:
            return []
        found = self.matcher.match_many([prepare_post(record_for_matching(record)) for record in records])
        return [record for record, ids in zip(records, found, strict=True) if ids]

    def stale(self) -> bool:
        """Whether the queries changed since the filter was built (another process edited them)."""
        return _signature(self.organisation_id) != self.signature


def _signature(organisation_id: int) -> tuple[int, Any]:
    row = ListeningQuery.objects.filter(organisation_id=organisation_id).aggregate(n=Count("id"), at=Max("updated_at"))
    return row["n"], row["at"]


def listening_filter(organisation: Organisation) -> ListeningFilter:
    signature = _signature(organisation.id)
    queries = {
        query.id: (query.name, query.text)
        for query in ListeningQuery.objects.filter(organisation=organisation, paused=False)
    }
    matcher = Matcher()
    for query_id, (_, text) in queries.items():
        matcher.add(query_id, text)
    return ListeningFilter(organisation_id=organisation.id, queries=queries, matcher=matcher, signature=signature)
