"""Writes for channels. Every change is audited (without secrets); credentials go through the vault."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from townsquare.channels.models import Channel, ChannelEvent, ChannelStatus
from townsquare.networks.registry import network_get
from townsquare.orgs.models import Organisation
from townsquare.vault import crypto

# Fields whose changes the audit trail records by value.
AUDITED_FIELDS = ("handle", "display_name", "options", "status")


def _audit(channel: Channel, *, actor, action: str, detail: dict[str, Any] | None = None) -> None:
    ChannelEvent.objects.create(
        organisation_id=channel.organisation_id,
        channel=channel,
        channel_label=str(channel),
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        detail=detail or {},
    )


def channel_create(
    *,
    organisation: Organisation,
    network: str,
    handle: str,
    actor=None,
    display_name: str = "",
    options: dict[str, Any] | None = None,
    credentials: dict[str, str] | None = None,
) -> Channel:
    network_get(network)
    handle = handle.strip().lstrip("@")
    if not handle:
        raise ValidationError("handle: give the account's handle, e.g. northfieldcc")
    if Channel.objects.filter(organisation=organisation, network=network, handle=handle).exists():
        raise ValidationError(f"this organisation already has the {network} channel @{handle}")
    with transaction.atomic():
        channel = Channel.objects.create(
            organisation=organisation,
            network=network,
            handle=handle,
            display_name=display_name or handle,
            options=options or {},
        )
        _audit(
            channel,
            actor=actor,
            action="created",
            detail={"network": network, "handle": handle, "options": channel.options},
        )
        if credentials:
            channel_set_credentials(channel=channel, credentials=credentials, actor=actor)
    return channel


def channel_update(*, channel: Channel, actor=None, restart_sync: bool = False, **changes: Any) -> Channel:
    """Change audited fields. `restart_sync`: the channel now reads another account, so the next sync starts
    from that account's newest posts; the old account's cursor would skip or misplace them."""
    unknown = set(changes) - set(AUDITED_FIELDS)
    if unknown:
        raise ValidationError(f"cannot change {', '.join(sorted(unknown))} here")
    before = {name: getattr(channel, name) for name in changes}
    with transaction.atomic():
        for name, value in changes.items():
            setattr(channel, name, value)
        if restart_sync:
            channel.sync_cursor = {}
        channel.full_clean()
        channel.save()
        diff = {name: [before[name], value] for name, value in changes.items() if before[name] != value}
        if diff:
            _audit(channel, actor=actor, action="changed", detail=diff)
    return channel


def channel_set_credentials(*, channel: Channel, credentials: dict[str, str], actor=None) -> None:
    """Store credentials encrypted. The audit records which keys were set, never their values."""
    channel.credentials_encrypted = crypto.encrypt(json.dumps(credentials, sort_keys=True))
    channel.save(update_fields=["credentials_encrypted"])
    _audit(channel, actor=actor, action="credentials_set", detail={"keys": sorted(credentials)})


def channel_clear_credentials(*, channel: Channel, actor=None) -> None:
    channel.credentials_encrypted = ""
    channel.save(update_fields=["credentials_encrypted"])
    _audit(channel, actor=actor, action="credentials_cleared")


def channel_credentials(*, channel: Channel) -> dict[str, str]:
    """For connectors only: the decrypted credentials. Never pass the result to a template or API."""
    if not channel.credentials_encrypted:
        return {}
    return json.loads(crypto.decrypt(channel.credentials_encrypted))


def channel_delete(*, channel: Channel, actor=None) -> None:
    with transaction.atomic():
        _audit(channel, actor=actor, action="deleted")
        channel.delete()


def channel_record_error(*, channel: Channel, message: str, permanent: bool, retry_after: float | None = None) -> None:
    """Record a failed attempt in plain words; a permanent error (e.g. revoked access) disables the channel.
    `retry_after`: seconds the network asked us to wait; the scheduler leaves the channel alone until then."""
    channel.last_error = message
    channel.last_error_at = timezone.now()
    channel.status = ChannelStatus.DISABLED if permanent else ChannelStatus.ERROR
    channel.next_sync_at = channel.last_error_at + timedelta(seconds=retry_after) if retry_after else None
    channel.save(update_fields=["last_error", "last_error_at", "status", "next_sync_at"])
    detail = {"message": message, "permanent": permanent}
    if retry_after:
        detail["retry_after"] = round(retry_after)
    _audit(channel, actor=None, action="error", detail=detail)


def channel_record_sync(*, channel: Channel, summary: dict[str, Any] | None = None) -> None:
    """A successful sync; `summary` (what it fetched and stored) is shown on the channel's page."""
    channel.last_synced_at = timezone.now()
    channel.next_sync_at = None
    channel.last_sync_summary = summary or {}
    if channel.status == ChannelStatus.ERROR:
        channel.status = ChannelStatus.OK
    channel.save(update_fields=["last_synced_at", "next_sync_at", "status", "last_sync_summary"])


def channels_reencrypt() -> int:
    """Re-encrypt every stored credential under the newest vault key; returns how many were rewritten."""
    count = 0
    with transaction.atomic():
        for channel in Channel.objects.exclude(credentials_encrypted="").select_for_update():
            channel.credentials_encrypted = crypto.rotate(channel.credentials_encrypted)
            channel.save(update_fields=["credentials_encrypted"])
            _audit(channel, actor=None, action="credentials_reencrypted")
            count += 1
    return count
