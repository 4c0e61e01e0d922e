"""The subscribable calendar feed: a per-organisation secret token in the address instead of a sign-in.

Only admins (Permission.MANAGE_TEAM: who may see the plan is a question of access) make or rotate the token.
The feed is looked up by the organisation's slug and the token compared in constant time; any mismatch is
answered like an unknown organisation.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from townsquare.orgs.models import Membership, Organisation
from townsquare.orgs.roles import Permission
from townsquare.publishing.models import CalendarSubscription, PostStatus, ScheduledPost
from townsquare.publishing.slots import SlotOccurrence, open_slots
from townsquare.vault.crypto import decrypt, encrypt

# Planned posts only: drafts, posts awaiting approval and failures stay inside Townsquare.
SHOWN = (PostStatus.APPROVED, PostStatus.SCHEDULED, PostStatus.PUBLISHING, PostStatus.PUBLISHED)
FEED_PAST = timedelta(days=90)
# Open recurring slots are shown this far ahead: enough to plan the coming weeks, not a wall of repeats.
SLOTS_AHEAD = timedelta(days=28)


def subscription_token(*, organisation: Organisation) -> str | None:
    subscription = CalendarSubscription.objects.filter(organisation=organisation).first()
    return decrypt(subscription.token_encrypted) if subscription else None


def subscription_rotate(*, organisation: Organisation, actor) -> str:
    """A new random token for the organisation's feed (made the first time); the old address stops working."""
    membership = Membership.objects.filter(organisation=organisation, user=actor).first()
    if membership is None or not membership.can(Permission.MANAGE_TEAM):
        raise PermissionDenied("Only an admin can make or change the calendar's subscribe address")
    token = secrets.token_urlsafe(32)
    CalendarSubscription.objects.update_or_create(
        organisation=organisation, defaults={"token_encrypted": encrypt(token), "rotated_by": actor}
    )
    return token


def subscribed_organisation(*, org_slug: str, token: str) -> Organisation | None:
    """The organisation whose feed `token` opens, or None (no such organisation, no feed, or the wrong token)."""
    subscription = CalendarSubscription.objects.select_related("organisation").filter(organisation__slug=org_slug)
    found = subscription.first()
    if found is None:
        return None
    if not hmac.compare_digest(decrypt(found.token_encrypted).encode(), token.encode()):
        return None
    return found.organisation


def subscription_posts(*, organisation: Organisation, now: datetime) -> QuerySet[ScheduledPost]:
    return (
        ScheduledPost.objects.filter(organisation=organisation, status__in=SHOWN, scheduled_at__gte=now - FEED_PAST)
        .select_related("channel", "campaign")
        .order_by("scheduled_at", "id")
    )


def feed_open_slots(*, organisation: Organisation, now: datetime) -> list[SlotOccurrence]:
    """The open slots of the coming SLOTS_AHEAD, for the feeds (the organisation's days, from today)."""
    today = now.astimezone(ZoneInfo(organisation.time_zone)).date()
    return open_slots(organisation=organisation, first=today, after=today + SLOTS_AHEAD, now=now)
