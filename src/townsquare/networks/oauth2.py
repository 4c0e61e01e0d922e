"""Connecting a channel by OAuth 2.0 (authorisation code) on the networks whose app is registered beforehand by
whoever deploys Townsquare: X, LinkedIn, Facebook Pages, Instagram, Reddit and YouTube.

One flow for all of them; what differs sits in the `PROVIDERS` table (endpoints, scopes, PKCE, how the token is
sent for) and in one `_identify_*` function per network, which checks that the account that approved is the
channel's and returns the credentials and options in the shape the network's connector reads.

Plain `requests` rather than requests-oauthlib: oauthlib refuses http token endpoints unless a process-wide
environment flag is set, and the local test servers on 127.0.0.1 speak http; the flow itself is two requests.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import requests
from django.conf import settings

from townsquare.networks.base import ConnectorError

TIMEOUT_SECONDS = 20


@dataclass(frozen=True)
class Provider:
    """One network's OAuth 2.0 app: where the admin approves, where the code is exchanged, what is asked."""

    name: str  # in messages: "X", "LinkedIn"
    setting: str  # the app's settings: TOWNSQUARE_OAUTH_<setting>_CLIENT_ID / _CLIENT_SECRET
    authorise_url: str
    token_url: str
    api_url: str  # where the account is identified after the exchange
    scopes: tuple[str, ...]
    pkce: bool = False
    scope_separator: str = " "
    basic_auth: bool = False  # client credentials in an Authorization: Basic header on the token call
    extra: dict[str, str] = field(default_factory=dict)  # more parameters for the approval page


@dataclass(frozen=True)
class App:
    client_id: str
    client_secret: str


@dataclass(frozen=True)
class Connected:
    """What the exchange gave: the account's name for messages, the vault's credentials, the channel's options."""

    account: str
    credentials: dict[str, str]
    options: dict[str, Any]


# pages_messaging: the Page's Messenger conversations, read and answered when the channel has messages=on.
FACEBOOK_SCOPES = (
    "pages_show_list",
    "pages_read_engagement",
    "pages_manage_posts",
    "pages_manage_engagement",
    "pages_messaging",
)

# Module-level so that tests point the endpoints at the local stand-in.
PROVIDERS: dict[str, Provider] = {
    "twitter": Provider(
        name="X",
        setting="X",
        authorise_url="https://x.com/i/oauth2/authorize",
        token_url="https://api.x.com/2/oauth2/token",
        api_url="https://api.x.com",
        scopes=("tweet.read", "tweet.write", "users.read", "like.write", "dm.read", "dm.write", "offline.access"),
        pkce=True,
        basic_auth=True,
    ),
    "linkedin": Provider(
        name="LinkedIn",
        setting="LINKEDIN",
        authorise_url="https://www.linkedin.com/oauth/v2/authorization",
        token_url="https://www.linkedin.com/oauth/v2/accessToken",
        api_url="https://api.linkedin.com/rest",
        scopes=("w_organization_social", "r_organization_social", "rw_organization_admin"),
    ),
    "facebook": Provider(
        name="Facebook",
        setting="FACEBOOK",
        authorise_url="https://www.facebook.com/v23.0/dialog/oauth",
        token_url="https://graph.facebook.com/v23.0/oauth/access_token",
        api_url="https://graph.facebook.com/v23.0",
        scopes=FACEBOOK_SCOPES,
        scope_separator=",",
    ),
    "instagram": Provider(
        name="Instagram",
        setting="FACEBOOK",  # Instagram business accounts are reached through the same Facebook app
        authorise_url="https://www.facebook.com/v23.0/dialog/oauth",
        token_url="https://graph.facebook.com/v23.0/oauth/access_token",
        api_url="https://graph.facebook.com/v23.0",
        scopes=(
            "pages_show_list",
            "instagram_basic",
            "instagram_content_publish",
            "instagram_manage_comments",
            "instagram_manage_insights",
            "instagram_manage_messages",
        ),
        scope_separator=",",
    ),
    "reddit": Provider(
        name="Reddit",
        setting="REDDIT",
        authorise_url="https://www.reddit.com/api/v1/authorize",
        token_url="https://www.reddit.com/api/v1/access_token",
        api_url="https://oauth.reddit.com",
        scopes=("identity", "read", "submit", "vote", "history", "privatemessages"),
        basic_auth=True,
        extra={"duration": "permanent"},
    ),
    "youtube": Provider(
        name="YouTube",
        setting="GOOGLE",
        authorise_url="https://accounts.google.com/o/oauth2/v2/auth",
        token_url="https://oauth2.googleapis.com/token",
        api_url="https://youtube.googleapis.com/youtube/v3",
        scopes=("https://www.googleapis.com/auth/youtube.force-ssl",),
        pkce=True,
        # A refresh token is only given for offline access, and again only when consent is asked anew.
        extra={"access_type": "offline", "prompt": "consent"},
    ),
}


