"""Connecting a Mastodon account by OAuth, so that nobody has to copy a token by hand.

Mastodon lets any client register itself on an instance (`POST /api/v1/apps`), so Townsquare registers one app
per connection attempt, sends the admin to the instance to sign in and approve, and exchanges the code that
comes back for a token. The app's client secret lives only in the admin's session until the exchange.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from mastodon import Mastodon, MastodonError

from townsquare.networks.base import ConnectorError
from townsquare.networks.mastodon.connector import MASTODON_VERSION

APP_NAME = "Townsquare"
# read: notifications and statuses; write: statuses, media, favourites and boosts.
SCOPES = ["read", "write"]
TIMEOUT_SECONDS = 20
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


@dataclass(frozen=True)
class Authorisation:
    """What the instance must be asked for, and what the exchange needs afterwards."""

    url: str  # where to send the admin
    client_id: str
    client_secret: str


def instance_url_clean(instance: str) -> str:
    """The instance's base URL; https only, except on this machine (local test servers)."""
    parts = urlsplit(instance.strip() if "://" in instance else f"https://{instance.strip()}")
    if not parts.hostname:
        raise ValueError(f"{instance!r} is not a server address; give one like https://mastodon.social")
    if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS):
        raise ValueError(f"{instance!r}: Townsquare only connects to Mastodon servers over https")
    return f"{parts.scheme}://{parts.netloc}"


def authorisation_start(*, instance: str, redirect_uri: str, state: str, website: str) -> Authorisation:
    """Register Townsquare (named with this deployment's `website`) on the instance and build the address
    where the admin approves it."""
    try:
        client_id, client_secret = Mastodon.create_app(
            APP_NAME,
            scopes=SCOPES,
            redirect_uris=redirect_uri,
            website=website,
            api_base_url=instance,
            request_timeout=TIMEOUT_SECONDS,
        )
        client = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=instance)
        url = client.auth_request_url(redirect_uris=redirect_uri, scopes=SCOPES, state=state, force_login=True)
    except MastodonError as error:
        raise ConnectorError(f"the Mastodon server {instance} did not register Townsquare: {_reason(error)}") from error
    return Authorisation(url=url, client_id=client_id, client_secret=client_secret)


def authorisation_finish(
    *, instance: str, client_id: str, client_secret: str, code: str, redirect_uri: str
) -> tuple[str, str]:
    """Exchange the code for a token; returns the token and the handle of the account that approved."""
    client = Mastodon(
        client_id=client_id,
        client_secret=client_secret,
        api_base_url=instance,
        request_timeout=TIMEOUT_SECONDS,
        # Declared as the connector does, rather than asking the server (one request fewer).
        mastodon_version=MASTODON_VERSION,
    )
    try:
        token = client.log_in(code=code, redirect_uri=redirect_uri, scopes=SCOPES)
        account = client.account_verify_credentials()
    except MastodonError as error:
        raise ConnectorError(f"the Mastodon server {instance} refused the sign-in: {_reason(error)}") from error
    return token, account["acct"]


def _reason(error: Exception) -> str:
    return str(error.args[0]) if error.args else type(error).__name__
