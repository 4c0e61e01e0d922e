"""Claiming due posts: each post goes to one claimer; abandoned claims come back after the lease."""

from __future__ import annotations

import json
from datetime import timedelta

from townsquare.publishing.claims import lease_timeout, scheduled_posts_claim
from townsquare.publishing.models import PostStatus, ScheduledPost
from townsquare.publishing.publisher import scheduled_post_publish

from ..factories import make_channel
from .helpers import NOW, make_post


def test_two_claimers_never_get_the_same_post(organisation):
    channel = make_channel(organisation)
    due = {make_post(organisation, channel, text=f"post {n}").id for n in range(25)}
    later = make_post(organisation, channel, at=NOW + timedelta(hours=1))
    draft = make_post(organisation, channel, status=PostStatus.DRAFT)
    claims = {"a": [], "b": []}
    while True:
        got_a = scheduled_posts_claim(worker="a", limit=4, now=NOW)
        got_b = scheduled_posts_claim(worker="b", limit=4, now=NOW)
        if not got_a and not got_b:
            break
        claims["a"] += [post.id for post in got_a]
        claims["b"] += [post.id for post in got_b]
    assert not set(claims["a"]) & set(claims["b"])
    assert sorted(claims["a"] + claims["b"]) == sorted(due)
    assert all(post.claimed_by.startswith(("a:", "b:")) for post in ScheduledPost.objects.filter(id__in=due))
    assert ScheduledPost.objects.get(id=later.id).status == PostStatus.SCHEDULED
    assert ScheduledPost.objects.get(id=draft.id).status == PostStatus.DRAFT


def test_a_post_abandoned_in_publishing_is_claimed_again_after_the_lease(organisation, settings):
    settings.TOWNSQUARE_PUBLISH_LEASE_SECONDS = 60
    post = make_post(organisation, make_channel(organisation))
    [claimed] = scheduled_posts_claim(worker="dead", now=NOW)
    assert claimed.id == post.id and claimed.attempts == 1
    assert scheduled_posts_claim(worker="alive", now=NOW + lease_timeout() - timedelta(seconds=1)) == []
    [reclaimed] = scheduled_posts_claim(worker="alive", now=NOW + lease_timeout() + timedelta(seconds=1))
    assert reclaimed.id == post.id and reclaimed.attempts == 2
    assert reclaimed.claimed_by.startswith("alive:") and reclaimed.status == PostStatus.PUBLISHING


def test_a_worker_that_lost_its_lease_publishes_nothing_twice(organisation, settings, tmp_path):
    settings.TOWNSQUARE_SANDBOX_OUTBOX = str(tmp_path / "outbox.jsonl")
    settings.TOWNSQUARE_PUBLISH_LEASE_SECONDS = 60
    make_post(organisation, make_channel(organisation))
    [slow] = scheduled_posts_claim(worker="slow", now=NOW)
    [fast] = scheduled_posts_claim(worker="fast", now=NOW + timedelta(minutes=2))
    assert scheduled_post_publish(post=fast) == "published"
    # The slow worker wakes up and calls the network with the same key: the network returns the first post.
    assert scheduled_post_publish(post=slow) == "published"
    lines = (tmp_path / "outbox.jsonl").read_text().splitlines()
    assert [json.loads(line)["reference"] for line in lines] == [str(fast.idempotency_key)]
    stored = ScheduledPost.objects.get(id=fast.id)
    assert stored.status == PostStatus.PUBLISHED and stored.published_external_id == f"pub-{fast.idempotency_key}"
    assert stored.publish_attempts.count() == 2
