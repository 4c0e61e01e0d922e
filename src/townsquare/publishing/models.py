"""Scheduled posts and the log of every attempt to publish them.

Times are stored in UTC; pages show them in the organisation's time zone (publishing.times).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from townsquare.channels.models import Channel
from townsquare.networks.registry import network_choices
from townsquare.orgs.models import Organisation
from townsquare.publishing.colours import validate_campaign_colour


class PostStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Awaiting approval"
    APPROVED = "approved", "Approved"
    SCHEDULED = "scheduled", "Scheduled"
    PUBLISHING = "publishing", "Publishing"
    PUBLISHED = "published", "Published"
    FAILED = "failed", "Failed"


class Campaign(models.Model):
    """A campaign or a content theme that posts are planned under, with a colour for the calendar."""

    class Kind(models.TextChoices):
        CAMPAIGN = "campaign", "Campaign"
        THEME = "theme", "Content theme"

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="campaigns")
    name = models.CharField(max_length=80)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.CAMPAIGN)
    # "#rrggbb", at least 3:1 against white (publishing.colours), so its marks on the calendar can be seen.
    colour = models.CharField(max_length=7, validators=[validate_campaign_colour])
    description = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "name"], name="one_campaign_name_per_org")]
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.name}"


class ScheduledPost(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="scheduled_posts")
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="scheduled_posts")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    text = models.TextField()
    campaign = models.ForeignKey(
        Campaign, on_delete=models.SET_NULL, null=True, blank=True, related_name="posts", help_text="or content theme"
    )
    scheduled_at = models.DateTimeField()
    status = models.CharField(max_length=12, choices=PostStatus.choices, default=PostStatus.DRAFT)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    review_comment = models.TextField(blank=True, default="")
    # Made with the post and passed to the network on every attempt, so a retry cannot publish twice.
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # When the next attempt may run: scheduled_at at first, later pushed back by retry backoff.
    next_attempt_at = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    published_external_id = models.CharField(max_length=200, blank=True, default="")
    published_at = models.DateTimeField(null=True, blank=True)
    # The lease: which claim holds the post while it is `publishing`, and since when.
    claimed_by = models.CharField(max_length=100, blank=True, default="")
    claimed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["organisation", "scheduled_at"]),
        ]
        ordering = ["scheduled_at", "id"]

    def __str__(self) -> str:
        return f"{self.channel} at {self.scheduled_at:%Y-%m-%d %H:%M} UTC ({self.status})"


class PublishAttempt(models.Model):
    """One call to a network: what happened, so failures can be explained and audited."""

    class Outcome(models.TextChoices):
        PUBLISHED = "published", "Published"
        RETRY = "retry", "Failed, will retry"
        FAILED = "failed", "Failed permanently"

    post = models.ForeignKey(ScheduledPost, on_delete=models.CASCADE, related_name="publish_attempts")
    number = models.PositiveIntegerField()
    worker = models.CharField(max_length=100)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    error = models.TextField(blank=True, default="")
    external_id = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["post", "number", "id"]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.post_id}: {self.outcome}"


class ReviewEvent(models.Model):
    """The history of a post's review: who submitted, edited, sent back (with the comment) or approved, and when."""

    class Action(models.TextChoices):
        SUBMITTED = "submitted", "Submitted for approval"
        EDITED = "edited", "Edited"
        SENT_BACK = "sent_back", "Sent back"
        APPROVED = "approved", "Approved"

    post = models.ForeignKey(ScheduledPost, on_delete=models.CASCADE, related_name="review_events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    action = models.CharField(max_length=10, choices=Action.choices)
    comment = models.TextField(blank=True, default="")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["post", "at", "id"]

    def __str__(self) -> str:
        return f"{self.action} on {self.post_id} at {self.at:%Y-%m-%d %H:%M}"


class PostMedia(models.Model):
    """An image attached to a scheduled post, with its alt text. The file lives under MEDIA_ROOT at `path`."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey(ScheduledPost, on_delete=models.CASCADE, related_name="media")
    path = models.CharField(max_length=200, unique=True)  # "<organisation id>/<random hex>.<ext>"
    mime_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    filename = models.CharField(max_length=200, blank=True, default="")
    alt_text = models.TextField(blank=True, default="")
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["post", "position", "id"]

    def __str__(self) -> str:
        return f"image {self.position + 1} of {self.post_id} ({self.filename or self.path})"


class ShortLink(models.Model):
    """A link in a published post, replaced by Townsquare's own short address (/l/<code>) so its clicks and
    the actions behind them (sign-ups, bookings) can be counted. `target` carries the UTM tags. An ambassador's
    personal link for the same post is another row, with `ambassador` set."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey(ScheduledPost, on_delete=models.CASCADE, related_name="short_links")
    code = models.CharField(max_length=20, unique=True)
    original = models.URLField(max_length=2000)
    target = models.URLField(max_length=2500)
    network = models.CharField(max_length=20)
    # Set on an ambassador's personal link (publishing.ambassadors): their shares' clicks are counted apart.
    ambassador = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["post", "original"],
                condition=models.Q(ambassador__isnull=True),
                name="one_short_link_per_post_link",
            ),
            models.UniqueConstraint(
                fields=["post", "original", "network", "ambassador"], name="one_personal_link_per_post_link_network"
            ),
        ]
        ordering = ["post", "id"]

    def __str__(self) -> str:
        return f"/l/{self.code} -> {self.original}"


