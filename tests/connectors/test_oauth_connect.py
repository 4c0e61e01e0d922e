"""Connecting X, LinkedIn, Facebook, Instagram, Reddit and YouTube channels by signing in with the deployment's
app: the approval redirect, the code exchange (PKCE where the network wants it) and the account check, against
the local stand-in, whose token and identity endpoints answer as the networks do."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from tests.factories import make_channel
from townsquare.channels.services import channel_credentials
from townsquare.networks import oauth2

GOOD_CODE = "good-code"


@dataclasses.dataclass
class Case:
    network: str
    handle: str
    options: dict[str, str]
    identity: tuple[str, Any]  # (path under the API, the answer for the channel's own account)
    other: Any  # the identity answer when someone else signed in
    credentials: dict[str, str]  # what the vault must hold afterwards
    options_after: dict[str, str] = dataclasses.field(default_factory=dict)
    token: dict[str, str] = dataclasses.field(
        default_factory=lambda: {"access_token": "user-token", "refresh_token": "refresh-1", "token_type": "bearer"}
    )


def _pages(ig: str) -> dict:
    return {
        "data": [
            {"id": "111", "name": "Elsewhere", "access_token": "page-token-111"},
            {"id": "222", "name": "Northfield Council", "access_token": "page-token-222"}
            | ({"instagram_business_account": {"id": ig}} if ig else {}),
        ]
    }


CASES = [
    Case(
        "twitter",
        "northfieldcc",
        {},
        ("/2/users/me", {"data": {"id": "42", "username": "NorthfieldCC", "name": "Northfield"}}),
        {"data": {"id": "43", "username": "someoneelse", "name": "Someone"}},
        {"access_token": "user-token", "refresh_token": "refresh-1"},
    ),
    Case(
        "linkedin",
        "northfield-council",
        {"organization_id": "5150"},
        ("/organizationAcls", {"elements": [{"organization": "urn:li:organization:5150", "role": "ADMINISTRATOR"}]}),
        {"elements": [{"organization": "urn:li:organization:999", "role": "ADMINISTRATOR"}]},
        {"access_token": "user-token", "refresh_token": "refresh-1"},
    ),
    Case(
        "facebook",
        "northfieldcouncil",
        {"page_id": "222"},
        ("/me/accounts", _pages("")),
        {"data": [{"id": "111", "name": "Elsewhere", "access_token": "page-token-111"}]},
        {"access_token": "page-token-222"},
    ),
    Case(
        "instagram",
        "northfield.council",
        {},
        ("/me/accounts", _pages("17841400000000222")),
        _pages(""),
        {"access_token": "page-token-222"},
        options_after={"ig_user_id": "17841400000000222"},
    ),
    Case(
        "reddit",
        "northfield_council",
        {},
        ("/api/v1/me", {"name": "Northfield_Council", "id": "abc"}),
        {"name": "someone_else", "id": "def"},
        {
            "client_id": "cid-reddit",
            "client_secret": "secret-reddit",
            "access_token": "user-token",
            "refresh_token": "refresh-1",
        },
    ),
    Case(
        "youtube",
        "northfieldcouncil",
        {"channel_id": "UCnorthfield"},
        ("/channels", {"items": [{"id": "UCnorthfield", "snippet": {"title": "Northfield Council"}}]}),
        {"items": [{"id": "UCsomeoneelse", "snippet": {"title": "Someone"}}]},
        {
            "client_id": "cid-google",
            "client_secret": "secret-google",
            "access_token": "user-token",
            "refresh_token": "refresh-1",
        },
    ),
]


def app_of(network: str) -> str:
    """The app's name in the test settings: Instagram shares Facebook's app, YouTube uses Google's."""
    return oauth2.PROVIDERS[network].setting.lower()


SIGNED_IN_AS = {
    "twitter": "as @someoneelse",
    "linkedin": "as an admin of the organisations 999",
    "facebook": "as a manager of the Pages Elsewhere (111)",
    "instagram": "(linked to none of them)",
    "reddit": "as u/someone_else",
    "youtube": "as the owner of UCsomeoneelse",
}


