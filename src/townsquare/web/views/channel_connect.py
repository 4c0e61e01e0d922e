"""Connect a channel's account by OAuth from its page. Mastodon: any instance registers Townsquare itself. X,
LinkedIn, Facebook, Instagram, Reddit and YouTube: the deployment's own app (networks/oauth2.py).

The pending attempt (network, instance or PKCE verifier, app credentials, channel) is kept in the admin's
session under a random `state`, which the network sends back; an answer with an unknown state is refused, so
another site cannot finish someone's connection with its own account.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from townsquare.channels.models import ChannelStatus
from townsquare.channels.services import channel_set_credentials, channel_update
from townsquare.networks import oauth2
from townsquare.networks.base import ConnectorError
from townsquare.networks.mastodon.oauth import authorisation_finish, authorisation_start, instance_url_clean
from townsquare.orgs.access import org_view
from townsquare.orgs.roles import Permission
from townsquare.web.views.channels import channel_for_request

SESSION_KEY = "townsquare_oauth"


def _back(request, channel_id: int):
    return redirect("channel", org_slug=request.organisation.slug, channel_id=channel_id)


def _remember(request, state: str, attempt: dict) -> None:
    pending = request.session.get(SESSION_KEY, {})
    pending[state] = attempt
    request.session[SESSION_KEY] = pending


def _redirect_uri(request, channel) -> str:
    return request.build_absolute_uri(
        reverse("channel_connected", kwargs={"org_slug": request.organisation.slug, "channel_id": channel.id})
    )


@org_view(Permission.MANAGE_CHANNELS)
@require_POST
def channel_connect(request, channel_id: int):
    channel = channel_for_request(request, channel_id)
    if channel.network in oauth2.PROVIDERS:
        return _start_with_app(request, channel)
    if channel.network != "mastodon":
        messages.error(request, f"Connecting by sign-in is not available for {channel.get_network_display()}.")
        return _back(request, channel.id)
    try:
        instance = instance_url_clean(request.POST.get("instance", ""))
    except ValueError as error:
        messages.error(request, f"Server address: {error}.")
        return _back(request, channel.id)
    state = secrets.token_urlsafe(32)
    redirect_uri = _redirect_uri(request, channel)
    try:
        started = authorisation_start(
            instance=instance, redirect_uri=redirect_uri, state=state, website=settings.TOWNSQUARE_PUBLIC_URL
        )
    except ConnectorError as error:
        messages.error(request, f"{error}.")
        return _back(request, channel.id)
    _remember(
        request,
        state,
        {
            "channel_id": channel.id,
            "network": "mastodon",
            "instance": instance,
            "client_id": started.client_id,
            "client_secret": started.client_secret,
            "redirect_uri": redirect_uri,
        },
    )
    return redirect(started.url)


def _start_with_app(request, channel):
    """Send the admin to the network with the deployment's app; the PKCE verifier waits in the session."""
    provider = oauth2.PROVIDERS[channel.network]
    app = oauth2.app_for(channel.network)
    if app is None:
        id_name, secret_name = oauth2.variables(channel.network)
        messages.error(
            request,
            f"Signing in with {provider.name} is not set up on this Townsquare: whoever runs it must register an "
            f"app with {provider.name} and set {id_name} and {secret_name}.",
        )
        return _back(request, channel.id)
    state = secrets.token_urlsafe(32)
    verifier, challenge = oauth2.pkce_pair() if provider.pkce else (None, None)
    # One fixed callback for every channel: the networks only send the admin back to addresses registered with
    # the app, so a per-channel address would have to be registered for each channel.
    redirect_uri = request.build_absolute_uri(reverse("oauth_callback"))
    _remember(
        request,
        state,
        {
            "channel_id": channel.id,
            "org_slug": request.organisation.slug,
            "network": channel.network,
            "verifier": verifier,
            "redirect_uri": redirect_uri,
        },
    )
    return redirect(
        oauth2.authorisation_url(
            channel.network, app=app, redirect_uri=redirect_uri, state=state, code_challenge=challenge
        )
    )


