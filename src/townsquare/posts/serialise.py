"""A stored post back in the normalised JSON form (the inverse of posts.normalise.parse_post)."""

from __future__ import annotations

from typing import Any

from townsquare.posts.models import Post

# The scalar fields as they are, then the author and lists flattened: the importer's CSV fields by the same names.
SCALAR_COLUMNS = ("network", "id", "url", "title", "text", "lang", "created_at", "in_reply_to", "quoted", "shared")
CSV_COLUMNS = [
    *SCALAR_COLUMNS,
    "author",
    "author_name",
    "author_followers",
    "hashtags",
    "mentions",
    "links",
    "replies",
    "shares",
    "likes",
    "views",
]


def post_to_json(post: Post) -> dict[str, Any]:
    author = post.author
    data: dict[str, Any] = {
        "network": post.network,
        "id": post.external_id,
        "url": post.url or None,
        "author": {
            "id": author.external_id,
            "handle": author.handle,
            "display_name": author.display_name or None,
            "followers": author.followers,
            "verified": author.verified,
            "location": author.location or None,
            "country": author.country or None,
            "profile_url": author.profile_url or None,
        },
        "title": post.title or None,
        "text": post.text,
        "lang": post.language or None,
        "created_at": post.created_at.isoformat(),
        "in_reply_to": post.in_reply_to_external_id or None,
        "quoted": post.quoted_external_id or None,
        "shared": post.shared_external_id or None,
        "hashtags": post.hashtags,
        "mentions": post.mentions,
        "links": post.links,
        "media": post.media,
        "metrics": {
            "replies": post.replies_count,
            "shares": post.shares_count,
            "likes": post.likes_count,
            "views": post.views_count,
        },
    }
    if post.extra:
        data["extra"] = post.extra
    return data


def post_to_csv_row(post: Post) -> dict[str, Any]:
    data = post_to_json(post)
    row = {key: data[key] for key in SCALAR_COLUMNS}
    row.update(
        author=post.author.handle,
        author_name=post.author.display_name,
        author_followers=post.author.followers,
        hashtags=" ".join(post.hashtags),
        mentions=" ".join(post.mentions),
        links=" ".join(post.links),
    )
    row.update(data["metrics"])
    return row