@pytest.fixture
def networks(fake_network, settings, monkeypatch):
    """Every provider pointed at the stand-in (one folder per network), each app configured, and every call
    recorded: `sent[network]` holds the token request's form and headers."""
    sent: dict[str, dict] = {}
    providers = {}
    for network, provider in oauth2.PROVIDERS.items():
        base = f"{fake_network.url}/{network}"
        providers[network] = dataclasses.replace(
            provider, authorise_url=f"{base}/authorize", token_url=f"{base}/token", api_url=f"{base}/api"
        )
        id_name, secret_name = oauth2.variables(network)
        setattr(settings, id_name, f"cid-{app_of(network)}")
        setattr(settings, secret_name, f"secret-{app_of(network)}")
    monkeypatch.setattr(oauth2, "PROVIDERS", providers)
    fake_network.sent = sent
    return fake_network


def serve(networks, case: Case, *, identity: Any = None, token: dict | None = None) -> None:
    def exchange(query, body, headers):
        form = {key: values[-1] for key, values in parse_qs(body.decode()).items()}
        networks.sent[case.network] = {"form": form, "headers": headers}
        if form.get("code") != GOOD_CODE:
            return 400, {"error": "invalid_grant", "error_description": "The authorization code is invalid"}
        return 200, token or case.token

    def me(query, body, headers):
        assert headers.get("Authorization") == "Bearer user-token"
        return 200, identity if identity is not None else case.identity[1]

    networks.routes[("POST", f"/{case.network}/token")] = exchange
    networks.routes[("GET", f"/{case.network}/api{case.identity[0]}")] = me


def urls(organisation, channel) -> tuple[str, str]:
    """Where "Connect" posts, and the one callback registered with the apps (it forwards to the channel)."""
    kwargs = {"org_slug": organisation.slug, "channel_id": channel.id}
    return reverse("channel_connect", kwargs=kwargs), reverse("oauth_callback")


def start(client, organisation, channel, networks) -> dict[str, str]:
    """Press "Connect with ..."; returns the approval page's query, checked."""
    connect, connected = urls(organisation, channel)
    response = client.post(connect)
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{networks.url}/{channel.network}/authorize"
    query = {key: values[-1] for key, values in parse_qs(target.query).items()}
    provider = oauth2.PROVIDERS[channel.network]
    assert query["client_id"] == f"cid-{app_of(channel.network)}" and query["response_type"] == "code"
    assert query["redirect_uri"] == f"http://testserver{connected}"
    assert query["scope"] == provider.scope_separator.join(provider.scopes) and len(query["state"]) >= 32
    assert ("code_challenge" in query) == provider.pkce
    return query


def case_channel(organisation, case: Case):
    return make_channel(organisation, handle=case.handle, network=case.network, options=dict(case.options))


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.network)
def test_signing_in_stores_the_credentials_the_connector_reads(case, organisation, client_for, networks):
    serve(networks, case)
    channel = case_channel(organisation, case)
    client = client_for("admin")
    query = start(client, organisation, channel, networks)
    _, connected = urls(organisation, channel)
    response = client.get(connected, {"code": GOOD_CODE, "state": query["state"]}, follow=True)
    assert "Connected" in response.content.decode()
    channel.refresh_from_db()
    assert channel_credentials(channel=channel) == case.credentials
    assert channel.options == {**case.options, **case.options_after}
    sent = networks.sent[case.network]
    assert sent["form"]["grant_type"] == "authorization_code"
    assert sent["form"]["redirect_uri"] == f"http://testserver{connected}"
    provider = oauth2.PROVIDERS[case.network]
    if provider.pkce:
        # The verifier sent is the one whose S256 digest went out as the challenge.
        digest = hashlib.sha256(sent["form"]["code_verifier"].encode()).digest()
        assert base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == query["code_challenge"]
        assert query["code_challenge_method"] == "S256"
    else:
        assert "code_verifier" not in sent["form"]
    if provider.basic_auth:
        expected = base64.b64encode(f"cid-{app_of(case.network)}:secret-{app_of(case.network)}".encode()).decode()
        assert sent["headers"]["Authorization"] == f"Basic {expected}"
        assert "client_secret" not in sent["form"]
    else:
        assert sent["form"]["client_secret"] == f"secret-{app_of(case.network)}"
    # Secrets never reach the audit trail; the state cannot be used twice.
    trail = json.dumps(list(channel.events.values("detail")))
    assert "user-token" not in trail and "page-token" not in trail and "refresh-1" not in trail
    again = client.get(connected, {"code": GOOD_CODE, "state": query["state"]}, follow=True)
    assert "does not belong to a connection started here" in again.content.decode()


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.network)
@pytest.mark.parametrize(
    ("answer", "words"),
    [
        ({"state": "forged", "code": GOOD_CODE}, "does not belong to a connection started here"),
        ({"error": "access_denied", "error_description": "The user denied the request"}, "denied the request"),
        ({"code": "bad-code"}, "refused the sign-in: The authorization code is invalid"),
    ],
    ids=["forged", "denied", "failed-exchange"],
)
def test_a_forged_refused_or_failed_answer_stores_nothing(answer, words, case, organisation, client_for, networks):
    serve(networks, case)
    channel = case_channel(organisation, case)
    client = client_for("admin")
    query = start(client, organisation, channel, networks)
    _, connected = urls(organisation, channel)
    response = client.get(connected, {"state": query["state"], **answer}, follow=True)
    assert words in response.content.decode()
    channel.refresh_from_db()
    assert not channel.has_credentials and channel.options == case.options


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.network)
def test_signing_in_as_another_account_stores_nothing(case, organisation, client_for, networks):
    serve(networks, case, identity=case.other)
    channel = case_channel(organisation, case)
    client = client_for("admin")
    query = start(client, organisation, channel, networks)
    _, connected = urls(organisation, channel)
    response = client.get(connected, {"code": GOOD_CODE, "state": query["state"]}, follow=True)
    page = response.content.decode()
    assert "but this channel is" in page and "Nothing was stored" in page
    # The message names who signed in, so the admin knows which account to leave.
    assert SIGNED_IN_AS[case.network] in page
    channel.refresh_from_db()
    assert not channel.has_credentials and channel.options == case.options