@login_required
def oauth_callback(request):
    """The address registered with each network's app: forwards the answer, untouched, to the channel it was
    started for, whose view checks the organisation, the permission and the state."""
    attempt = request.session.get(SESSION_KEY, {}).get(request.GET.get("state", ""))
    if attempt is None or "org_slug" not in attempt:
        messages.error(request, "This sign-in answer does not belong to a connection started here; start again.")
        return redirect("home")
    target = reverse("channel_connected", kwargs={"org_slug": attempt["org_slug"], "channel_id": attempt["channel_id"]})
    return redirect(f"{target}?{request.GET.urlencode()}")


@org_view(Permission.MANAGE_CHANNELS)
def channel_connected(request, channel_id: int):
    """Where the instance sends the admin back, with `code` and `state` (or `error`)."""
    channel = channel_for_request(request, channel_id)
    pending = request.session.get(SESSION_KEY, {})
    attempt = pending.pop(request.GET.get("state", ""), None)
    request.session[SESSION_KEY] = pending
    if attempt is None or attempt["channel_id"] != channel.id or attempt.get("network", "mastodon") != channel.network:
        messages.error(request, "This sign-in answer does not belong to a connection started here; start again.")
        return _back(request, channel.id)
    if "code" not in request.GET:
        reason = request.GET.get("error_description") or request.GET.get("error") or "no code was sent back"
        who = "The Mastodon server" if channel.network == "mastodon" else oauth2.PROVIDERS[channel.network].name
        messages.error(request, f"{who} did not connect the account: {reason}.")
        return _back(request, channel.id)
    if channel.network != "mastodon":
        return _finish_with_app(request, channel, attempt)
    try:
        token, account = authorisation_finish(
            instance=attempt["instance"],
            client_id=attempt["client_id"],
            client_secret=attempt["client_secret"],
            code=request.GET["code"],
            redirect_uri=attempt["redirect_uri"],
        )
    except ConnectorError as error:
        messages.error(request, f"{error}.")
        return _back(request, channel.id)
    if account.split("@")[0].lower() != channel.handle.split("@")[0].lower():
        messages.error(
            request,
            f"You signed in as @{account}, but this channel is @{channel.handle}. Nothing was stored: sign in to "
            f"the server as @{channel.handle} and connect again.",
        )
        return _back(request, channel.id)
    options = {**(channel.options or {}), "instance": attempt["instance"]}
    channel_update(channel=channel, actor=request.user, options=options, status=ChannelStatus.OK)
    channel_set_credentials(channel=channel, actor=request.user, credentials={"access_token": token})
    messages.success(request, f"Connected @{account} on {attempt['instance']}. The token is stored, encrypted.")
    return _back(request, channel.id)


def _finish_with_app(request, channel, attempt: dict):
    provider = oauth2.PROVIDERS[channel.network]
    app = oauth2.app_for(channel.network)
    if app is None:
        messages.error(request, f"Signing in with {provider.name} is no longer set up on this Townsquare.")
        return _back(request, channel.id)
    try:
        connected = oauth2.authorisation_finish(
            channel.network,
            app=app,
            code=request.GET["code"],
            redirect_uri=attempt["redirect_uri"],
            code_verifier=attempt["verifier"],
            channel=channel,
        )
    except ConnectorError as error:
        messages.error(request, f"{error}.")
        return _back(request, channel.id)
    options = {**(channel.options or {}), **connected.options}
    channel_update(channel=channel, actor=request.user, options=options, status=ChannelStatus.OK)
    channel_set_credentials(channel=channel, actor=request.user, credentials=connected.credentials)
    messages.success(request, f"Connected {connected.account} on {provider.name}. The tokens are stored, encrypted.")
    return _back(request, channel.id)
