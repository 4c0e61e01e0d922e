"""Storing normalised posts: de-duplicate, upsert authors, insert, link replies, record metrics."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from townsquare.orgs.models import Organisation
from townsquare.posts.models import Identity, MetricSnapshot, Post
from townsquare.posts.normalise import AuthorRecord, PostRecord, parse_datetime

METRIC_FIELDS = {"replies": "replies_count", "shares": "shares_count", "likes": "likes_count", "views": "views_count"}


@dataclass
class StoreResult:
    stored: list[Post] = field(default_factory=list)
    duplicates: int = 0
    # Duplicates that were a later version of a stored post: their text was replaced (see _apply_edit).
    edited: list[Post] = field(default_factory=list)


def posts_store(*, organisation: Organisation, records: list[PostRecord], source: str) -> StoreResult:
    """Store a batch in one transaction. A post already stored (same network and id) is a duplicate: it is
    not stored again, but new engagement figures on it are added to its history, and if it is a later
    version (edited on its network) the post shows the new text and keeps the earlier ones in `extra.edits`."""
    result = StoreResult()
    with transaction.atomic():
        unique: dict[tuple[str, str], PostRecord] = {}
        for record in records:
            key = (record.network, record.external_id)
            if key in unique:
                result.duplicates += 1
            else:
                unique[key] = record
        existing = _existing_posts(organisation, list(unique))
        result.duplicates += len(existing)
        for key, post in existing.items():
            _record_metrics(post, unique[key], update_post=True)
            if _apply_edit(post, unique[key]):
                result.edited.append(post)
        new_records = [record for key, record in unique.items() if key not in existing]
        if not new_records:
            return result
        authors = _upsert_identities(organisation, new_records)
        posts = [_post_from(organisation, record, authors, source) for record in new_records]
        Post.objects.bulk_create(posts, batch_size=500)
        # Re-read: SQLite before 3.35 and some backends do not return primary keys from bulk inserts.
        stored = _existing_posts(organisation, [(record.network, record.external_id) for record in new_records])
        by_key = {(record.network, record.external_id): record for record in new_records}
        for key, post in stored.items():
            _record_metrics(post, by_key[key], update_post=False)
        stored = list(stored.values())
        _link_conversations(organisation, stored)
        result.stored = stored
    return result


def _existing_posts(organisation: Organisation, keys: list[tuple[str, str]]) -> dict[tuple[str, str], Post]:
    found: dict[tuple[str, str], Post] = {}
    by_network: dict[str, list[str]] = {}
    for network, external_id in keys:
        by_network.setdefault(network, []).append(external_id)
    for network, ids in by_network.items():
        for start in range(0, len(ids), 500):
            for post in Post.objects.filter(
                organisation=organisation, network=network, external_id__in=ids[start : start + 500]
            ):
                found[(post.network, post.external_id)] = post
    return found


def _upsert_identities(organisation: Organisation, records: list[PostRecord]) -> dict[tuple[str, str], Identity]:
    wanted: dict[tuple[str, str], AuthorRecord] = {}
    for record in records:
        wanted[(record.network, record.author.external_id)] = record.author
    identities: dict[tuple[str, str], Identity] = {}
    for network in {network for network, _ in wanted}:
        ids = [external_id for net, external_id in wanted if net == network]
        for start in range(0, len(ids), 500):
            for identity in Identity.objects.filter(
                organisation=organisation, network=network, external_id__in=ids[start : start + 500]
            ):
                identities[(network, identity.external_id)] = identity
    to_create = []
    for (network, external_id), author in wanted.items():
        identity = identities.get((network, external_id))
        if identity is None:
            to_create.append(Identity(organisation=organisation, network=network, **_identity_fields(author)))
        elif _refresh_identity(identity, author):
            identity.save()
    if to_create:
        Identity.objects.bulk_create(to_create)
        for identity in Identity.objects.filter(
            organisation=organisation, external_id__in=[identity.external_id for identity in to_create]
        ):
            identities[(identity.network, identity.external_id)] = identity
    return identities


def _identity_fields(author: AuthorRecord) -> dict:
    return {
        "external_id": author.external_id,
        "handle": author.handle,
        "display_name": author.display_name,
        "followers": author.followers,
        "verified": author.verified,
        "location": author.location,
        "country": author.country,
        "profile_url": author.profile_url,
    }


def _refresh_identity(identity: Identity, author: AuthorRecord) -> bool:
    """Keep the newest known profile; blanks in the new record do not erase what is known."""
    changed = False
    for name, value in _identity_fields(author).items():
        if value not in ("", None) and getattr(identity, name) != value and name != "external_id":
            setattr(identity, name, value)
            changed = True
    return changed


def _post_from(organisation: Organisation, record: PostRecord, authors: dict, source: str) -> Post:
    post = Post(
        organisation=organisation,
        network=record.network,
        external_id=record.external_id,
        url=record.url,
        author=authors[(record.network, record.author.external_id)],
        title=record.title,
        text=record.text,
        language=record.language,
        created_at=record.created_at,
        in_reply_to_external_id=record.in_reply_to,
        quoted_external_id=record.quoted,
        shared_external_id=record.shared,
        hashtags=record.hashtags,
        mentions=record.mentions,
        links=record.links,
        media=record.media,
        source=source,
        extra=record.extra,
    )
    for name, column in METRIC_FIELDS.items():
        setattr(post, column, record.metrics.get(name))
    return post


def _record_metrics(post: Post, record: PostRecord, *, update_post: bool) -> None:
    if not record.metrics:
        return
    post_metrics_record(
        post=post,
        metrics=record.metrics,
        observed_at=record.metrics_observed_at or timezone.now(),
        update_post=update_post,
    )


def post_metrics_record(
    *, post: Post, metrics: dict[str, int | None], observed_at: datetime, update_post: bool = True
) -> None:
    """Add one observation of a post's engagement to its history and, by default, show it on the post."""
    MetricSnapshot.objects.get_or_create(
        post=post, observed_at=observed_at, defaults={name: metrics.get(name) for name in METRIC_FIELDS}
    )
    if update_post:
        for name, column in METRIC_FIELDS.items():
            if metrics.get(name) is not None:
                setattr(post, column, metrics[name])
        post.save(update_fields=list(METRIC_FIELDS.values()))


