"""Recurring posting slots: saving them, and their occurrences in a period, computed and never stored.

An occurrence is the slot's wall-clock time on each of its weekdays, read in the organisation's time zone, so a
Tuesday 10:00 slot is at 10:00 in London in both GMT and BST. A time the clocks skip (01:30 on the last Sunday
of March) is moved on by the gap, as the clocks are (02:30 BST), and said so; a time that happens twice means
the first. An occurrence is filled when one of the organisation's posts (failed ones aside) is planned for
that moment on one of the slot's channels (any channel when the slot names none).
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet

from townsquare.orgs.models import Organisation
from townsquare.publishing.models import PostingSlot, PostStatus, ScheduledPost


@dataclass(frozen=True)
class SlotOccurrence:
    slot: PostingSlot
    day: date
    at: datetime  # UTC
    local: datetime  # in the organisation's time zone
    moved_by_clock_change: bool  # the slot's time did not exist that day (clocks went forward)


def slots_for(*, organisation: Organisation) -> QuerySet[PostingSlot]:
    return PostingSlot.objects.filter(organisation=organisation).select_related("campaign").prefetch_related("channels")


def slot_save(*, slot: PostingSlot, channels, campaign) -> PostingSlot:
    """Create or change a slot; its weekdays, channels and campaign are checked against the organisation."""
    days = sorted(set(slot.weekdays or []))
    if not days or any(not isinstance(day, int) or not 0 <= day <= 6 for day in days):
        raise ValidationError("weekdays: choose at least one day of the week")
    if any(channel.organisation_id != slot.organisation_id for channel in channels):
        raise ValidationError("channels: not this organisation's channels")
    if campaign is not None and campaign.organisation_id != slot.organisation_id:
        raise ValidationError("campaign: not one of this organisation's campaigns")
    slot.weekdays = days
    slot.campaign = campaign
    slot.full_clean()
    with transaction.atomic():
        slot.save()
        slot.channels.set(channels)
    return slot


def slot_occurrences(*, slots: list[PostingSlot], first: date, after: date, time_zone: str) -> list[SlotOccurrence]:
    """Every occurrence of `slots` on the days [first, after), in time order."""
    zone = zoneinfo.ZoneInfo(time_zone)
    found = []
    day = first
    while day < after:
        for slot in slots:
            if day.weekday() not in slot.weekdays:
                continue
            wall = datetime.combine(day, slot.local_time).replace(tzinfo=zone, fold=0)
            at = wall.astimezone(UTC)
            local = at.astimezone(zone)
            found.append(
                SlotOccurrence(
                    slot=slot,
                    day=day,
                    at=at,
                    local=local,
                    moved_by_clock_change=local.replace(tzinfo=None) != wall.replace(tzinfo=None),
                )
            )
        day += timedelta(days=1)
    return sorted(found, key=lambda occurrence: (occurrence.at, occurrence.slot.name))


def open_slots(*, organisation: Organisation, first: date, after: date, now: datetime) -> list[SlotOccurrence]:
    """The upcoming occurrences in [first, after) that no post fills yet."""
    slots = list(slots_for(organisation=organisation))
    upcoming = [
        occurrence
        for occurrence in slot_occurrences(slots=slots, first=first, after=after, time_zone=organisation.time_zone)
        if occurrence.at > now
    ]
    if not upcoming:
        return []
    planned = ScheduledPost.objects.filter(
        organisation=organisation, scheduled_at__in={occurrence.at for occurrence in upcoming}
    ).exclude(status=PostStatus.FAILED)
    taken: dict[datetime, set[int]] = {}
    for at, channel_id in planned.values_list("scheduled_at", "channel_id"):
        taken.setdefault(at.astimezone(UTC), set()).add(channel_id)

    def filled(occurrence: SlotOccurrence) -> bool:
        channels_there = taken.get(occurrence.at, set())
        wanted = {channel.id for channel in occurrence.slot.channels.all()}
        return bool(channels_there & wanted) if wanted else bool(channels_there)

    return [occurrence for occurrence in upcoming if not filled(occurrence)]
