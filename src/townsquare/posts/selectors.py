"""Reads of posts, always scoped to one organisation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from django.db.models import Q, QuerySet
from django.utils import timezone

from townsquare.orgs.models import Organisation
from townsquare.posts.models import Post


@dataclass(frozen=True)
class PostFilters:
    text: str = ""
    network: str = ""
    author: str = ""
    language: str = ""
    since: date | None = None
    until: date | None = None
    source: str = ""
    sentiment: str = ""
    complaint: bool | None = None
    offensive: bool | None = None


def post_list(*, organisation: Organisation, filters: PostFilters = PostFilters()) -> QuerySet[Post]:
    posts = Post.objects.filter(organisation=organisation).select_related("author")
    if filters.text:
        for word in filters.text.split():
            posts = posts.filter(Q(text__icontains=word) | Q(title__icontains=word))
    if filters.network:
        posts = posts.filter(network=filters.network)
    if filters.author:
        posts = posts.filter(author__handle__iexact=filters.author.lstrip("@"))
    if filters.language:
        posts = posts.filter(language=filters.language)
    if filters.sentiment:
        posts = posts.filter(sentiment=filters.sentiment)
    if filters.complaint is not None:
        posts = posts.filter(complaint=filters.complaint)
    if filters.offensive is not None:
        posts = posts.filter(offensive=filters.offensive)
    if filters.source:
        posts = posts.filter(source=filters.source)
    zone = timezone.get_current_timezone()
    if filters.since:
        posts = posts.filter(created_at__gte=datetime.combine(filters.since, time.min, tzinfo=zone))
    if filters.until:
        posts = posts.filter(created_at__lte=datetime.combine(filters.until, time.max, tzinfo=zone))
    return posts.order_by("-created_at", "-id")


def post_languages(*, organisation: Organisation) -> list[str]:
    return list(
        Post.objects.filter(organisation=organisation)
        .exclude(language="")
        .values_list("language", flat=True)
        .distinct()
        .order_by("language")
    )