def variables(network: str) -> tuple[str, str]:
    """The settings (environment variables) that hold the network's app."""
    prefix = f"TOWNSQUARE_OAUTH_{PROVIDERS[network].setting}"
    return f"{prefix}_CLIENT_ID", f"{prefix}_CLIENT_SECRET"


def app_for(network: str) -> App | None:
    """The deployment's app for the network, or None where it is not configured."""
    if network not in PROVIDERS:
        return None
    id_name, secret_name = variables(network)
    client_id, client_secret = getattr(settings, id_name, ""), getattr(settings, secret_name, "")
    return App(client_id, client_secret) if client_id and client_secret else None


def pkce_pair() -> tuple[str, str]:
    """A code verifier and its S256 challenge (RFC 7636)."""
    verifier = secrets.token_urlsafe(64)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorisation_url(
    network: str, *, app: App, redirect_uri: str, state: str, code_challenge: str | None = None
) -> str:
    """Where the admin signs in and approves."""
    provider = PROVIDERS[network]
    query = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": redirect_uri,
        "scope": provider.scope_separator.join(provider.scopes),
        "state": state,
        **provider.extra,
    }
    if code_challenge:
        query |= {"code_challenge": code_challenge, "code_challenge_method": "S256"}
    return f"{provider.authorise_url}?{urlencode(query)}"


def authorisation_finish(
    network: str, *, app: App, code: str, redirect_uri: str, code_verifier: str | None, channel
) -> Connected:
    """Exchange the code, then make sure the account that approved is the channel's."""
    provider = PROVIDERS[network]
    token = _exchange(provider, app=app, code=code, redirect_uri=redirect_uri, code_verifier=code_verifier)
    return IDENTIFY[network](provider, app, token, channel)


def _exchange(provider: Provider, *, app: App, code: str, redirect_uri: str, code_verifier: str | None) -> dict:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    if code_verifier:
        form["code_verifier"] = code_verifier
    auth = client_credentials(provider, app, form)
    answer = _call(
        provider,
        "post",
        provider.token_url,
        data=form,
        auth=auth,
        # Reddit refuses requests without a descriptive user agent.
        headers={"Accept": "application/json", "User-Agent": "townsquare:connect:v1"},
        doing="refused the sign-in",
    )
    if not answer.get("access_token"):
        raise ConnectorError(f"{provider.name} refused the sign-in: no access token came back")
    return answer


def client_credentials(provider: Provider, app: App, form: dict[str, str]) -> tuple[str, str] | None:
    """Put the app's id (and secret) for a token call into `form`; the Basic auth pair where the network wants
    the secret there."""
    if provider.basic_auth:
        form["client_id"] = app.client_id  # X asks for it in the body as well for confidential clients
        return (app.client_id, app.client_secret)
    form |= {"client_id": app.client_id, "client_secret": app.client_secret}
    return None


def _call(provider: Provider, method: str, url: str, *, doing: str, **kwargs) -> dict:
    try:
        response = requests.request(method, url, timeout=TIMEOUT_SECONDS, **kwargs)
    except requests.RequestException as error:
        raise ConnectorError(f"{provider.name} could not be reached: {type(error).__name__}") from error
    try:
        payload = response.json()
    except ValueError:
        payload = {}
    if response.status_code >= 400 or not isinstance(payload, dict):
        problem = payload if isinstance(payload, dict) else {}
        reason = problem.get("error_description") or problem.get("error") or problem.get("message")
        if isinstance(reason, dict):  # Facebook: {"error": {"message": ...}}
            reason = reason.get("message")
        raise ConnectorError(f"{provider.name} {doing}: {reason or f'HTTP {response.status_code}'}")
    return payload


def _bearer(token: dict, **more: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token['access_token']}", "User-Agent": "townsquare:connect:v1", **more}


def _with_refresh(token: dict, **credentials: str) -> dict[str, str]:
    """The access token, plus the refresh token where the network gave one."""
    found = {"access_token": token["access_token"], **credentials}
    if token.get("refresh_token"):
        found["refresh_token"] = token["refresh_token"]
    return found


def _another(provider: Provider, signed_in: str, wanted: str) -> ConnectorError:
    return ConnectorError(
        f"You signed in to {provider.name} as {signed_in}, but this channel is {wanted}. Nothing was stored: "
        f"sign in as {wanted} and connect again",
        permanent=True,
    )


def _identify_x(provider: Provider, app: App, token: dict, channel) -> Connected:
    me = _call(provider, "get", f"{provider.api_url}/2/users/me", headers=_bearer(token), doing="did not say who")
    username = str((me.get("data") or {}).get("username") or "")
    if username.lower() != channel.handle.lstrip("@").lower():
        raise _another(provider, f"@{username}", f"@{channel.handle}")
    return Connected(f"@{username}", _with_refresh(token), {})