@pytest.mark.parametrize("network", ["reddit", "youtube"])
def test_no_refresh_token_means_nothing_stored(network, organisation, client_for, networks):
    case = next(case for case in CASES if case.network == network)
    serve(networks, case, token={"access_token": "user-token", "token_type": "bearer"})
    channel = case_channel(organisation, case)
    client = client_for("admin")
    query = start(client, organisation, channel, networks)
    _, connected = urls(organisation, channel)
    response = client.get(connected, {"code": GOOD_CODE, "state": query["state"]}, follow=True)
    assert "gave no refresh token" in response.content.decode()
    channel.refresh_from_db()
    assert not channel.has_credentials


def test_a_network_without_an_app_explains_what_to_set_instead_of_the_button(organisation, client_for, settings):
    settings.TOWNSQUARE_OAUTH_LINKEDIN_CLIENT_ID = ""
    settings.TOWNSQUARE_OAUTH_LINKEDIN_CLIENT_SECRET = "set-but-alone"
    settings.TOWNSQUARE_OAUTH_X_CLIENT_ID = "cid-x"
    settings.TOWNSQUARE_OAUTH_X_CLIENT_SECRET = "secret-x"
    linkedin = make_channel(organisation, handle="northfield", network="linkedin", options={"organization_id": "1"})
    twitter = make_channel(organisation, handle="northfieldcc", network="twitter")
    client = client_for("admin")
    page = client.get(reverse("channel", kwargs={"org_slug": organisation.slug, "channel_id": linkedin.id}))
    text = page.content.decode()
    assert "Signing in with LinkedIn is not set up on this Townsquare" in text
    assert "TOWNSQUARE_OAUTH_LINKEDIN_CLIENT_ID" in text and "TOWNSQUARE_OAUTH_LINKEDIN_CLIENT_SECRET" in text
    assert "Connect with LinkedIn" not in text
    ready = client.get(reverse("channel", kwargs={"org_slug": organisation.slug, "channel_id": twitter.id}))
    assert "Connect with X" in ready.content.decode() and "not set up" not in ready.content.decode()
    # Posting anyway sends nobody away and says the same.
    connect, _ = urls(organisation, linkedin)
    refused = client.post(connect, follow=True)
    assert refused.redirect_chain[-1][0].endswith(f"/channels/{linkedin.id}/")
    assert "TOWNSQUARE_OAUTH_LINKEDIN_CLIENT_SECRET" in refused.content.decode()


