"""Reddit inbox items (comments, as the API's t1 things) to normalised posts."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from townsquare.posts.normalise import AuthorRecord, PostRecord

USER = re.compile(r"(?<![\w/])/?u/([\w-]{3,20})")
MARKDOWN_LINK = re.compile(r"\]\((https?://[^)\s]+)\)|(?<![(\[])(https?://[^\s)\]]+)")
DELETED = AuthorRecord(external_id="[deleted]", handle="[deleted]")


def comment_to_record(comment: Any) -> PostRecord:
    """One comment. Ids are fullnames (t1_..., t3_...), so a reply's parent_id names its parent directly."""
    author = comment.author
    body = comment.body or ""
    created = float(comment.created_utc)
    return PostRecord(
        network="reddit",
        external_id=comment.name,
        author=AuthorRecord(
            external_id=author.name, handle=author.name, profile_url=f"https://www.reddit.com/user/{author.name}"
        )
        if author
        else DELETED,
        created_at=datetime.fromtimestamp(created, tz=UTC),
        text=body,
        url=f"https://www.reddit.com{comment.context}" if getattr(comment, "context", "") else "",
        in_reply_to=comment.parent_id or "",
        mentions=[name.lower() for name in USER.findall(body)],
        links=[first or second for first, second in MARKDOWN_LINK.findall(body)],
        extra={
            "created_utc": created,
            "subreddit": str(comment.subreddit),
            "thread": getattr(comment, "link_title", "") or "",
            "reason": getattr(comment, "type", "") or "",
        },
    )
