"""Connecting a Mastodon channel by signing in: app registration, the approval round trip and the token
exchange, against the local stand-in of a Mastodon server."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from tests.factories import make_channel
from townsquare.channels.models import Channel, ChannelStatus
from townsquare.channels.services import channel_credentials
from townsquare.networks.mastodon.oauth import instance_url_clean


@pytest.fixture
def instance(fake_network):
    """The stand-in answers app registration and the token exchange, and records what it was sent."""
    sent: dict[str, dict] = {}

    def register(query, body, headers):
        sent["app"] = {key: values[-1] for key, values in parse_qs(body.decode()).items()}
        return 200, {"id": "1", "name": "Townsquare", "client_id": "cid-1", "client_secret": "secret-1"}

    def token(query, body, headers):
        form = {key: values[-1] for key, values in parse_qs(body.decode()).items()}
        sent["token"] = form
        if form.get("code") != "good-code":
            return 400, {"error": "invalid_grant", "error_description": "The provided authorization grant is invalid"}
        return 200, {"access_token": "token-1", "token_type": "Bearer", "scope": "read write", "created_at": 1}

    fake_network.routes[("POST", "/api/v1/apps")] = register
    fake_network.routes[("POST", "/oauth/token")] = token
    fake_network.sent = sent
    return fake_network


def urls(organisation, channel) -> tuple[str, str]:
    kwargs = {"org_slug": organisation.slug, "channel_id": channel.id}
    return reverse("channel_connect", kwargs=kwargs), reverse("channel_connected", kwargs=kwargs)


def start(client, organisation, channel, instance) -> str:
    """Start connecting; returns the state the instance must send back."""
    connect, connected = urls(organisation, channel)
    response = client.post(connect, {"instance": instance.url})
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert f"{target.scheme}://{target.netloc}" == instance.url and target.path == "/oauth/authorize"
    query = {key: values[-1] for key, values in parse_qs(target.query).items()}
    assert query["client_id"] == "cid-1" and query["scope"] == "read write" and query["response_type"] == "code"
    assert query["redirect_uri"] == f"http://testserver{connected}"
    assert instance.sent["app"]["redirect_uris"] == query["redirect_uri"]
    return query["state"]


def test_signing_in_stores_the_token_in_the_vault_and_the_instance_in_options(organisation, client_for, instance):
    channel = make_channel(organisation, handle="northfieldcc", network="mastodon")
    Channel.objects.filter(id=channel.id).update(status=ChannelStatus.DISABLED)  # as when a token was revoked
    client = client_for("admin")
    state = start(client, organisation, channel, instance)
    _, connected = urls(organisation, channel)
    response = client.get(connected, {"code": "good-code", "state": state}, follow=True)
    assert "Connected @northfieldcc" in response.content.decode()
    channel.refresh_from_db()
    assert channel_credentials(channel=channel) == {"access_token": "token-1"}
    assert channel.options["instance"] == instance.url and channel.status == ChannelStatus.OK
    assert instance.sent["token"]["client_secret"] == "secret-1"
    assert instance.sent["token"]["redirect_uri"] == f"http://testserver{connected}"
    # The secret never reaches the audit trail; the state cannot be used twice.
    assert "token-1" not in json.dumps(list(channel.events.values("detail")))
    again = client.get(connected, {"code": "good-code", "state": state}, follow=True)
    assert "does not belong to a connection started here" in again.content.decode()


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        ({"state": "forged", "code": "good-code"}, "does not belong to a connection started here"),
        ({"error": "access_denied", "error_description": "The resource owner denied the request"}, "denied"),
        ({"code": "bad-code"}, "refused the sign-in"),
    ],
)
def test_a_refused_forged_or_failed_answer_stores_nothing(answer, words, organisation, client_for, instance):
    channel = make_channel(organisation, handle="northfieldcc", network="mastodon")
    client = client_for("admin")
    state = start(client, organisation, channel, instance)
    _, connected = urls(organisation, channel)
    response = client.get(connected, {"state": state, **answer}, follow=True)
    assert words in response.content.decode()
    channel.refresh_from_db()
    assert not channel.has_credentials


def test_signing_in_as_another_account_stores_nothing(organisation, client_for, instance):
    channel = make_channel(organisation, handle="northfield_news", network="mastodon")
    client = client_for("admin")
    state = start(client, organisation, channel, instance)
    _, connected = urls(organisation, channel)
    response = client.get(connected, {"code": "good-code", "state": state}, follow=True)
    assert "You signed in as @northfieldcc, but this channel is @northfield_news" in response.content.decode()
    channel.refresh_from_db()
    assert not channel.has_credentials


def test_only_channel_managers_connect_and_only_over_https(organisation, client_for, instance):
    channel = make_channel(organisation, handle="northfieldcc", network="mastodon")
    connect, _ = urls(organisation, channel)
    assert client_for("editor").post(connect, {"instance": instance.url}).status_code == 403
    assert "app" not in instance.sent
    response = client_for("admin").post(connect, {"instance": "http://social.example"}, follow=True)
    assert "only connects to Mastodon servers over https" in response.content.decode()
    assert instance_url_clean("mastodon.social/") == "https://mastodon.social"
    with pytest.raises(ValueError, match="not a server address"):
        instance_url_clean("https://")