# What an edit replaces on the stored post.
EDITABLE_FIELDS = ("text", "title", "language", "hashtags", "mentions", "links", "media")


def _edited_at(post: Post, record: PostRecord) -> str | None:
    """When `record` is a later version of the stored post, the moment of the edit (ISO); otherwise None.
    Networks that mark edits say when (Mastodon's `edited_at`: only a later one counts, so a stale copy never
    reverts a post); content-addressed ones (Bluesky) give each version its own `cid`."""
    new = record.extra.get("edited_at")
    if new:
        old = post.extra.get("edited_at")
        return new if not old or parse_datetime(new) > parse_datetime(old) else None
    cid, stored_cid = record.extra.get("cid"), post.extra.get("cid")
    if cid and stored_cid and cid != stored_cid:
        return timezone.now().isoformat()
    return None


def _apply_edit(post: Post, record: PostRecord) -> bool:
    """Show the record's version of an edited post; the replaced text is appended to `extra.edits` (so the
    first text is `extra.edits[0].text`). Returns whether what the post says changed."""
    edited_at = _edited_at(post, record)
    if edited_at is None:
        return False
    changed = any(getattr(post, name) != getattr(record, name) for name in ("text", "title", "media"))
    edits = list(post.extra.get("edits") or [])
    if changed:
        edits.append({"text": post.text, "title": post.title, "media": post.media, "replaced_at": edited_at})
    for name in EDITABLE_FIELDS:
        setattr(post, name, getattr(record, name))
    post.extra = {**post.extra, **record.extra, "edits": edits} if edits else {**post.extra, **record.extra}
    post.save(update_fields=[*EDITABLE_FIELDS, "extra"])
    return changed


def _link_conversations(organisation: Organisation, new_posts: list[Post]) -> None:
    """Resolve reply links in both directions (a reply may arrive before its parent) and set each
    affected post's conversation root to the top of its known reply chain."""
    networks = {post.network for post in new_posts}
    for network in networks:
        new_ids = [post.external_id for post in new_posts if post.network == network]
        parent_ids = [
            post.in_reply_to_external_id
            for post in new_posts
            if post.network == network and post.in_reply_to_external_id
        ]
        scope = Post.objects.filter(organisation=organisation, network=network)
        affected: dict[str, Post] = {}
        for start in range(0, max(len(new_ids), len(parent_ids)), 500):
            for post in scope.filter(external_id__in=new_ids[start : start + 500] + parent_ids[start : start + 500]):
                affected[post.external_id] = post
            for post in scope.filter(in_reply_to_external_id__in=new_ids[start : start + 500]):
                affected[post.external_id] = post
        _set_parents_and_roots(scope, affected)


def _set_parents_and_roots(scope, affected: dict[str, Post]) -> None:
    known = dict(affected)

    def parent_of(post: Post) -> Post | None:
        parent_id = post.in_reply_to_external_id
        if not parent_id:
            return None
        if parent_id not in known:
            known[parent_id] = scope.filter(external_id=parent_id).first()
        return known[parent_id]

    def root_of(post: Post) -> Post:
        seen = {post.external_id}
        current = post
        while (parent := parent_of(current)) is not None and parent.external_id not in seen:
            seen.add(parent.external_id)
            current = parent
        return current

    changed = []
    for post in affected.values():
        parent = parent_of(post)
        root = root_of(post)
        parent_pk = parent.pk if parent else None
        if post.in_reply_to_id != parent_pk or post.conversation_root_id != root.pk:
            post.in_reply_to_id = parent_pk
            post.conversation_root_id = root.pk
            changed.append(post)
    Post.objects.bulk_update(changed, ["in_reply_to", "conversation_root"], batch_size=500)
    # Posts further down a chain whose root changed because an ancestor arrived late.
    moved_roots = {post.pk: post.conversation_root_id for post in changed}
    if moved_roots:
        for descendant in scope.filter(conversation_root_id__in=list(moved_roots)).exclude(pk__in=list(moved_roots)):
            descendant.conversation_root_id = moved_roots[descendant.conversation_root_id]
            descendant.save(update_fields=["conversation_root"])