class LinkEvent(models.Model):
    """One click on a short link, or one action reported behind it. Only the kind and the time: no address,
    no browser, nothing about the person."""

    class Kind(models.TextChoices):
        CLICK = "click", "Click"
        ACTION = "action", "Action"

    link = models.ForeignKey(ShortLink, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=6, choices=Kind.choices)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["link", "kind"])]

    def __str__(self) -> str:
        return f"{self.kind} on {self.link_id} at {self.at:%Y-%m-%d %H:%M}"


class PublishingPolicy(models.Model):
    """An organisation's social media policy, as the policy check applies it (publishing.policy)."""

    class Action(models.TextChoices):
        BLOCK = "block", "Block"
        WARN = "warn", "Warn"

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="publishing_policy")
    words_to_avoid = models.JSONField(default=list, blank=True)
    allowed_domains = models.JSONField(default=list, blank=True)
    personal_data = models.CharField(max_length=5, choices=Action.choices, default=Action.BLOCK)
    words = models.CharField(max_length=5, choices=Action.choices, default=Action.WARN)
    links = models.CharField(max_length=5, choices=Action.choices, default=Action.WARN)
    alt_text = models.CharField(max_length=5, choices=Action.choices, default=Action.WARN)
    offensive = models.CharField(max_length=5, choices=Action.choices, default=Action.WARN)

    def __str__(self) -> str:
        return f"Publishing policy of {self.organisation}"


class CalendarSubscription(models.Model):
    """The secret of an organisation's subscribable calendar feed (/o/<slug>/calendar/<token>.ics), for calendar
    apps that cannot sign in. The token is kept encrypted by the vault, because admins are shown the address
    again; rotating it replaces the row's token, so the old address stops working at once."""

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="calendar_subscription")
    token_encrypted = models.TextField()
    rotated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    rotated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Calendar subscription of {self.organisation}"


class PostingSlot(models.Model):
    """A recurring slot in the plan ("Tuesday 10:00 community spotlight"): weekdays and a wall-clock time in the
    organisation's time zone, so it stays at 10:00 across the clock changes. Occurrences are computed for the
    period shown (publishing.slots), never stored."""

    WEEKDAYS = [
        (0, "Monday"),
        (1, "Tuesday"),
        (2, "Wednesday"),
        (3, "Thursday"),
        (4, "Friday"),
        (5, "Saturday"),
        (6, "Sunday"),
    ]

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="posting_slots")
    name = models.CharField(max_length=80)
    weekdays = models.JSONField(default=list)  # Monday is 0, as date.weekday()
    local_time = models.TimeField()
    channels = models.ManyToManyField(Channel, blank=True, related_name="+")
    campaign = models.ForeignKey(Campaign, on_delete=models.SET_NULL, null=True, blank=True, related_name="slots")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["local_time", "name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.weekdays_display()} {self.local_time:%H:%M})"

    def weekdays_display(self) -> str:
        names = dict(self.WEEKDAYS)
        return ", ".join(names[day] for day in sorted(self.weekdays))


class ShareOffer(models.Model):
    """An approved post offered to the organisation's staff to share from their own accounts, with suggested
    copy per network ({network kind: text})."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    post = models.OneToOneField(ScheduledPost, on_delete=models.CASCADE, related_name="share_offer")
    copy = models.JSONField(default=dict)
    offered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    offered_at = models.DateTimeField(auto_now_add=True)
    # Withdrawn: no longer shown to staff; the shares already made and their clicks stay on record.
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-offered_at", "-id"]

    def __str__(self) -> str:
        return f"offer of {self.post_id} to share"


class Share(models.Model):
    """A member's word that they shared an offered post: where (network, and the address of their post if they
    gave it) and when."""

    offer = models.ForeignKey(ShareOffer, on_delete=models.CASCADE, related_name="shares")
    ambassador = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    network = models.CharField(max_length=20, choices=network_choices())
    url = models.URLField(max_length=2000, blank=True, default="")
    shared_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["offer", "shared_at", "id"]

    def __str__(self) -> str:
        return f"share of offer {self.offer_id} on {self.network}"
