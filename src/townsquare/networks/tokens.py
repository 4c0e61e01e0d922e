"""Renewing a channel's OAuth 2.0 access token with its stored refresh token: X's last two hours, LinkedIn's
60 days (LinkedIn gives refresh tokens, good for a year, to the apps it enabled them for).

The refresh token comes from signing in (networks/oauth2.py) and is traded at the network's token endpoint with
the deployment's app, the one signing in uses. X rotates refresh tokens: each renewal answers with a new one and
the old one stops working. So the new pair is stored in the vault before it is used, and renewals of one channel
wait for each other on its row: a process that finds the stored access token changed since it read its
credentials uses that one rather than spend the old refresh token a second time.
"""

from __future__ import annotations

from typing import Any

import requests
from django.db import transaction

from townsquare.channels.models import Channel
from townsquare.channels.services import channel_credentials, channel_set_credentials
from townsquare.networks import oauth2
from townsquare.networks.base import ConnectorError, error_for_status

TIMEOUT_SECONDS = 20


def renewed_access_token(channel: Channel, credentials: dict[str, str]) -> str:
    """A new access token for the channel, stored with its new refresh token. `credentials` (the caller's copy,
    which the rest of this run reads) is updated in place. A refusal is permanent: reconnecting is the only cure."""
    with transaction.atomic():
        locked = Channel.objects.select_for_update().get(pk=channel.pk)
        stored = channel_credentials(channel=locked)
        if stored.get("access_token") and stored["access_token"] != credentials.get("access_token"):
            fresh = stored  # renewed by another process since these credentials were read
        else:
            refresh_token = stored.get("refresh_token") or credentials["refresh_token"]
            token = _exchange(channel.network, refresh_token)
            fresh = {
                **stored,
                "access_token": token["access_token"],
                # X answers with a new refresh token each time; keep the old one where none came.
                "refresh_token": token.get("refresh_token") or refresh_token,
            }
            channel_set_credentials(channel=locked, credentials=fresh)
        channel.credentials_encrypted = locked.credentials_encrypted
    credentials.update(fresh)
    return fresh["access_token"]


def _exchange(network: str, refresh_token: str) -> dict[str, Any]:
    """POST grant_type=refresh_token to the network's token endpoint with the app's id and secret, sent as
    signing in sends them (`oauth2.client_credentials`)."""
    provider, app = oauth2.PROVIDERS[network], oauth2.app_for(network)
    name, what = provider.name, f"{provider.name}'s token endpoint"
    if app is None:
        names = " and ".join(oauth2.variables(network))
        raise ConnectorError(
            f"the {name} access token expired and cannot be renewed: this Townsquare has no {name} app ({names} "
            "are not set). Set them and reconnect the account by signing in, or add it again with a new --token",
            permanent=True,
        )
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    auth = oauth2.client_credentials(provider, app, form)
    try:
        response = requests.post(
            provider.token_url, data=form, auth=auth, headers={"Accept": "application/json"}, timeout=TIMEOUT_SECONDS
        )
    except requests.RequestException as error:
        raise ConnectorError(f"could not reach {what} to renew the access token; will try again later") from error
    if response.status_code == 429 or response.status_code >= 500:
        raise error_for_status(response.status_code, what=what, headers=response.headers)
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if response.status_code >= 400:
        # invalid_grant / invalid_request: the refresh token was revoked, expired or already used; invalid_client:
        # the app's id or secret is wrong. Trying again cannot help.
        problem = answer if isinstance(answer, dict) else {}
        reason = problem.get("error_description") or problem.get("error") or "no reason given"
        raise ConnectorError(
            f"{name} refused to renew the access token (HTTP {response.status_code}: {reason}): reconnect the "
            "account by signing in again",
            permanent=True,
        )
    if not isinstance(answer, dict) or not answer.get("access_token"):
        raise ConnectorError(f"{what} sent an answer without an access token; will try again later")
    return answer
