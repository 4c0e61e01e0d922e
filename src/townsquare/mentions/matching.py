"""New posts against an organisation's active queries, with one Matcher per organisation kept in the process.

The Matcher is never rebuilt per batch: changes made here (services.py) are applied to it one query at a
time, and changes made by other processes are noticed by a cheap signature (count and latest updated_at of
the organisation's queries) and then applied by diffing (id, updated_at) pairs, again one query at a time.

A new matcher takes its word statistics from the organisation's latest stored posts, so each query is
anchored on the word that is rare in what this organisation actually hears (fewer candidates to check);
with too few posts to count, the static estimate is better than noise.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, Max

from townsquare.listening import Matcher, prepare_post
from townsquare.listening.matcher import document_frequency
from townsquare.mentions.models import ListeningQuery, Mention
from townsquare.orgs.models import Organisation
from townsquare.posts.models import Post

Signature = tuple[int, datetime | None]
STATISTICS_POSTS = 5_000  # the latest posts whose words a new matcher counts
STATISTICS_MINIMUM = 500  # below this, word counts say less than the static estimate


@dataclass
class _OrgMatcher:
    matcher: Matcher
    known: dict[int, datetime] = field(default_factory=dict)  # active query id -> updated_at it was added at
    signature: Signature | None = None

    def apply(self, query: ListeningQuery) -> None:
        if query.paused:
            self.drop(query.id)
            return
        self.matcher.add(query.id, query.text)  # same id replaces
        self.known[query.id] = query.updated_at

    def drop(self, query_id: int) -> None:
        if self.known.pop(query_id, None) is not None:
            self.matcher.remove(query_id)


_cache: dict[int, _OrgMatcher] = {}
_lock = threading.Lock()


def _signature(organisation_id: int) -> Signature:
    row = ListeningQuery.objects.filter(organisation_id=organisation_id).aggregate(n=Count("id"), at=Max("updated_at"))
    return row["n"], row["at"]


def _current(organisation_id: int) -> _OrgMatcher:
    """The organisation's matcher, brought up to date with the database (caller holds _lock)."""
    entry = _cache.get(organisation_id)
    if entry is None:
        if not ListeningQuery.objects.filter(organisation_id=organisation_id, paused=False).exists():
            # Nothing to match: the words are counted once the organisation has a query to anchor.
            return _OrgMatcher(Matcher())
        entry = _cache[organisation_id] = _OrgMatcher(_new_matcher(organisation_id))
    signature = _signature(organisation_id)
    if signature == entry.signature:
        return entry
    active = dict(
        ListeningQuery.objects.filter(organisation_id=organisation_id, paused=False).values_list("id", "updated_at")
    )
    for query_id in [query_id for query_id in entry.known if query_id not in active]:
        entry.drop(query_id)
    changed = [query_id for query_id, at in active.items() if entry.known.get(query_id) != at]
    for query in ListeningQuery.objects.filter(id__in=changed):
        entry.apply(query)
    entry.signature = signature
    return entry


def _new_matcher(organisation_id: int) -> Matcher:
    rows = Post.objects.filter(organisation_id=organisation_id).order_by("-id").values_list("title", "text")
    texts = [f"{title}\n{text}" if title else text for title, text in rows[:STATISTICS_POSTS]]
    if len(texts) < STATISTICS_MINIMUM:
        return Matcher()
    return Matcher(document_frequency(texts), len(texts))


def matcher_apply(query: ListeningQuery) -> None:
    """Called by services after a query is saved: update this process's matcher for that one query."""
    with _lock:
        entry = _cache.get(query.organisation_id)
        if entry is not None:
            entry.apply(query)
            entry.signature = None  # re-check the database next batch: another process may have changed it too


def matcher_drop(*, organisation_id: int, query_id: int) -> None:
    with _lock:
        entry = _cache.get(organisation_id)
        if entry is not None:
            entry.drop(query_id)
            entry.signature = None


def matcher_forget_all() -> None:
    """Empty the process cache (tests use it to play 'another process')."""
    with _lock:
        _cache.clear()


def post_for_matching(post: Post) -> dict[str, Any]:
    """The fields the matcher reads, taken straight from the model (no JSON round trip)."""
    author = post.author
    return {
        "id": post.id,
        "title": post.title,
        "text": post.text,
        "author": {"handle": author.handle, "followers": author.followers, "country": author.country or None},
        "lang": post.language or None,
        "network": post.network,
        "hashtags": post.hashtags,
        "mentions": post.mentions,
        "links": post.links,
    }


def matches_for(matcher: Matcher, posts: Iterable[Post]) -> list[tuple[Post, set]]:
    posts = list(posts)
    found = matcher.match_many([prepare_post(post_for_matching(post)) for post in posts])
    return [(post, ids) for post, ids in zip(posts, found, strict=True) if ids]


def mentions_match(*, organisation: Organisation, posts: list[Post]) -> int:
    """Match newly stored posts against the organisation's active queries; store the mentions. Returns how many."""
    if not posts:
        return 0
    with _lock:
        entry = _current(organisation.id)
        if not entry.known:
            return 0
        found = matches_for(entry.matcher, posts)
    mentions = [
        Mention(organisation=organisation, query_id=query_id, post=post) for post, ids in found for query_id in ids
    ]
    # ignore_conflicts: a post offered twice (a retried batch) is still one mention per query.
    Mention.objects.bulk_create(mentions, ignore_conflicts=True, batch_size=500)
    return len(mentions)
