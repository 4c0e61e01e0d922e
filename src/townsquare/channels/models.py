from __future__ import annotations

from django.conf import settings
from django.db import models

from townsquare.networks.registry import network_choices
from townsquare.orgs.models import Organisation


class ChannelStatus(models.TextChoices):
    OK = "ok", "Working"
    ERROR = "error", "Error"
    DISABLED = "disabled", "Disabled"


class Channel(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="channels")
    network = models.CharField(max_length=30, choices=network_choices())
    handle = models.CharField(max_length=200)
    display_name = models.CharField(max_length=200, blank=True)
    # Non-secret connection settings, e.g. a Mastodon instance URL.
    options = models.JSONField(default=dict, blank=True)
    # Fernet token from the vault; never rendered, never exported, never returned by an API.
    credentials_encrypted = models.TextField(blank=True, default="", editable=False)
    status = models.CharField(max_length=10, choices=ChannelStatus.choices, default=ChannelStatus.OK)
    last_error = models.TextField(blank=True, default="")
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    # Not scheduled again before this moment: the network asked us to wait (429 Retry-After, rate-limit reset).
    next_sync_at = models.DateTimeField(null=True, blank=True)
    sync_cursor = models.JSONField(default=dict, blank=True)
    # Listening by public search: SearchTerm.key -> that term's cursor (networks/listen.py); the Jetstream
    # consumer keeps {"time_us": ...} here.
    search_cursor = models.JSONField(default=dict, blank=True)
    # What the last successful sync did, for the channel's page: counts, terms searched, queries not searchable.
    last_sync_summary = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "network", "handle"], name="one_channel_per_account")
        ]
        ordering = ["network", "handle"]

    def __str__(self) -> str:
        return f"{self.get_network_display()} @{self.handle}"

    @property
    def has_credentials(self) -> bool:
        return bool(self.credentials_encrypted)


class ChannelEvent(models.Model):
    """The audit trail: every change to a channel, who made it and when. Never holds a secret."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="channel_events")
    channel = models.ForeignKey(Channel, on_delete=models.SET_NULL, null=True, related_name="events")
    channel_label = models.CharField(max_length=250)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    action = models.CharField(max_length=40)
    detail = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.channel_label}"


class AccountSnapshot(models.Model):
    """The channel's audience at one moment (followers), read by the metrics job; the series is its history."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="account_snapshots")
    observed_at = models.DateTimeField()
    followers = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel", "observed_at"], name="one_account_snapshot_per_moment")
        ]
        ordering = ["observed_at"]

    def __str__(self) -> str:
        return f"{self.channel} at {self.observed_at:%Y-%m-%d %H:%M}: {self.followers} followers"
