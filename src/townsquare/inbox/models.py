"""The inbox domain, after Chatwoot: organisation -> channel (the inbox) -> conversation <- contact."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from townsquare.channels.models import Channel
from townsquare.orgs.models import Organisation
from townsquare.posts.models import Identity, Post


class Priority(models.TextChoices):
    URGENT = "urgent", "Urgent"
    HIGH = "high", "High"
    NORMAL = "normal", "Normal"
    LOW = "low", "Low"


class Status(models.TextChoices):
    OPEN = "open", "Open"
    PENDING = "pending", "Pending"
    SNOOZED = "snoozed", "Snoozed"
    RESOLVED = "resolved", "Resolved"


class Contact(models.Model):
    """The person behind one or more identities, possibly on several networks."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=300)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class ContactIdentity(models.Model):
    """An identity belongs to at most one contact (the link table behind merge and split)."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="links")
    identity = models.OneToOneField(Identity, on_delete=models.CASCADE, related_name="contact_link")

    def __str__(self) -> str:
        return f"{self.identity} is {self.contact}"


class Team(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="inbox_teams")
    name = models.CharField(max_length=100)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "name"], name="one_team_per_name")]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class InboxPolicy(models.Model):
    """Response targets by priority (seconds); with business hours set only those hours are counted."""

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="inbox_policy")
    first_response_targets = models.JSONField(default=dict, blank=True)
    resolution_targets = models.JSONField(default=dict, blank=True)
    business_start = models.TimeField(null=True, blank=True)
    business_end = models.TimeField(null=True, blank=True)
    # Weekdays counted as business days, Monday = 0.
    business_days = models.JSONField(default=list, blank=True)
    # Blank: the organisation's time zone.
    time_zone = models.CharField(max_length=64, blank=True)
    # Replies of members who may draft but not publish (contributors) wait for an approver (PUBLISH).
    replies_need_approval = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"Inbox policy of {self.organisation}"


class Conversation(models.Model):
    PUBLIC = "public"
    DIRECT = "direct"

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="conversations")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="conversations")
    kind = models.CharField(max_length=10, choices=[(PUBLIC, "Public thread"), (DIRECT, "Direct messages")])
    # Public threads: the top of the reply chain. Direct messages: the other participant.
    root_post = models.OneToOneField(Post, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    participant = models.ForeignKey(Identity, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    contact = models.ForeignKey(Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="conversations")
    subject = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    snoozed_until = models.DateTimeField(null=True, blank=True)
    priority_computed = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    priority_override = models.CharField(max_length=10, choices=Priority.choices, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="conversations")
    first_public_message_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    last_message_at = models.DateTimeField(null=True, blank=True)
    last_public_message_at = models.DateTimeField(null=True, blank=True)
    labels = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "channel", "participant"],
                condition=Q(kind="direct"),
                name="one_direct_conversation_per_participant",
            )
        ]
        indexes = [
            models.Index(fields=["organisation", "status", "-last_message_at"]),
            models.Index(fields=["status", "snoozed_until"]),
        ]
        ordering = ["-last_message_at", "-id"]

    def __str__(self) -> str:
        return f"Conversation {self.pk} with {self.contact or self.participant}"

    @property
    def priority(self) -> str:
        return self.priority_override or self.priority_computed


class ConversationEvent(models.Model):
    """Who did what and when: replies, assignments, status changes, notes (with @mentions)."""

    REPLY = "reply"
    # A reply held for an approver, accepted (then sent as a `reply`), or sent back with a comment.
    REPLY_SUBMITTED = "reply_submitted"
    REPLY_APPROVED = "reply_approved"
    REPLY_RETURNED = "reply_returned"
    NOTE = "note"
    ASSIGNMENT = "assignment"
    STATUS = "status"
    PRIORITY = "priority"
    MERGE = "merge"

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    kind = models.CharField(max_length=20)
    post = models.ForeignKey(Post, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    text = models.TextField(blank=True)
    mentions = models.JSONField(default=list, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} on {self.conversation_id} at {self.at:%Y-%m-%d %H:%M}"


class DraftMarker(models.Model):
    """A member is writing a reply: refreshed while they type, read as stale after a short while."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="drafts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["conversation", "user"], name="one_draft_marker_per_user")]

    def __str__(self) -> str:
        return f"{self.user} writing in {self.conversation_id}"


class SavedReply(models.Model):
    """A canned reply; its body may hold the placeholders of `inbox.saved_replies.PLACEHOLDERS`."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="saved_replies")
    title = models.CharField(max_length=100)
    body = models.TextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title


class OutgoingReply(models.Model):
    """A reply on its way out, stored before the network is called: its idempotency key makes a retried send
    publish once; a contributor's reply waits here for an approver."""

    class State(models.TextChoices):
        AWAITING = "awaiting", "Awaiting approval"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Not sent"
        RETURNED = "returned", "Sent back"

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="outgoing_replies")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    text = models.TextField()
    idempotency_key = models.UUIDField(unique=True)
    state = models.CharField(max_length=10, choices=State.choices)
    error = models.TextField(blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    review_comment = models.TextField(blank=True)
    post = models.ForeignKey(Post, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_state_display()} reply on {self.conversation_id}"


class SavedView(models.Model):
    """A member's own named set of inbox filters (only they see it)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=100)
    # The inbox filters: view, status, priority, assignee.
    filters = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "user", "name"], name="one_saved_view_per_name")]
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name
