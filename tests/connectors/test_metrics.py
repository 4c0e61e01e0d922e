"""The metrics job: the account's followers and its own recent posts' engagement, into their histories."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from tests.connectors.conftest import Canned, mastodon_status
from tests.connectors.test_mastodon import add_channel
from tests.factories import make_channel
from townsquare.channels.models import AccountSnapshot, Channel, ChannelStatus
from townsquare.ingest.pipeline import ingest_records
from townsquare.jobs.tasks import enqueue_metrics_refresh, refresh_channel_metrics
from townsquare.networks.mastodon.mapping import status_to_record
from townsquare.posts.models import MetricSnapshot, Post


def store(organisation, *statuses: dict) -> None:
    ingest_records(organisation=organisation, records=[status_to_record(s) for s in statuses], source="sync")


def recent(status: dict, days: int = 1) -> dict:
    return {**status, "created_at": (timezone.now() - timedelta(days=days)).isoformat()}


def test_followers_and_own_recent_posts_get_a_new_observation(organisation, fake_network):
    own = recent(mastodon_status("6001", text="Bin days over the holidays", acct="northfieldcc"))
    deleted = recent(mastodon_status("6002", text="Deleted since", acct="northfieldcc"))
    old = recent(mastodon_status("6003", text="Last year's news", acct="northfieldcc"), days=90)
    theirs = recent(mastodon_status("6004", text="Someone else's post"))
    store(organisation, own, deleted, old, theirs)
    fake_network.statuses["6001"] = {**own, "favourites_count": 40, "reblogs_count": 9, "replies_count": 3}
    fake_network.statuses["6003"] = {**old, "favourites_count": 99}
    fake_network.statuses["6004"] = {**theirs, "favourites_count": 99}
    fake_network.followers = 2048
    channel = add_channel(fake_network)
    assert refresh_channel_metrics.call_local(channel.id) == "ok"
    assert list(AccountSnapshot.objects.filter(channel=channel).values_list("followers", flat=True)) == [2048]
    post = Post.objects.get(external_id="6001")
    assert (post.likes_count, post.shares_count, post.replies_count) == (40, 9, 3)
    assert [snapshot.likes for snapshot in MetricSnapshot.objects.filter(post=post)] == [2, 40]
    # Only the recent own posts were asked for; the deleted one keeps its history as it was.
    asked = [path for _, path, _ in fake_network.requests if path == "/api/v1/statuses"]
    assert len(asked) == 1 and MetricSnapshot.objects.filter(post__external_id="6002").count() == 1
    assert Post.objects.get(external_id="6003").likes_count == 2
    assert Post.objects.get(external_id="6004").likes_count == 2


def test_revoked_access_during_the_metrics_job_disables_the_channel(organisation, fake_network):
    channel = add_channel(fake_network)
    fake_network.fail_next(
        "/api/v1/accounts/verify_credentials", Canned(401, b'{"error":"The access token is invalid"}')
    )
    assert "refused the stored access" in refresh_channel_metrics.call_local(channel.id)
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.DISABLED and not AccountSnapshot.objects.exists()


def test_the_hourly_job_enqueues_only_enabled_channels_whose_network_gives_metrics(organisation, fake_network):
    add_channel(fake_network)
    make_channel(organisation, handle="gazette", network="rss", options={"url": "http://127.0.0.1:9/feed"})
    off = make_channel(organisation, handle="off", network="bluesky")
    Channel.objects.filter(id=off.id).update(status=ChannelStatus.DISABLED)
    assert enqueue_metrics_refresh.call_local() == 1
