"""The registry, the sandbox behind the interface, scheduling, and reading wait times from headers."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from tests.factories import make_channel
from townsquare.channels.models import Channel, ChannelStatus
from townsquare.jobs.tasks import sync_channel
from townsquare.networks.base import CAPABILITIES, ConnectorError, retry_after_seconds
from townsquare.networks.connectors import CONNECTORS, connector_for
from townsquare.networks.registry import NETWORKS
from townsquare.networks.sync import channels_due
from townsquare.posts.models import Post


def test_every_connected_network_has_a_connector_and_no_other():
    assert set(CONNECTORS) == {kind for kind, network in NETWORKS.items() if network.connected}
    for kind, connector in CONNECTORS.items():
        assert connector.kind == kind
        assert connector.capabilities and connector.capabilities <= CAPABILITIES


def test_the_capability_table_in_the_docs_is_true():
    """docs/connectors.md's table is what admins read to choose a network: it must say what the code does."""
    table = (Path(__file__).parents[2] / "docs" / "connectors.md").read_text()
    rows = re.findall(r"^\| (\w+) +\| `networks/\w+/` +\| ([\w, ]+?) +\|", table, re.MULTILINE)
    documented = {kind: {name.strip() for name in names.split(",")} for kind, names in rows}
    assert documented == {kind: set(connector.capabilities) for kind, connector in CONNECTORS.items()}


def test_an_unconnected_network_says_to_import_instead():
    with pytest.raises(ConnectorError, match="import its exports"):
        connector_for("myspace")


def test_the_sandbox_publishes_through_its_service_and_has_nothing_to_fetch(organisation):
    channel = make_channel(organisation, handle="northfieldcc")
    connector = CONNECTORS["sandbox"]
    result = connector.publish(channel=channel, credentials={}, text="Bins as normal", idempotency_key="k1")
    post = Post.objects.get(external_id=result.external_id)
    assert post.text == "Bins as normal" and post.source == "published"
    assert connector.fetch(channel=channel, credentials={}, cursor={"x": 1}).records == []


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"Retry-After": "30"}, 30.0),
        ({"Retry-After": "Thu, 01 Jan 2026 00:01:00 GMT"}, 60.0),
        ({"X-RateLimit-Reset": "2026-01-01T00:05:00.000Z"}, 300.0),
        ({"X-RateLimit-Reset": "1767225720"}, 120.0),
        ({"Retry-After": "soon"}, None),
        ({}, None),
    ],
)
def test_wait_times_are_read_from_the_headers_networks_send(headers, seconds):
    assert retry_after_seconds(headers, now=1767225600.0) == seconds


def test_channels_are_due_by_their_network_interval_and_never_when_disabled(organisation):
    now = timezone.now()
    fresh = make_channel(organisation, handle="fresh", network="rss", options={"url": "http://127.0.0.1:9/x"})
    stale = make_channel(organisation, handle="stale", network="mastodon")
    recent = make_channel(organisation, handle="recent", network="mastodon")
    failed = make_channel(organisation, handle="failed", network="mastodon")
    disabled = make_channel(organisation, handle="off", network="mastodon")
    make_channel(organisation, handle="sandbox")
    Channel.objects.filter(id=stale.id).update(last_synced_at=now - timedelta(minutes=6))
    Channel.objects.filter(id=recent.id).update(last_synced_at=now - timedelta(minutes=4))
    Channel.objects.filter(id=failed.id).update(status=ChannelStatus.ERROR, last_error_at=now - timedelta(minutes=1))
    Channel.objects.filter(id=disabled.id).update(status=ChannelStatus.DISABLED)
    assert {channel.handle for channel in channels_due(now=now)} == {fresh.handle, stale.handle}


def test_the_sync_task_records_the_error_of_a_channel_without_credentials(organisation):
    channel = make_channel(organisation, handle="nocreds", network="mastodon", options={"instance": "http://x"})
    assert "no instance URL or access token" in sync_channel.call_local(channel.id)
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.DISABLED


def test_sync_of_an_unknown_channel_says_so(organisation):
    with pytest.raises(CommandError, match="no connected channel with id 999"):
        call_command("sync", "--org", "northfield", "--channel", "999")
