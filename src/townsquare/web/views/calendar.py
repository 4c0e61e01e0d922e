"""The publishing calendar: a week (default) or a month of planned posts in the organisation's time zone,
and the same plan as an iCalendar feed."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from townsquare.orgs.access import org_view
from townsquare.orgs.roles import Permission
from townsquare.publishing.ical import calendar_feed
from townsquare.publishing.models import ScheduledPost
from townsquare.publishing.reciprocity import reciprocity_weeks
from townsquare.publishing.selectors import approval_queue, calendar_posts

FEED_PAST = timedelta(days=90)


def render_local(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    """Render with the organisation's time zone active, so |date shows its wall-clock times."""
    with timezone.override(ZoneInfo(request.organisation.time_zone)):
        return render(request, template, context, status=status)


def _period(view: str, anchor: date) -> tuple[date, date, date, date]:
    """First day, day after the last, and the first days of the previous and next periods."""
    if view == "month":
        first = anchor.replace(day=1)
        after = (first + timedelta(days=32)).replace(day=1)
        return first, after, (first - timedelta(days=1)).replace(day=1), after
    first = anchor - timedelta(days=anchor.weekday())
    return first, first + timedelta(days=7), first - timedelta(days=7), first + timedelta(days=7)


def _utc_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), zone).astimezone(UTC)


@org_view()
def calendar(request):
    zone = ZoneInfo(request.organisation.time_zone)
    today = timezone.now().astimezone(zone).date()
    view = "month" if request.GET.get("view") == "month" else "week"
    try:
        anchor = date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        anchor = today
    first, after, previous, following = _period(view, anchor)
    posts = calendar_posts(
        organisation=request.organisation, start=_utc_midnight(first, zone), end=_utc_midnight(after, zone)
    )
    by_day: dict[date, list[ScheduledPost]] = defaultdict(list)
    for post in posts:
        by_day[post.scheduled_at.astimezone(zone).date()].append(post)
    # A week lists every day; a month only the days with posts, so it stays short to read and to hear.
    days = [first + timedelta(days=n) for n in range((after - first).days)]
    if view == "month":
        days = [day for day in days if by_day[day]]
    can_approve = request.membership.can(Permission.PUBLISH)
    # Give and ask for the 8 weeks up to the period shown (or up to now, for the current period).
    reciprocity_until = min(timezone.now(), _utc_midnight(after, zone) - timedelta(microseconds=1))
    return render_local(
        request,
        "web/calendar.html",
        {
            "view": view,
            "first": first,
            "last": after - timedelta(days=1),
            "previous": previous,
            "following": following,
            "today": today,
            "days": [(day, by_day[day]) for day in days],
            "count": sum(len(by_day[day]) for day in days),
            "time_zone": request.organisation.time_zone,
            "can_draft": request.membership.can(Permission.DRAFT),
            "can_approve": can_approve,
            "awaiting": approval_queue(organisation=request.organisation).count() if can_approve else 0,
            "reciprocity": reciprocity_weeks(organisation=request.organisation, now=reciprocity_until),
        },
    )


@org_view()
def calendar_ics(request):
    organisation = request.organisation
    now = timezone.now()
    posts = calendar_posts(organisation=organisation, start=now - FEED_PAST, end=datetime.max.replace(tzinfo=UTC))

    def url_for(post: ScheduledPost) -> str:
        path = reverse("scheduled_post", kwargs={"org_slug": organisation.slug, "scheduled_post_id": post.id})
        return request.build_absolute_uri(path)

    body = calendar_feed(organisation=organisation, posts=posts, url_for=url_for, now=now)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{organisation.slug}-posts.ics"'
    return response
