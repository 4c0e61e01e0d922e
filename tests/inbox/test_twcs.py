"""The decisive test: the customer-support sample threaded into conversations, figures checked against a
plain computation over the same CSV."""

from __future__ import annotations

import json
import math
import re
import statistics
from collections import defaultdict
from datetime import datetime

import pytest
from django.core.management import call_command

from tests.conftest import shared_data
from tests.test_import import TWCS_MAP, twcs_rows
from townsquare.inbox.models import Conversation, InboxPolicy
from townsquare.ingest.pipeline import ingest_records
from townsquare.posts.normalise import parse_post

TARGET_S = 3600
MENTION = re.compile(r"@(\w+)")


def twcs_expected(path) -> dict:
    """Reply chains from the CSV alone: first inbound tweet -> first brand tweet at or after it."""
    rows = twcs_rows(path)
    brands = {row["author_id"] for row in rows if row["inbound"] == "False"}
    brands_lower = {brand.lower() for brand in brands}
    parent = {row["tweet_id"]: row["in_response_to_tweet_id"].removesuffix(".0") for row in rows}

    def root(tweet_id: str) -> str:
        while parent.get(tweet_id) and parent[tweet_id] in parent:
            tweet_id = parent[tweet_id]
        return tweet_id

    chains = defaultdict(list)
    for row in rows:
        when = datetime.strptime(row["created_at"], "%a %b %d %H:%M:%S %z %Y")
        chains[root(row["tweet_id"])].append((when, row))
    conversations = {}
    for top, chain in chains.items():
        inbound = sorted(when for when, row in chain if row["author_id"] not in brands)
        ours = sorted(when for when, row in chain if row["author_id"] in brands)
        mentions = any(m.lower() in brands_lower for _, row in chain for m in MENTION.findall(row["text"]))
        if not inbound or not (ours or mentions):
            continue
        reply = next((when for when in ours if when >= inbound[0]), None)
        conversations[top] = (reply - inbound[0]).total_seconds() if reply else None
    return {"brands": brands, "conversations": conversations}


def nearest_rank(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[math.ceil(fraction * len(ordered)) - 1]


@pytest.fixture
def twcs_org(organisation, capsys):
    path = shared_data("twcs_sample/twcs_sample.csv")
    expected = twcs_expected(path)
    for brand in sorted(expected["brands"]):
        call_command("channel", "add", "--org", organisation.slug, "--network", "twitter", "--handle", brand)
    InboxPolicy.objects.create(
        organisation=organisation,
        first_response_targets=dict.fromkeys(["urgent", "high", "normal", "low"], TARGET_S),
    )
    call_command("import", str(path), "--org", organisation.slug, "--map", TWCS_MAP)
    capsys.readouterr()
    return path, expected


def test_twcs_threads_into_conversations_with_the_plain_figures(twcs_org, organisation, capsys):
    _, expected = twcs_org
    conversations = Conversation.objects.filter(organisation=organisation).select_related("root_post")
    assert {c.root_post.external_id for c in conversations} == set(expected["conversations"])
    for conversation in conversations:
        seconds = expected["conversations"][conversation.root_post.external_id]
        actual = conversation.first_response_at
        assert (None if actual is None else (actual - conversation.first_public_message_at).total_seconds()) == seconds
    call_command("stats", "inbox", "--org", organisation.slug, "--json")
    figures = json.loads(capsys.readouterr().out)
    answered = [s for s in expected["conversations"].values() if s is not None]
    assert figures["conversations"] == len(expected["conversations"]) == figures["open"]
    assert figures["answered"] == len(answered)
    assert figures["first_response_median_s"] == statistics.median(answered)
    assert figures["first_response_p90_s"] == nearest_rank(answered, 0.9)
    assert figures["breaches"] == sum(1 for s in answered if s > TARGET_S)
    assert figures["resolved"] == 0 and figures["resolution_median_s"] is None


def test_twcs_routing_does_not_depend_on_arrival_order(twcs_org, organisation, other_organisation):
    """The same rows stored newest first in small batches give the same conversations and figures."""
    path, expected = twcs_org
    for brand in sorted(expected["brands"]):
        call_command("channel", "add", "--org", other_organisation.slug, "--network", "twitter", "--handle", brand)
    records = [
        parse_post(
            {
                "id": r["tweet_id"],
                "author": r["author_id"],
                "text": r["text"],
                "created_at": r["created_at"],
                "in_reply_to": r["in_response_to_tweet_id"],
            },
            default_network="twitter",
        )
        for r in twcs_rows(path)
    ]
    records.reverse()
    for start in range(0, len(records), 250):
        ingest_records(organisation=other_organisation, records=records[start : start + 250], source="test")

    def summary(org):
        return {
            (
                c.root_post.external_id,
                c.channel.handle,
                c.first_public_message_at,
                c.first_response_at,
                c.last_message_at,
            )
            for c in Conversation.objects.filter(organisation=org).select_related("root_post", "channel")
        }

    assert summary(other_organisation) == summary(organisation)
    assert len(summary(organisation)) == len(expected["conversations"])
