"""An organisation's posting plan as an iCalendar feed (RFC 5545), for calendar apps.

Every post is one event at its time in UTC, lasting 15 minutes so that it shows in day views. The UID is the
post's idempotency key, stable for the post's life, so calendar apps update an event instead of adding one.
Two feeds share this: the members' feed (every state, the whole text, a link to the post's page) and the
subscription feed that Outlook or Google Calendar fetch without signing in (`publishing.feeds`), which shows
only what the calendar shows of a planned post: its channel, time, first line and campaign. Both also show the
open recurring slots of the coming weeks as tentative, free-time events, so a planner sees the gaps where they
plan.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta

from icalendar import Calendar, Event

from townsquare.orgs.models import Organisation
from townsquare.publishing.models import PostStatus, ScheduledPost
from townsquare.publishing.slots import SlotOccurrence

EVENT_LENGTH = timedelta(minutes=15)
TENTATIVE = {PostStatus.DRAFT, PostStatus.SUBMITTED}


def _feed(*, organisation: Organisation, events: Iterable[Event], slots: Iterable[Event] = ()) -> bytes:
    feed = Calendar()
    feed.add("prodid", "-//Townsquare//Publishing calendar//EN")
    feed.add("version", "2.0")
    feed.add("x-wr-calname", f"{organisation.name}: posts")
    for event in (*events, *slots):
        feed.add_component(event)
    return feed.to_ical()


def _slot_events(
    occurrences: Sequence[SlotOccurrence], *, now: datetime, url_for: Callable[[SlotOccurrence], str] | None = None
) -> list[Event]:
    """One tentative event per open slot occurrence, not blocking time; the UID names the slot and the day,
    so the event disappears from calendar apps once a post fills it."""
    events = []
    for occurrence in occurrences:
        event = Event()
        event.add("uid", f"slot-{occurrence.slot.id}-{occurrence.day.isoformat()}@townsquare")
        event.add("dtstamp", now)
        event.add("dtstart", occurrence.at)
        event.add("dtend", occurrence.at + EVENT_LENGTH)
        event.add("summary", f"Open slot: {occurrence.slot.name}")
        event.add("status", "TENTATIVE")
        event.add("transp", "TRANSPARENT")
        if occurrence.slot.campaign is not None:
            event.add("categories", [occurrence.slot.campaign.name])
        if url_for is not None:
            event.add("url", url_for(occurrence))
        events.append(event)
    return events


def _event(*, post: ScheduledPost, now: datetime, summary: str) -> Event:
    event = Event()
    event.add("uid", f"{post.idempotency_key}@townsquare")
    event.add("dtstamp", now)
    event.add("dtstart", post.scheduled_at)
    event.add("dtend", post.scheduled_at + EVENT_LENGTH)
    event.add("summary", summary)
    return event


def calendar_feed(
    *,
    organisation: Organisation,
    posts: Iterable[ScheduledPost],
    url_for: Callable[[ScheduledPost], str],
    now: datetime,
    open_slots: Sequence[SlotOccurrence] = (),
    fill_url_for: Callable[[SlotOccurrence], str] | None = None,
) -> bytes:
    """The members' feed. `url_for` gives each post's page as an absolute URL, `fill_url_for` the address that
    starts a post for an open slot."""

    def event_for(post: ScheduledPost) -> Event:
        summary = f"{post.get_status_display()}: @{post.channel.handle}: {post.text[:60]}"
        event = _event(post=post, now=now, summary=summary)
        event.add("description", post.text)
        event.add("url", url_for(post))
        event.add("status", "TENTATIVE" if post.status in TENTATIVE else "CONFIRMED")
        return event

    slots = _slot_events(open_slots, now=now, url_for=fill_url_for)
    return _feed(organisation=organisation, events=(event_for(post) for post in posts), slots=slots)


def first_line(text: str, limit: int = 80) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def subscription_feed(
    *,
    organisation: Organisation,
    posts: Iterable[ScheduledPost],
    now: datetime,
    open_slots: Sequence[SlotOccurrence] = (),
) -> bytes:
    """The feed behind the secret address: channel, time, first line and campaign of each planned post, and the
    open slots by name; no author, no link, no full text."""

    def event_for(post: ScheduledPost) -> Event:
        summary = f"@{post.channel.handle} ({post.channel.get_network_display()}): {first_line(post.text)}"
        event = _event(post=post, now=now, summary=summary)
        if post.campaign is not None:
            event.add("categories", [post.campaign.name])
        event.add("status", "CONFIRMED")
        return event

    slots = _slot_events(open_slots, now=now)
    return _feed(organisation=organisation, events=(event_for(post) for post in posts), slots=slots)
