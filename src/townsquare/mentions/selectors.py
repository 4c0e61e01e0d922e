"""Reads for the listening pages, always scoped to one organisation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from townsquare.listening import Matcher
from townsquare.mentions.matching import matches_for
from townsquare.mentions.models import ListeningQuery, Mention
from townsquare.orgs.models import Organisation
from townsquare.posts.models import Post

PREVIEW_POSTS = 3000


def query_list(*, organisation: Organisation) -> QuerySet[ListeningQuery]:
    since = timezone.now() - timedelta(hours=24)
    return ListeningQuery.objects.filter(organisation=organisation).annotate(
        mention_count=Count("mentions"),
        recent_count=Count("mentions", filter=Q(mentions__post__created_at__gte=since)),
    )


@dataclass(frozen=True)
class MentionFilters:
    network: str = ""
    language: str = ""
    since: date | None = None
    until: date | None = None
    sentiment: str = ""


def mention_list(
    *, organisation: Organisation, query: ListeningQuery | None = None, filters: MentionFilters = MentionFilters()
) -> QuerySet[Mention]:
    mentions = Mention.objects.filter(organisation=organisation).select_related("post__author", "query")
    if query is not None:
        mentions = mentions.filter(query=query)
    if filters.network:
        mentions = mentions.filter(post__network=filters.network)
    if filters.language:
        mentions = mentions.filter(post__language=filters.language)
    if filters.sentiment:
        mentions = mentions.filter(post__sentiment=filters.sentiment)
    zone = ZoneInfo(organisation.time_zone)
    if filters.since:
        mentions = mentions.filter(post__created_at__gte=datetime.combine(filters.since, time.min, tzinfo=zone))
    if filters.until:
        mentions = mentions.filter(post__created_at__lte=datetime.combine(filters.until, time.max, tzinfo=zone))
    return mentions.order_by("-post__created_at", "-id")


def sentiments_present(*, organisation: Organisation) -> bool:
    """Whether any stored post carries a sentiment yet (the filter is shown only then)."""
    return Post.objects.filter(organisation=organisation).exclude(sentiment="").exists()


def mention_volume(*, mentions: QuerySet[Mention], organisation: Organisation, days: int) -> list[tuple[date, int]]:
    """Mentions per day (by the post's date, in the organisation's time zone) for the last `days` days."""
    zone = ZoneInfo(organisation.time_zone)
    today = timezone.now().astimezone(zone).date()
    first = today - timedelta(days=days - 1)
    counts = dict(
        mentions.filter(post__created_at__gte=datetime.combine(first, time.min, tzinfo=zone))
        .annotate(day=TruncDate("post__created_at", tzinfo=zone))
        .order_by()
        .values_list("day")
        .annotate(n=Count("id"))
    )
    return [(first + timedelta(days=offset), counts.get(first + timedelta(days=offset), 0)) for offset in range(days)]


def query_preview(*, organisation: Organisation, text: str, limit: int = PREVIEW_POSTS) -> tuple[int, list[Post]]:
    """What `text` would have matched among the organisation's latest `limit` stored posts: (posts looked at,
    matching posts newest first). Uses a throwaway Matcher; raises QueryError for unreadable text."""
    matcher = Matcher()
    matcher.add("preview", text)
    posts = list(
        Post.objects.filter(organisation=organisation).select_related("author").order_by("-created_at")[:limit]
    )
    return len(posts), [post for post, _ in matches_for(matcher, posts)]
