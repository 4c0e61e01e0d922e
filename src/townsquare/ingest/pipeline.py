"""The ingest pipeline: normalised records in, stored posts out.

normalise (posts.normalise) -> de-duplicate and store (posts.services) -> thread conversations.
Listening, enrichment, conversation routing and count tables hook in here as they land.
"""

from __future__ import annotations

from townsquare.inbox.routing import conversations_route
from townsquare.mentions.matching import mentions_match
from townsquare.orgs.models import Organisation
from townsquare.posts.normalise import PostRecord
from townsquare.posts.services import StoreResult, posts_store


def ingest_records(*, organisation: Organisation, records: list[PostRecord], source: str) -> StoreResult:
    result = posts_store(organisation=organisation, records=records, source=source)
    conversations_route(organisation=organisation, posts=result.stored)
    mentions_match(organisation=organisation, posts=result.stored)
    return result
