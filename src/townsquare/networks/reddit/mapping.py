"""Reddit things to normalised posts: inbox comments (t1), found by search submissions (t3), and private messages
(t4) as direct messages."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from townsquare.posts.normalise import AuthorRecord, PostRecord

USER = re.compile(r"(?<![\w/])/?u/([\w-]{3,20})")
MARKDOWN_LINK = re.compile(r"\]\((https?://[^)\s]+)\)|(?<![(\[])(https?://[^\s)\]]+)")
DELETED = AuthorRecord(external_id="[deleted]", handle="[deleted]")
# Fullnames of private messages; an answer to one goes privately.
MESSAGE_PREFIX = "t4_"


def comment_to_record(comment: Any) -> PostRecord:
    """One comment. Ids are fullnames (t1_..., t3_...), so a reply's parent_id names its parent directly."""
    body = comment.body or ""
    created = float(comment.created_utc)
    return PostRecord(
        network="reddit",
        external_id=comment.name,
        author=_author(comment.author),
        created_at=datetime.fromtimestamp(created, tz=UTC),
        text=body,
        url=f"https://www.reddit.com{comment.context}" if getattr(comment, "context", "") else "",
        in_reply_to=comment.parent_id or "",
        mentions=_mentions(body),
        links=_links(body),
        extra={
            "created_utc": created,
            "subreddit": str(comment.subreddit),
            "thread": getattr(comment, "link_title", "") or "",
            "reason": getattr(comment, "type", "") or "",
        },
    )


def submission_to_record(submission: Any) -> PostRecord:
    """One submission: its title, and its selftext as the text; a link post's address is among its links."""
    title, body = submission.title or "", submission.selftext or ""
    created = float(submission.created_utc)
    link = "" if submission.is_self else submission.url
    links = _links(body)
    return PostRecord(
        network="reddit",
        external_id=submission.name,
        author=_author(submission.author),
        created_at=datetime.fromtimestamp(created, tz=UTC),
        title=title,
        text=body,
        url=f"https://www.reddit.com{submission.permalink}",
        mentions=_mentions(f"{title}\n{body}"),
        links=[link, *links] if link and link not in links else links,
        # A score is net votes and can fall below zero; a post voted down has no likes to count.
        metrics={"likes": max(submission.score, 0), "replies": submission.num_comments},
        extra={"created_utc": created, "subreddit": str(submission.subreddit), "reason": "search"},
    )


def message_to_record(message: Any, *, channel_handle: str) -> PostRecord:
    """A private message as docs/inbox.md has them: the person's carry `direct_to` = the channel's handle, the
    account's own the person's name (`dest`). The subject is the title; `thread` names the conversation's first
    message."""
    body = message.body or ""
    created = float(message.created_utc)
    own = message.author.name.lower() == channel_handle.removeprefix("u/").lower()
    return PostRecord(
        network="reddit",
        external_id=message.name,
        author=_author(message.author),
        created_at=datetime.fromtimestamp(created, tz=UTC),
        title=message.subject or "",
        text=body,
        url=f"https://www.reddit.com/message/messages/{message.id}",
        mentions=_mentions(body),
        links=_links(body),
        extra={
            "kind": "message",
            "direct_to": str(message.dest) if own else channel_handle,
            "created_utc": created,
            "thread": getattr(message, "first_message_name", None) or message.name,
        },
    )


def _author(author: Any) -> AuthorRecord:
    if not author:
        return DELETED
    return AuthorRecord(
        external_id=author.name, handle=author.name, profile_url=f"https://www.reddit.com/user/{author.name}"
    )


def _mentions(text: str) -> list[str]:
    return [name.lower() for name in USER.findall(text)]


def _links(text: str) -> list[str]:
    return [first or second for first, second in MARKDOWN_LINK.findall(text)]
