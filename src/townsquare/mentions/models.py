from __future__ import annotations

from django.conf import settings
from django.db import models

from townsquare.orgs.models import Organisation
from townsquare.posts.models import Post


class QueryKind(models.TextChoices):
    ORGANISATION = "organisation", "The organisation"
    PERSON = "person", "A person"
    PLACE = "place", "A place"
    TOPIC = "topic", "A topic"
    OTHER = "other", "Other"


class ListeningQuery(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="listening_queries")
    name = models.CharField(max_length=200)
    # Stored in canonical form (listening.to_text), so equal queries read the same everywhere.
    text = models.TextField()
    kind = models.CharField(max_length=20, choices=QueryKind.choices, default=QueryKind.TOPIC)
    paused = models.BooleanField(default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Every change moves this; the matcher cache compares it to notice other processes' edits.
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Mention(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="mentions")
    query = models.ForeignKey(ListeningQuery, on_delete=models.CASCADE, related_name="mentions")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="listening_mentions")
    matched_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["query", "post"], name="one_mention_per_query_post")]
        indexes = [models.Index(fields=["organisation", "-matched_at"]), models.Index(fields=["query", "-matched_at"])]

    def __str__(self) -> str:
        return f"{self.query} <- {self.post}"
