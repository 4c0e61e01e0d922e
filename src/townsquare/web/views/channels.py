from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from townsquare.channels.models import Channel, ChannelStatus
from townsquare.channels.services import (
    channel_clear_credentials,
    channel_create,
    channel_delete,
    channel_set_credentials,
    channel_update,
)
from townsquare.channels.services import (
    channel_credentials as stored_credentials,
)
from townsquare.networks.abilities import channel_abilities, channel_can
from townsquare.networks.listen import LISTEN_OPTION, listening_enabled
from townsquare.networks.oauth2 import sign_in_offer
from townsquare.orgs.access import org_view
from townsquare.orgs.roles import Permission
from townsquare.web.forms import ACCOUNT_IDS, ChannelEditForm, ChannelForm, CredentialsForm


def channel_for_request(request, channel_id: int) -> Channel:
    """The channel, if it belongs to the organisation the request serves (404 otherwise)."""
    return get_object_or_404(Channel, id=channel_id, organisation=request.organisation)


def _searchable(channel: Channel) -> bool:
    return channel_can(channel, "search")


def _edit_form(channel: Channel, data=None) -> ChannelEditForm:
    """The Details form: handle, name, the listening switch where the network searches, and the account's id
    on networks whose connector needs one."""
    initial = {"handle": channel.handle, "display_name": channel.display_name, "listen": listening_enabled(channel)}
    account = ACCOUNT_IDS.get(channel.network)
    if account is not None:
        initial[account.option] = (channel.options or {}).get(account.option, "")
    return ChannelEditForm(data, initial=initial, searchable=_searchable(channel), network=channel.network)


@org_view()
def channel_index(request):
    form = ChannelForm(request.POST or None)
    can_manage = request.membership.can(Permission.MANAGE_CHANNELS)
    if request.method == "POST" and can_manage and form.is_valid():
        try:
            channel = channel_create(organisation=request.organisation, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Added {channel}.")
            return redirect("channel", org_slug=request.organisation.slug, channel_id=channel.id)
    return render(
        request,
        "web/channels.html",
        {
            "channels": request.organisation.channels.all(),
            "form": form,
            "can_manage": can_manage,
        },
    )


@org_view()
def channel_detail(request, channel_id: int):
    channel = channel_for_request(request, channel_id)
    return render(
        request,
        "web/channel.html",
        {
            "channel": channel,
            "edit_form": _edit_form(channel),
            "abilities": channel_abilities(channel),
            "summary": channel.last_sync_summary or {},
            "credentials_form": CredentialsForm(),
            "events": channel.events.select_related("actor")[:50],
            "can_manage": request.membership.can(Permission.MANAGE_CHANNELS),
            "sign_in": sign_in_offer(channel.network),
        },
    )


@org_view(Permission.MANAGE_CHANNELS)
@require_POST
def channel_edit(request, channel_id: int):
    channel = channel_for_request(request, channel_id)
    form = _edit_form(channel, request.POST)
    if form.is_valid():
        changes = dict(form.cleaned_data)
        options = dict(channel.options or {})
        if "listen" in changes:
            options[LISTEN_OPTION] = changes.pop("listen")
        account = ACCOUNT_IDS.get(channel.network)
        restart_sync = False
        if account is not None:
            # Emptied, the option goes: the connector then says the channel names no account.
            value = changes.pop(account.option)
            if value:
                options[account.option] = value
            else:
                options.pop(account.option, None)
            restart_sync = account.read and options.get(account.option) != (channel.options or {}).get(account.option)
        # channel_update audits only what differs, so unchanged options leave no trace.
        changes["options"] = options
        try:
            channel_update(channel=channel, actor=request.user, restart_sync=restart_sync, **changes)
            messages.success(request, "Saved.")
        except ValidationError as error:
            messages.error(request, "; ".join(error.messages))
    else:
        messages.error(request, "Nothing was saved. " + " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("channel", org_slug=request.organisation.slug, channel_id=channel.id)


@org_view(Permission.MANAGE_CHANNELS)
@require_POST
def channel_status(request, channel_id: int):
    channel = channel_for_request(request, channel_id)
    status = ChannelStatus.OK if request.POST.get("enable") else ChannelStatus.DISABLED
    channel_update(channel=channel, actor=request.user, status=status)
    messages.success(request, f"{channel} is {'enabled' if status == ChannelStatus.OK else 'disabled'}.")
    return redirect("channel", org_slug=request.organisation.slug, channel_id=channel.id)


@org_view(Permission.MANAGE_CHANNELS)
@require_POST
def channel_credentials(request, channel_id: int):
    channel = channel_for_request(request, channel_id)
    if request.POST.get("clear"):
        channel_clear_credentials(channel=channel, actor=request.user)
        messages.success(request, "The stored credentials were removed.")
    else:
        form = CredentialsForm(request.POST)
        if form.is_valid():
            # Merge into what is stored, so adding a second secret keeps the first.
            stored = stored_credentials(channel=channel)
            stored[form.cleaned_data["name"]] = form.cleaned_data["value"]
            channel_set_credentials(channel=channel, actor=request.user, credentials=stored)
            messages.success(request, "Stored, encrypted. It cannot be shown again.")
        else:
            messages.error(request, "Give the secret a name (letters, digits, _ or -) and a value.")
    return redirect("channel", org_slug=request.organisation.slug, channel_id=channel.id)


@org_view(Permission.MANAGE_CHANNELS)
@require_POST
def channel_remove(request, channel_id: int):
    channel = channel_for_request(request, channel_id)
    channel_delete(channel=channel, actor=request.user)
    messages.success(request, f"Removed {channel}.")
    return redirect("channels", org_slug=request.organisation.slug)
