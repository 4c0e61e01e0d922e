"""The publishing calendar: a week (default) or a month of planned posts in the organisation's time zone,
and the same plan as an iCalendar feed: for members, and behind a secret address for calendar apps."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_POST, require_safe

from townsquare.orgs.access import org_view
from townsquare.orgs.roles import Permission
from townsquare.publishing.campaigns import campaigns_for
from townsquare.publishing.feeds import (
    FEED_PAST,
    feed_open_slots,
    subscribed_organisation,
    subscription_posts,
    subscription_rotate,
    subscription_token,
)
from townsquare.publishing.ical import calendar_feed, subscription_feed
from townsquare.publishing.models import ScheduledPost
from townsquare.publishing.moves import may_move, scheduled_post_move
from townsquare.publishing.reciprocity import reciprocity_weeks
from townsquare.publishing.selectors import approval_queue, calendar_posts
from townsquare.publishing.slots import SlotOccurrence, open_slots
from townsquare.publishing.times import local_to_utc


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
    campaigns = list(campaigns_for(organisation=request.organisation))
    shown = request.GET.get("campaign", "")
    campaign = next((c for c in campaigns if str(c.id) == shown), None)
    if shown and campaign is None:
        raise Http404("No such campaign")
    if campaign is not None:
        posts = posts.filter(campaign=campaign)
    by_day: dict[date, list[ScheduledPost]] = defaultdict(list)
    for post in posts:
        post.can_move = may_move(membership=request.membership, post=post)
        by_day[post.scheduled_at.astimezone(zone).date()].append(post)
    slots_by_day: dict[date, list[dict]] = defaultdict(list)
    for occurrence in open_slots(organisation=request.organisation, first=first, after=after, now=timezone.now()):
        if campaign is None or occurrence.slot.campaign_id == campaign.id:
            slots_by_day[occurrence.day].append({"occurrence": occurrence, "fill_url": _fill_url(request, occurrence)})
    # Every day is listed (and a drop target); in a month, days without posts are one short line each.
    days = [first + timedelta(days=n) for n in range((after - first).days)]
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
            "days": [(day, by_day[day], slots_by_day[day]) for day in days],
            "count": sum(len(by_day[day]) for day in days),
            "time_zone": request.organisation.time_zone,
            "can_draft": request.membership.can(Permission.DRAFT),
            "can_approve": can_approve,
            "can_manage_feed": request.membership.can(Permission.MANAGE_TEAM),
            "awaiting": approval_queue(organisation=request.organisation).count() if can_approve else 0,
            "campaigns": campaigns,
            "campaign": campaign,
            "filter_query": f"&campaign={campaign.id}" if campaign else "",
            "reciprocity": reciprocity_weeks(organisation=request.organisation, now=reciprocity_until),
            "subscribe_url": _subscribe_url(request),
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

    feed = calendar_feed(
        organisation=organisation,
        posts=posts,
        url_for=url_for,
        now=now,
        open_slots=feed_open_slots(organisation=organisation, now=now),
        fill_url_for=lambda occurrence: request.build_absolute_uri(_fill_url(request, occurrence)),
    )
    return _ics_response(feed, organisation)


def _fill_url(request, occurrence: SlotOccurrence) -> str:
    """A new draft prefilled with the slot's local date and time, channels and campaign."""
    query = [("at", f"{occurrence.local:%Y-%m-%dT%H:%M}")]
    query += [("channel", channel.id) for channel in occurrence.slot.channels.all()]
    if occurrence.slot.campaign_id:
        query.append(("campaign", occurrence.slot.campaign_id))
    return f"{reverse('compose', kwargs={'org_slug': request.organisation.slug})}?{urlencode(query)}"


def _ics_response(body: bytes, organisation) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{organisation.slug}-posts.ics"'
    return response


def _subscribe_url(request) -> str | None:
    """The secret feed address, for admins only (None for others, and while there is none)."""
    if not request.membership.can(Permission.MANAGE_TEAM):
        return None
    token = subscription_token(organisation=request.organisation)
    if token is None:
        return None
    # The public address, as for short links: calendar apps fetch it from outside, not through this request's host.
    path = reverse("calendar_subscription", kwargs={"org_slug": request.organisation.slug, "token": token})
    return f"{settings.TOWNSQUARE_PUBLIC_URL}{path}"


@require_safe
def calendar_subscription(request, org_slug: str, token: str) -> HttpResponse:
    """The feed for calendar apps, which cannot sign in: the token in the address is the only key, so a wrong
    one is a 404, like an organisation that does not exist. Not under org_view on purpose."""
    organisation = subscribed_organisation(org_slug=org_slug, token=token)
    if organisation is None:
        raise Http404("No such calendar")
    now = timezone.now()
    posts = subscription_posts(organisation=organisation, now=now)
    slots = feed_open_slots(organisation=organisation, now=now)
    feed = subscription_feed(organisation=organisation, posts=posts, now=now, open_slots=slots)
    response = _ics_response(feed, organisation)
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response


@org_view(Permission.MANAGE_TEAM)
@require_POST
def calendar_subscription_rotate(request):
    had = subscription_token(organisation=request.organisation) is not None
    subscription_rotate(organisation=request.organisation, actor=request.user)
    if had:
        messages.success(
            request, "New subscribe address made. The old one no longer works: subscribe again with the new one."
        )
    else:
        messages.success(
            request, "Subscribe address made. Anyone with it can see the planned posts: share it with care."
        )
    return redirect("calendar", org_slug=request.organisation.slug)


def _calendar_url(request, view: str, day: date) -> str:
    query = {"view": "month" if view == "month" else "week", "date": day.isoformat()}
    if request.POST.get("campaign", "").isdigit():
        query["campaign"] = request.POST["campaign"]
    return f"{reverse('calendar', kwargs={'org_slug': request.organisation.slug})}?{urlencode(query)}"


@org_view(Permission.DRAFT)
@require_POST
def calendar_move(request, scheduled_post_id: int):
    """Move a post to a local date and time (the calendar's drag and drop fills and sends the same form)."""
    post = get_object_or_404(ScheduledPost, id=scheduled_post_id, organisation=request.organisation)
    zone = ZoneInfo(request.organisation.time_zone)
    try:
        day = date.fromisoformat(request.POST.get("date", ""))
    except ValueError:
        day = None
    try:
        at = time.fromisoformat(request.POST.get("time", ""))
    except ValueError:
        at = None
    back = _calendar_url(request, request.POST.get("view", "week"), day or post.scheduled_at.astimezone(zone).date())
    if day is None or at is None:
        messages.error(request, "Not moved: give a date (YYYY-MM-DD) and a time (HH:MM).")
        return redirect(back)
    try:
        to = local_to_utc(local=datetime.combine(day, at.replace(second=0, microsecond=0)), time_zone=zone.key)
        scheduled_post_move(post=post, actor=request.user, to=to)
    except ValidationError as error:
        messages.error(request, f"Not moved: {' '.join(error.messages)}.")
    else:
        local = to.astimezone(zone)
        when = f"{local:%A} {local.day} {local:%B %Y at %H:%M}"
        messages.success(request, f"Moved to {when} ({zone.key}): {post.text[:60]}")
    return redirect(back)
