"""Moving a planned post: who may, to when, and never against a worker that has claimed it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from townsquare.publishing.claims import scheduled_posts_claim
from townsquare.publishing.models import PostStatus, ScheduledPost
from townsquare.publishing.moves import scheduled_post_move
from townsquare.publishing.publisher import scheduled_posts_publish_due

from ..factories import make_channel
from .helpers import NOW, make_post

LATER = NOW + timedelta(days=2)


@pytest.fixture
def channel(organisation):
    return make_channel(organisation, handle="northfieldcc")


def test_an_approver_moves_a_scheduled_post_and_the_worker_follows_the_new_time(organisation, channel, people):
    post = make_post(organisation, channel, at=NOW + timedelta(minutes=5))
    scheduled_post_move(post=post, actor=people["editor"], to=LATER, now=NOW)
    stored = ScheduledPost.objects.get(id=post.id)
    assert stored.scheduled_at == stored.next_attempt_at == LATER and stored.status == PostStatus.SCHEDULED
    # At its old time nothing is due; at its new time it is claimed once.
    assert scheduled_posts_claim(worker="w", now=NOW + timedelta(minutes=5)) == []
    [claimed] = scheduled_posts_claim(worker="w", now=LATER)
    assert claimed.id == post.id


def test_a_post_a_worker_has_claimed_cannot_be_moved(organisation, channel, people):
    post = make_post(organisation, channel, at=NOW - timedelta(minutes=1))
    [claimed] = scheduled_posts_claim(worker="w", now=NOW)
    with pytest.raises(ValidationError, match="publishing and can no longer be moved"):
        scheduled_post_move(post=post, actor=people["owner"], to=LATER, now=NOW)
    stored = ScheduledPost.objects.get(id=post.id)
    assert stored.status == PostStatus.PUBLISHING and stored.scheduled_at == NOW - timedelta(minutes=1)
    assert stored.claimed_by == claimed.claimed_by


@pytest.mark.parametrize("status", [PostStatus.PUBLISHED, PostStatus.FAILED])
def test_published_and_failed_posts_stay_where_they_are(organisation, channel, people, status):
    post = make_post(organisation, channel, at=NOW + timedelta(hours=1))
    ScheduledPost.objects.filter(id=post.id).update(status=status)
    with pytest.raises(ValidationError, match="can no longer be moved"):
        scheduled_post_move(post=post, actor=people["owner"], to=LATER, now=NOW)
    assert ScheduledPost.objects.get(id=post.id).scheduled_at == NOW + timedelta(hours=1)


def test_a_contributor_moves_their_own_draft_but_not_others_nor_after_approval(organisation, channel, people):
    own = make_post(organisation, channel, status=PostStatus.DRAFT, author=people["contributor"], at=LATER)
    scheduled_post_move(post=own, actor=people["contributor"], to=LATER + timedelta(hours=3), now=NOW)
    assert ScheduledPost.objects.get(id=own.id).scheduled_at == LATER + timedelta(hours=3)
    others = make_post(organisation, channel, status=PostStatus.DRAFT, author=people["editor"], at=LATER)
    with pytest.raises(PermissionDenied):
        scheduled_post_move(post=others, actor=people["contributor"], to=LATER + timedelta(hours=1), now=NOW)
    approved = make_post(organisation, channel, author=people["contributor"], at=LATER)
    with pytest.raises(ValidationError, match="only an approver"):
        scheduled_post_move(post=approved, actor=people["contributor"], to=LATER + timedelta(hours=1), now=NOW)
    # Approved between the page being shown and the move: the conditional UPDATE refuses it.
    seen = make_post(organisation, channel, status=PostStatus.SUBMITTED, author=people["contributor"], at=LATER)
    ScheduledPost.objects.filter(id=seen.id).update(status=PostStatus.SCHEDULED)
    with pytest.raises(ValidationError, match="only an approver"):
        scheduled_post_move(post=seen, actor=people["contributor"], to=LATER + timedelta(hours=1), now=NOW)
    assert ScheduledPost.objects.get(id=seen.id).scheduled_at == LATER


def test_viewers_and_outsiders_cannot_move_and_the_past_is_refused(organisation, channel, people):
    post = make_post(organisation, channel, at=LATER)
    for who in ("viewer", "outsider"):
        with pytest.raises(PermissionDenied):
            scheduled_post_move(post=post, actor=people[who], to=LATER + timedelta(hours=1), now=NOW)
    with pytest.raises(ValidationError, match="has passed"):
        scheduled_post_move(post=post, actor=people["owner"], to=NOW - timedelta(minutes=1), now=NOW)
    with pytest.raises(ValueError):
        scheduled_post_move(post=post, actor=people["owner"], to=datetime(2026, 5, 1, 9, 0), now=NOW)
    assert ScheduledPost.objects.get(id=post.id).scheduled_at == LATER


def test_a_moved_post_is_published_once_at_its_new_time(organisation, channel, people, settings, tmp_path):
    settings.TOWNSQUARE_SANDBOX_OUTBOX = str(tmp_path / "outbox.jsonl")
    post = make_post(organisation, channel, at=NOW + timedelta(minutes=1))
    scheduled_post_move(post=post, actor=people["editor"], to=datetime(2026, 3, 2, 11, 0, tzinfo=UTC), now=NOW)
    with mock.patch("django.utils.timezone.now", return_value=NOW + timedelta(minutes=1)):
        assert scheduled_posts_publish_due().published == []
    with mock.patch("django.utils.timezone.now", return_value=datetime(2026, 3, 2, 11, 0, tzinfo=UTC)):
        assert scheduled_posts_publish_due().published == [post.id]
    assert len((tmp_path / "outbox.jsonl").read_text().splitlines()) == 1
