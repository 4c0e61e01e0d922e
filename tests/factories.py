"""Small builders for test data, going through the real services."""

from __future__ import annotations

from datetime import UTC, datetime

from townsquare.channels.models import Channel
from townsquare.channels.services import channel_create
from townsquare.ingest.pipeline import ingest_records
from townsquare.orgs.models import Organisation
from townsquare.posts.normalise import parse_post


def store_posts(organisation: Organisation, *posts: dict, network: str = "sandbox") -> list:
    records = []
    for index, data in enumerate(posts):
        data = {"created_at": datetime(2026, 3, 1, 9, index % 60, tzinfo=UTC).isoformat(), "author": "resident", **data}
        records.append(parse_post(data, default_network=network))
    return ingest_records(organisation=organisation, records=records, source="test").stored


def make_channel(organisation: Organisation, handle: str = "council", network: str = "sandbox", **extra) -> Channel:
    return channel_create(organisation=organisation, network=network, handle=handle, **extra)
