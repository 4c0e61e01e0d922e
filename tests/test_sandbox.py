"""The sandbox network: a deterministic simulated public, and safe publishing with an outbox for checks."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from tests.factories import make_channel
from townsquare.networks.sandbox.services import sandbox_public_for, sandbox_publish, sandbox_simulate
from townsquare.networks.sandbox.simulator import SandboxPublic
from townsquare.posts.models import Post

NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def test_the_simulated_public_is_deterministic_and_talks_to_the_organisation():
    first = SandboxPublic(7, org_handles=["northfieldcc"]).posts(NOON, 50)
    second = SandboxPublic(7, org_handles=["northfieldcc"]).posts(NOON, 50)
    assert [post.text for post in first] == [post.text for post in second]
    kinds = {post.extra["simulated"]["kind"] for post in first}
    assert {"complaint", "question", "praise"} <= kinds
    addressed = [post for post in first if post.extra["simulated"]["kind"] != "information"]
    assert all("northfieldcc" in post.mentions for post in addressed)


def test_nights_are_quiet_and_bursts_are_busy():
    public = SandboxPublic(1, org_handles=["c"])
    assert public.rate_per_minute(datetime(2026, 3, 2, 3, tzinfo=UTC)) < public.rate_per_minute(NOON)
    public.burst_left = 5
    assert public.rate_per_minute(NOON) == 5 * SandboxPublic(1, org_handles=["c"]).rate_per_minute(NOON)


def test_simulation_stores_new_posts_for_the_organisation(organisation):
    make_channel(organisation, handle="northfieldcc")
    public = sandbox_public_for(organisation=organisation, seed=3)
    stored = sum(sandbox_simulate(organisation=organisation, public=public, seconds=60, now=NOON) for _ in range(5))
    assert stored > 0
    assert Post.objects.filter(organisation=organisation, network="sandbox").count() == stored


def test_publishing_appends_to_the_outbox_and_stores_the_post(organisation, settings, tmp_path):
    settings.TOWNSQUARE_SANDBOX_OUTBOX = str(tmp_path / "outbox.jsonl")
    channel = make_channel(organisation, handle="northfieldcc")
    post = sandbox_publish(channel=channel, text="Bins are collected as normal today", reference="sched-1")
    line = json.loads((tmp_path / "outbox.jsonl").read_text())
    assert line["reference"] == "sched-1" and line["id"] == post.external_id
    assert post.author.handle == "northfieldcc" and post.source == "published"
