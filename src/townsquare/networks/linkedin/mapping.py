"""LinkedIn posts and comments (as the Posts and Social Actions APIs document them) to normalised posts."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from townsquare.posts.normalise import HASHTAG, LINK, AuthorRecord, PostRecord

# LinkedIn's "little text" format: hashtags as {hashtag|\#|bins}, mentions as @[Name](urn:li:...), and these
# characters escaped with a backslash everywhere else.
RESERVED = set("|{}@[]()<>#\\*_~")
HASHTAG_MARKUP = re.compile(r"\{hashtag\|\\?#\|([^}]*)\}")
MENTION_MARKUP = re.compile(r"@\[([^\]]*)\]\((urn:li:[^)]*)\)")
ESCAPED = re.compile(r"\\(.)")


def from_little_text(text: str) -> str:
    """What people read: hashtags as #tag, mentions as @Name, escapes undone."""
    text = HASHTAG_MARKUP.sub(lambda match: "#" + ESCAPED.sub(r"\1", match.group(1)), text)
    text = MENTION_MARKUP.sub(lambda match: "@" + ESCAPED.sub(r"\1", match.group(1)), text)
    return ESCAPED.sub(r"\1", text)


def to_little_text(text: str) -> str:
    """Plain text as commentary: #tags stay live hashtags, every other reserved character is escaped."""
    parts = []
    for index, piece in enumerate(HASHTAG.split(text)):
        # re.split with one group alternates text and the tags it matched.
        if index % 2:
            parts.append(f"{{hashtag|\\#|{piece}}}")
        else:
            parts.append("".join(f"\\{char}" if char in RESERVED else char for char in piece))
    return "".join(parts)


def _author(urn: str) -> AuthorRecord:
    # The API names people and organisations by URN only; their names need other permissions.
    return AuthorRecord(external_id=urn, handle=urn.rsplit(":", 1)[-1])


def _record(
    urn: str, *, author: str, created_ms: int, text: str, in_reply_to: str, metrics: dict, kind: str, url: str
) -> PostRecord:
    return PostRecord(
        network="linkedin",
        external_id=urn,
        author=_author(author),
        created_at=datetime.fromtimestamp(created_ms / 1000, tz=UTC),
        text=text,
        url=url,
        in_reply_to=in_reply_to,
        hashtags=[tag.lower() for tag in HASHTAG.findall(text)],
        links=LINK.findall(text),
        metrics=metrics,
        extra={"kind": kind, "created_ms": created_ms},
    )


def post_to_record(post: dict[str, Any]) -> PostRecord:
    return _record(
        post["id"],
        author=post["author"],
        created_ms=post["createdAt"],
        text=from_little_text(post.get("commentary") or ""),
        in_reply_to="",
        metrics={},
        kind="post",
        url=f"https://www.linkedin.com/feed/update/{post['id']}/",
    )


def comment_to_record(comment: dict[str, Any], *, post_id: str) -> PostRecord:
    """A comment (plain text, not little text) answers its parent comment, or else the post."""
    counts = comment.get("likesSummary") or {}
    return _record(
        comment["commentUrn"],
        author=comment["actor"],
        created_ms=comment["created"]["time"],
        text=(comment.get("message") or {}).get("text") or "",
        in_reply_to=comment.get("parentComment") or post_id,
        metrics={
            "likes": counts.get("totalLikes"),
            "replies": (comment.get("commentsSummary") or {}).get("aggregatedTotalComments"),
        },
        kind="comment",
        url=f"https://www.linkedin.com/feed/update/{post_id}/",
    )
