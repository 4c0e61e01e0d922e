"""An organisation's posting plan as an iCalendar feed (RFC 5545), for calendar apps.

Every post is one event at its time in UTC, lasting 15 minutes so that it shows in day views. The UID is the
post's idempotency key, stable for the post's life, so calendar apps update an event instead of adding one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from icalendar import Calendar, Event

from townsquare.orgs.models import Organisation
from townsquare.publishing.models import PostStatus, ScheduledPost

EVENT_LENGTH = timedelta(minutes=15)
TENTATIVE = {PostStatus.DRAFT, PostStatus.SUBMITTED}


def calendar_feed(
    *,
    organisation: Organisation,
    posts: Iterable[ScheduledPost],
    url_for: Callable[[ScheduledPost], str],
    now: datetime,
) -> bytes:
    """`url_for` gives each post's page as an absolute URL."""
    feed = Calendar()
    feed.add("prodid", "-//Townsquare//Publishing calendar//EN")
    feed.add("version", "2.0")
    feed.add("x-wr-calname", f"{organisation.name}: posts")
    for post in posts:
        event = Event()
        event.add("uid", f"{post.idempotency_key}@townsquare")
        event.add("dtstamp", now)
        event.add("dtstart", post.scheduled_at)
        event.add("dtend", post.scheduled_at + EVENT_LENGTH)
        event.add("summary", f"{post.get_status_display()}: @{post.channel.handle}: {post.text[:60]}")
        event.add("description", post.text)
        event.add("url", url_for(post))
        event.add("status", "TENTATIVE" if post.status in TENTATIVE else "CONFIRMED")
        feed.add_component(event)
    return feed.to_ical()
