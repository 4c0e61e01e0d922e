"""The ingest pipeline: normalised records in, stored posts out.

normalise (posts.normalise) -> de-duplicate and store, thread (posts.services) -> enrich (labels)
-> route into inbox conversations (inbox) -> match listening queries (mentions). Posts that come back edited
are enriched and matched again.
"""

from __future__ import annotations

from django.db import transaction

from townsquare.inbox.routing import conversations_route
from townsquare.labels.services import posts_enrich
from townsquare.mentions.matching import mentions_match
from townsquare.orgs.models import Organisation
from townsquare.posts.normalise import PostRecord
from townsquare.posts.services import StoreResult, posts_store


def ingest_records(*, organisation: Organisation, records: list[PostRecord], source: str) -> StoreResult:
    # One transaction: a post stored without its labels, conversation or mentions would never get them,
    # since a retry sees it as a duplicate.
    with transaction.atomic():
        result = posts_store(organisation=organisation, records=records, source=source)
        # Before routing and matching: priority and `lang:` read the labels.
        posts_enrich(posts=result.stored)
        conversations_route(organisation=organisation, posts=result.stored)
        mentions_match(organisation=organisation, posts=result.stored)
        # An edited post is labelled and matched again on its new text; mentions of its old text are kept.
        posts_enrich(posts=result.edited)
        mentions_match(organisation=organisation, posts=result.edited)
    return result