def test_only_channel_managers_start_or_finish(organisation, client_for, networks):
    case = CASES[0]
    serve(networks, case)
    channel = case_channel(organisation, case)
    connect, _ = urls(organisation, channel)
    connected = reverse("channel_connected", kwargs={"org_slug": organisation.slug, "channel_id": channel.id})
    editor = client_for("editor")
    assert editor.post(connect).status_code == 403
    assert editor.get(connected, {"code": GOOD_CODE, "state": "x"}).status_code == 403
    page = editor.get(reverse("channel", kwargs={"org_slug": organisation.slug, "channel_id": channel.id}))
    assert "Connect with X" not in page.content.decode()
    assert case.network not in networks.sent


def test_an_answer_for_another_channel_is_refused(organisation, client_for, networks):
    case = CASES[0]
    serve(networks, case)
    first = case_channel(organisation, case)
    second = make_channel(organisation, handle="northfield_news", network="twitter")
    client = client_for("admin")
    query = start(client, organisation, first, networks)
    # As if a forged page sent the admin straight to the second channel's own address with the first's state.
    connected_second = reverse("channel_connected", kwargs={"org_slug": organisation.slug, "channel_id": second.id})
    response = client.get(connected_second, {"code": GOOD_CODE, "state": query["state"]}, follow=True)
    assert "does not belong to a connection started here" in response.content.decode()
    first.refresh_from_db()
    second.refresh_from_db()
    assert not first.has_credentials and not second.has_credentials


def test_the_reddit_connector_reads_with_the_stored_refresh_token(organisation, fake_network, monkeypatch):
    """What signing in stores is enough for the connector: PRAW trades the refresh token, no password."""
    from townsquare.networks.reddit import connector as reddit_connector

    monkeypatch.setattr(reddit_connector, "OAUTH_URL", fake_network.url)
    monkeypatch.setattr(reddit_connector, "REDDIT_URL", fake_network.url)
    traded: list[dict] = []

    def token(query, body, headers):
        traded.append({key: values[-1] for key, values in parse_qs(body.decode()).items()})
        return 200, {"access_token": "fresh-token", "token_type": "bearer", "expires_in": 3600, "scope": "*"}

    def empty(query, body, headers):
        assert headers.get("Authorization") == "bearer fresh-token"
        return 200, {"kind": "Listing", "data": {"after": None, "before": None, "dist": 0, "children": []}}

    fake_network.routes[("POST", "/api/v1/access_token")] = token
    fake_network.routes[("GET", "/message/mentions")] = empty
    fake_network.routes[("GET", "/message/comments/")] = empty
    channel = make_channel(organisation, handle="northfield_council", network="reddit")
    credentials = next(case.credentials for case in CASES if case.network == "reddit")
    result = reddit_connector.RedditConnector().fetch(channel=channel, credentials=credentials, cursor={})
    assert result.records == []
    assert traded == [{"grant_type": "refresh_token", "refresh_token": "refresh-1"}]


def test_the_youtube_connector_reads_with_the_stored_refresh_token(organisation, networks, monkeypatch):
    """With no API key, the connector reads with the owner's grant: the refresh token is traded at the token
    endpoint of the provider table, and the comments are asked for with the access token that came back."""
    from townsquare.networks.youtube import connector as youtube_connector

    monkeypatch.setattr(youtube_connector, "API_ENDPOINT", networks.url + "/")
    traded: list[dict] = []

    def token(query, body, headers):
        traded.append({key: values[-1] for key, values in parse_qs(body.decode()).items()})
        return 200, {"access_token": "fresh-token", "token_type": "Bearer", "expires_in": 3599}

    def threads(query, body, headers):
        assert headers.get("authorization") == "Bearer fresh-token" and "key" not in query
        return 200, {"kind": "youtube#commentThreadListResponse", "items": [], "pageInfo": {"totalResults": 0}}

    networks.routes[("POST", "/youtube/token")] = token
    networks.routes[("GET", "/youtube/v3/commentThreads")] = threads
    case = next(case for case in CASES if case.network == "youtube")
    channel = case_channel(organisation, case)
    result = youtube_connector.YouTubeConnector().fetch(channel=channel, credentials=case.credentials, cursor={})
    assert result.records == []
    assert traded and traded[0]["grant_type"] == "refresh_token" and traded[0]["refresh_token"] == "refresh-1"
    assert traded[0]["client_id"] == "cid-google"
