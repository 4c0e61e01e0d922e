"""Instagram media, comments and direct messages (as the Instagram Graph API documents them) to normalised
posts."""

from __future__ import annotations

import re
from typing import Any

from townsquare.networks.facebook.mapping import message_to_record as graph_message_to_record
from townsquare.posts.normalise import HASHTAG, LINK, AuthorRecord, PostRecord, parse_datetime

# Instagram usernames may hold dots (but not end with one), which the general pattern stops at.
MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9_.]*[A-Za-z0-9_])")

MEDIA_FIELDS = "id,caption,media_type,media_url,thumbnail_url,permalink,timestamp,username,like_count,comments_count"
REPLY_FIELDS = "id,text,timestamp,username,from{id,username},like_count,parent_id"
COMMENT_FIELDS = f"{REPLY_FIELDS},replies{{{REPLY_FIELDS}}}"
# The account's own media with their comments (and the replies under each comment).
OWN_MEDIA_FIELDS = f"{MEDIA_FIELDS},comments.limit(50){{{COMMENT_FIELDS}}}"
MEDIA_TYPES = {"IMAGE": "image", "CAROUSEL_ALBUM": "image", "VIDEO": "video", "REELS": "video"}


def _author(item: dict[str, Any]) -> AuthorRecord:
    who = item.get("from") or {}
    username = who.get("username") or item.get("username") or "unknown"
    return AuthorRecord(
        external_id=who.get("id") or username,
        handle=username,
        profile_url=f"https://www.instagram.com/{username}/" if username != "unknown" else "",
    )


def _text_fields(text: str) -> dict[str, Any]:
    return {
        "text": text,
        "hashtags": [tag.lower() for tag in HASHTAG.findall(text)],
        "mentions": [handle.lower() for handle in MENTION.findall(text)],
        "links": LINK.findall(text),
    }


def media_to_record(media: dict[str, Any], *, kind: str) -> PostRecord:
    """A post (`kind` "media" for the account's own, "tagged" for others' that tag it)."""
    url = media.get("media_url") or media.get("thumbnail_url") or ""
    return PostRecord(
        network="instagram",
        external_id=media["id"],
        author=_author(media),
        created_at=parse_datetime(media["timestamp"]),
        url=media.get("permalink") or "",
        media=[{"type": MEDIA_TYPES.get(media.get("media_type") or "", "other"), "url": url, "alt": ""}] if url else [],
        metrics={"likes": media.get("like_count"), "replies": media.get("comments_count")},
        extra={"kind": kind},
        **_text_fields(media.get("caption") or ""),
    )


def comment_to_record(comment: dict[str, Any], *, media_id: str) -> PostRecord:
    """A comment answers its media; a reply (with parent_id) answers its comment."""
    return PostRecord(
        network="instagram",
        external_id=comment["id"],
        author=_author(comment),
        created_at=parse_datetime(comment["timestamp"]),
        in_reply_to=comment.get("parent_id") or media_id,
        metrics={"likes": comment.get("like_count")},
        extra={"kind": "comment", "media_id": media_id},
        **_text_fields(comment.get("text") or ""),
    )


def _person(who: dict[str, Any]) -> AuthorRecord:
    """Someone in a conversation (`{"username", "id"}`, the id Instagram-scoped), known by username as comments'
    authors are, or by id where Graph leaves the username out."""
    username = who.get("username") or ""
    return AuthorRecord(
        external_id=str(who["id"]),
        handle=username or str(who["id"]),
        profile_url=f"https://www.instagram.com/{username}/" if username else "",
    )


def message_to_record(message: dict[str, Any], *, account_id: str, handle: str) -> PostRecord:
    """A direct message between the account and a person, mapped as Messenger's are (docs/inbox.md): the
    person's carry `direct_to` = the channel's handle, the account's own the person's username."""
    return graph_message_to_record(message, own_id=account_id, own_handle=handle, network="instagram", person=_person)
