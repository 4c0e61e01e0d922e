"""Publishing a claimed post: idempotent on the network, retries with backoff, permanent failures kept."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from townsquare.networks.base import ConnectorError
from townsquare.networks.sandbox.connector import SandboxConnector
from townsquare.networks.sandbox.services import sandbox_publish
from townsquare.posts.models import Post
from townsquare.publishing.claims import scheduled_posts_claim
from townsquare.publishing.models import PostStatus, PublishAttempt, ScheduledPost
from townsquare.publishing.publisher import MAX_ATTEMPTS, retry_delay, scheduled_post_publish

from ..factories import make_channel
from .helpers import NOW, make_post


def failing(message: str, *, permanent: bool, retry_after: float | None = None):
    def publish(self, **kwargs):
        raise ConnectorError(message, permanent=permanent, retry_after=retry_after)

    return publish


def test_sandbox_publishing_is_idempotent_by_reference(organisation, settings, tmp_path):
    outbox = tmp_path / "outbox.jsonl"
    settings.TOWNSQUARE_SANDBOX_OUTBOX = str(outbox)
    channel = make_channel(organisation)
    first = sandbox_publish(channel=channel, text="Road closed", reference="key-1")
    again = sandbox_publish(channel=channel, text="Road closed", reference="key-1")
    assert again.id == first.id and first.external_id == "pub-key-1"
    assert len(outbox.read_text().splitlines()) == 1


def test_a_crash_after_the_network_accepted_the_post_is_completed_without_posting_again(
    organisation, settings, tmp_path
):
    outbox = tmp_path / "outbox.jsonl"
    settings.TOWNSQUARE_SANDBOX_OUTBOX = str(outbox)
    channel = make_channel(organisation)
    sandbox_publish(channel=channel, text="Road closed", reference="key-2")
    Post.objects.filter(external_id="pub-key-2").delete()  # as if the process died before storing it
    post = sandbox_publish(channel=channel, text="Road closed", reference="key-2")
    assert post.external_id == "pub-key-2"
    assert [json.loads(line)["reference"] for line in outbox.read_text().splitlines()] == ["key-2"]


def test_a_transient_failure_is_retried_later_with_a_growing_backoff(organisation, monkeypatch):
    monkeypatch.setattr(SandboxConnector, "publish", failing("timed out", permanent=False))
    post = make_post(organisation, make_channel(organisation))
    [claimed] = scheduled_posts_claim(worker="w", now=NOW)
    assert scheduled_post_publish(post=claimed) == "retry"
    post.refresh_from_db()
    attempt = post.publish_attempts.get()
    assert post.status == PostStatus.SCHEDULED and post.last_error == "timed out" and post.claimed_by == ""
    assert post.next_attempt_at == attempt.finished_at + retry_delay(1)
    assert scheduled_posts_claim(worker="w", now=attempt.finished_at + retry_delay(1) - timedelta(seconds=1)) == []
    [again] = scheduled_posts_claim(worker="w", now=attempt.finished_at + retry_delay(1))
    assert again.attempts == 2
    assert retry_delay(1) == timedelta(seconds=30) and retry_delay(2) == timedelta(seconds=60)
    assert retry_delay(20) == timedelta(hours=1)


def test_a_transient_failure_waits_at_least_as_long_as_the_network_asked(organisation, monkeypatch):
    monkeypatch.setattr(SandboxConnector, "publish", failing("rate limited", permanent=False, retry_after=900))
    post = make_post(organisation, make_channel(organisation))
    [claimed] = scheduled_posts_claim(worker="w", now=NOW)
    assert scheduled_post_publish(post=claimed) == "retry"
    post.refresh_from_db()
    assert post.next_attempt_at == post.publish_attempts.get().finished_at + timedelta(seconds=900)


def test_an_unexpected_error_is_treated_as_transient(organisation, monkeypatch):
    def broken(self, **kwargs):
        raise ConnectionResetError("peer reset")

    monkeypatch.setattr(SandboxConnector, "publish", broken)
    make_post(organisation, make_channel(organisation))
    [claimed] = scheduled_posts_claim(worker="w", now=NOW)
    assert scheduled_post_publish(post=claimed) == "retry"
    assert ScheduledPost.objects.get(id=claimed.id).last_error == "ConnectionResetError: peer reset"


@pytest.mark.parametrize("permanent", [True, False])
def test_a_permanent_failure_keeps_the_post_and_tells_author_and_approver(
    organisation, people, monkeypatch, mailoutbox, django_capture_on_commit_callbacks, permanent
):
    monkeypatch.setattr(SandboxConnector, "publish", failing("text rejected", permanent=permanent))
    post = make_post(organisation, make_channel(organisation), author=people["contributor"])
    ScheduledPost.objects.filter(id=post.id).update(approved_by=people["editor"])
    if not permanent:  # a transient error becomes final after the last allowed attempt
        ScheduledPost.objects.filter(id=post.id).update(attempts=MAX_ATTEMPTS - 1)
    [claimed] = scheduled_posts_claim(worker="w", now=NOW)
    with django_capture_on_commit_callbacks(execute=True):
        assert scheduled_post_publish(post=claimed) == "failed"
    post.refresh_from_db()
    assert post.status == PostStatus.FAILED and post.last_error == "text rejected"
    assert post.publish_attempts.get(number=post.attempts).outcome == PublishAttempt.Outcome.FAILED
    assert len(mailoutbox) == 1
    assert sorted(mailoutbox[0].to) == ["contributor@example.org", "editor@example.org"]
    assert "text rejected" in mailoutbox[0].body and "could not be published" in mailoutbox[0].body
    assert scheduled_posts_claim(worker="w", now=NOW + timedelta(days=1)) == []


def test_a_network_without_a_publisher_fails_permanently(organisation, mailoutbox):
    channel = make_channel(organisation, handle="council", network="youtube")
    make_post(organisation, channel)
    [claimed] = scheduled_posts_claim(worker="w", now=NOW)
    assert scheduled_post_publish(post=claimed) == "failed"
    assert "cannot publish on YouTube" in ScheduledPost.objects.get(id=claimed.id).last_error