def _identify_linkedin(provider: Provider, app: App, token: dict, channel) -> Connected:
    from townsquare.networks.linkedin.api import API_VERSION

    wanted = str((channel.options or {}).get("organization_id") or "")
    if not wanted:
        raise ConnectorError(
            "the channel has no LinkedIn organisation id: add it again with --option organization_id=..."
        )
    headers = _bearer(token, **{"LinkedIn-Version": API_VERSION, "X-Restli-Protocol-Version": "2.0.0"})
    acls = _call(
        provider,
        "get",
        f"{provider.api_url}/organizationAcls",
        params={"q": "roleAssignee", "role": "ADMINISTRATOR", "state": "APPROVED"},
        headers=headers,
        doing="did not list the organisations you administer",
    )
    organisations = [str(item.get("organization", "")).rsplit(":", 1)[-1] for item in acls.get("elements", [])]
    if wanted not in organisations:
        admin_of = ", ".join(organisations) or "none"
        raise _another(provider, f"an admin of the organisations {admin_of}", f"the organisation {wanted}")
    return Connected(f"organisation {wanted}", _with_refresh(token), {})


def _pages(provider: Provider, token: dict) -> list[dict]:
    """The Pages the Facebook user manages, each with its own Page token."""
    answer = _call(
        provider,
        "get",
        f"{provider.api_url}/me/accounts",
        params={"fields": "id,name,access_token,instagram_business_account", "limit": "100"},
        headers=_bearer(token),
        doing="did not list your Pages",
    )
    return [page for page in answer.get("data", []) if isinstance(page, dict)]


def _names(pages: list[dict]) -> str:
    return ", ".join(f"{page.get('name') or '?'} ({page.get('id')})" for page in pages) or "none"


def _identify_facebook(provider: Provider, app: App, token: dict, channel) -> Connected:
    wanted = str((channel.options or {}).get("page_id") or "")
    if not wanted:
        raise ConnectorError("the channel has no Facebook Page id: set it in the channel's Details, then sign in")
    pages = _pages(provider, token)
    page = next((page for page in pages if str(page.get("id")) == wanted), None)
    if page is None or not page.get("access_token"):
        raise _another(provider, f"a manager of the Pages {_names(pages)}", f"the Page {wanted}")
    return Connected(f"the Page {page.get('name') or wanted}", {"access_token": page["access_token"]}, {})


def _identify_instagram(provider: Provider, app: App, token: dict, channel) -> Connected:
    wanted = str((channel.options or {}).get("ig_user_id") or "")
    pages = _pages(provider, token)
    for page in pages:
        linked = str((page.get("instagram_business_account") or {}).get("id") or "")
        if linked and page.get("access_token") and (linked == wanted or not wanted):
            # Found through the linked Page, so a channel without an account id learns it here.
            return Connected(f"@{channel.handle}", {"access_token": page["access_token"]}, {"ig_user_id": linked})
    raise _another(provider, f"a manager of the Pages {_names(pages)}", f"@{channel.handle} (linked to none of them)")


def _identify_reddit(provider: Provider, app: App, token: dict, channel) -> Connected:
    me = _call(provider, "get", f"{provider.api_url}/api/v1/me", headers=_bearer(token), doing="did not say who")
    name = str(me.get("name") or "")
    if name.lower() != channel.handle.removeprefix("u/").lower():
        raise _another(provider, f"u/{name}", f"u/{channel.handle}")
    # The connector signs in as the app with this refresh token (PRAW's installed-app flow).
    return Connected(f"u/{name}", _app_refresh(app, token, "Reddit", "permanent access"), {})


def _identify_youtube(provider: Provider, app: App, token: dict, channel) -> Connected:
    mine = _call(
        provider,
        "get",
        f"{provider.api_url}/channels",
        params={"part": "id,snippet", "mine": "true"},
        headers=_bearer(token),
        doing="did not say which channel you own",
    )
    owned = {str(item.get("id")): item for item in mine.get("items", [])}
    wanted = str((channel.options or {}).get("channel_id") or "")
    if wanted not in owned:
        raise _another(provider, f"the owner of {', '.join(owned) or 'no channel'}", f"the channel {wanted}")
    return Connected(f"the channel {wanted}", _app_refresh(app, token, "Google", "offline access"), {})


def _app_refresh(app: App, token: dict, network: str, grant: str) -> dict[str, str]:
    """The app's id and secret with the refresh token, for connectors that renew access themselves."""
    if not token.get("refresh_token"):
        raise ConnectorError(f"{network} gave no refresh token ({grant} was not granted)")
    return {"client_id": app.client_id, "client_secret": app.client_secret, **_with_refresh(token)}


IDENTIFY: dict[str, Callable[[Provider, App, dict, Any], Connected]] = {
    "twitter": _identify_x,
    "linkedin": _identify_linkedin,
    "facebook": _identify_facebook,
    "instagram": _identify_instagram,
    "reddit": _identify_reddit,
    "youtube": _identify_youtube,
}


def sign_in_offer(network: str) -> dict[str, Any] | None:
    """For the channel's page: whether it can offer signing in, or which settings the deployment lacks."""
    if network not in PROVIDERS:
        return None
    return {"name": PROVIDERS[network].name, "ready": app_for(network) is not None, "variables": variables(network)}
