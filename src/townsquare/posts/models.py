"""Posts from every network in one shape (documented in docs/post-schema.md).

Posts and identities belong to one organisation: the same public post listened to by two organisations is
stored once for each, so isolation between organisations holds by construction in every query.
"""

from __future__ import annotations

from django.db import models

from townsquare.networks.registry import network_choices
from townsquare.orgs.models import Organisation


class Identity(models.Model):
    """An account on a network, as last seen."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="identities")
    network = models.CharField(max_length=30, choices=network_choices())
    external_id = models.CharField(max_length=200)
    handle = models.CharField(max_length=200)
    display_name = models.CharField(max_length=300, blank=True)
    followers = models.PositiveBigIntegerField(null=True, blank=True)
    verified = models.BooleanField(default=False)
    location = models.CharField(max_length=300, blank=True)
    country = models.CharField(max_length=2, blank=True)
    profile_url = models.URLField(max_length=1000, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "network", "external_id"], name="one_identity_per_account")
        ]
        indexes = [models.Index(fields=["organisation", "network", "handle"])]

    def __str__(self) -> str:
        return f"@{self.handle} ({self.network})"


class Post(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="posts")
    network = models.CharField(max_length=30, choices=network_choices())
    external_id = models.CharField(max_length=200)
    url = models.URLField(max_length=2000, blank=True)
    author = models.ForeignKey(Identity, on_delete=models.PROTECT, related_name="posts")
    title = models.CharField(max_length=1000, blank=True)
    text = models.TextField(blank=True)
    language = models.CharField(max_length=12, blank=True)
    created_at = models.DateTimeField()
    # Links to other posts by external id (they may arrive later or never); resolved FKs where known.
    in_reply_to_external_id = models.CharField(max_length=200, blank=True)
    in_reply_to = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="replies")
    conversation_root = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="conversation_posts"
    )
    quoted_external_id = models.CharField(max_length=200, blank=True)
    shared_external_id = models.CharField(max_length=200, blank=True)
    hashtags = models.JSONField(default=list, blank=True)
    mentions = models.JSONField(default=list, blank=True)
    links = models.JSONField(default=list, blank=True)
    media = models.JSONField(default=list, blank=True)
    replies_count = models.PositiveBigIntegerField(null=True, blank=True)
    shares_count = models.PositiveBigIntegerField(null=True, blank=True)
    likes_count = models.PositiveBigIntegerField(null=True, blank=True)
    views_count = models.PositiveBigIntegerField(null=True, blank=True)
    # What the enrichment models (or a team member's correction) say; blank/None until enriched.
    sentiment = models.CharField(max_length=10, blank=True)
    complaint = models.BooleanField(null=True, blank=True)
    offensive = models.BooleanField(null=True, blank=True)
    # Per task: label, score, model and version that gave it, or who corrected it.
    labels = models.JSONField(default=dict, blank=True)
    # Where the post came from into Townsquare: import, sync, sandbox, published.
    source = models.CharField(max_length=20, default="import")
    extra = models.JSONField(default=dict, blank=True)
    ingested_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "network", "external_id"], name="one_post_per_network_id")
        ]
        indexes = [
            models.Index(fields=["organisation", "-created_at"]),
            models.Index(fields=["organisation", "network", "in_reply_to_external_id"]),
            models.Index(fields=["organisation", "-ingested_at"]),
        ]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.network}:{self.external_id}"


class MetricSnapshot(models.Model):
    """Engagement of a post at one moment; the history over time is the series of snapshots."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="metric_snapshots")
    observed_at = models.DateTimeField()
    replies = models.PositiveBigIntegerField(null=True, blank=True)
    shares = models.PositiveBigIntegerField(null=True, blank=True)
    likes = models.PositiveBigIntegerField(null=True, blank=True)
    views = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "observed_at"], name="one_snapshot_per_moment")]
        ordering = ["observed_at"]

    def __str__(self) -> str:
        return f"{self.post} at {self.observed_at:%Y-%m-%d %H:%M}"
