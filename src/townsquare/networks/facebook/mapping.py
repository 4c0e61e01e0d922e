"""Facebook Page posts and comments (as the Graph API documents them) to normalised posts; Messenger and
Instagram messages to direct messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from townsquare.posts.normalise import HASHTAG, LINK, MENTION, UNKNOWN_AUTHOR, AuthorRecord, PostRecord, parse_datetime

COMMENT_FIELDS = (
    "id,message,created_time,from{id,name},parent{id},permalink_url,like_count,comment_count,"
    "attachment{type,url,media{image{src}},description}"
)
TAGGED_FIELDS = (
    "id,message,created_time,updated_time,permalink_url,from{id,name},"
    "attachments{media_type,url,media{image{src}},description},shares"
)
# Comments come with their post, newest first; `stream` includes replies to comments, with their parent.
POST_FIELDS = f"{TAGGED_FIELDS},comments.filter(stream).order(reverse_chronological).limit(50){{{COMMENT_FIELDS}}}"
MEDIA_TYPES = {
    "photo": "image",
    "album": "image",
    "video_inline": "video",
    "video": "video",
    "animated_image_share": "video",
}


def _author(who: dict[str, Any] | None) -> AuthorRecord:
    # Without the pages_read_user_content permission Graph leaves out who wrote a visitor's comment.
    if not who or not who.get("id"):
        return UNKNOWN_AUTHOR
    return AuthorRecord(
        external_id=who["id"],
        handle=who["id"],
        display_name=who.get("name") or "",
        profile_url=f"https://www.facebook.com/{who['id']}",
    )


def _media(attachments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "type": MEDIA_TYPES.get(item.get("media_type") or item.get("type") or "", "other"),
            "url": item["media"]["image"]["src"],
            "alt": item.get("description") or "",
        }
        for item in attachments
        if ((item.get("media") or {}).get("image") or {}).get("src")
    ]


def _record(
    item: dict[str, Any], *, in_reply_to: str, media: list[dict[str, Any]], metrics: dict, kind: str
) -> PostRecord:
    text = item.get("message") or ""
    return PostRecord(
        network="facebook",
        external_id=item["id"],
        author=_author(item.get("from")),
        created_at=parse_datetime(item["created_time"]),
        text=text,
        url=item.get("permalink_url") or "",
        in_reply_to=in_reply_to,
        hashtags=[tag.lower() for tag in HASHTAG.findall(text)],
        mentions=[handle.lower() for handle in MENTION.findall(text)],
        links=LINK.findall(text),
        media=media,
        metrics=metrics,
        extra={"kind": kind},
    )


def message_to_record(
    message: dict[str, Any],
    *,
    own_id: str,
    own_handle: str,
    network: str = "facebook",
    person: Callable[[dict[str, Any]], AuthorRecord] = _author,
) -> PostRecord:
    """A message between the account (`own_id`: a Page, or an Instagram account through its Page) and a person,
    as a direct message (docs/inbox.md): the person's carry `direct_to` = the channel's handle; the account's
    own are written by the channel's handle and carry the person's handle (`person` makes their identity from
    Graph's `{"id", "name"}` or `{"id", "username"}`)."""
    sender = message.get("from") or {}
    if str(sender.get("id")) == own_id:
        recipients = (message.get("to") or {}).get("data") or []
        people = [who for who in recipients if who.get("id") and str(who["id"]) != own_id]
        if not people:
            raise ValueError(f"the account's message {message.get('id')} names no recipient")
        direct_to = person(people[0]).handle
        author = AuthorRecord(external_id=own_id, handle=own_handle, display_name=sender.get("name") or "")
    else:
        direct_to, author = own_handle, person(sender)
    text = message.get("message") or ""
    return PostRecord(
        network=network,
        external_id=message["id"],
        author=author,
        created_at=parse_datetime(message["created_time"]),
        text=text,
        url="",
        hashtags=[tag.lower() for tag in HASHTAG.findall(text)],
        links=LINK.findall(text),
        extra={"kind": "message", "direct_to": direct_to},
    )


def post_to_record(post: dict[str, Any], *, kind: str = "post") -> PostRecord:
    """A post on the Page's feed, or one that tags the Page (`kind` "tagged")."""
    return _record(
        post,
        in_reply_to="",
        media=_media((post.get("attachments") or {}).get("data") or []),
        metrics={"shares": (post.get("shares") or {}).get("count")},
        kind=kind,
    )


def comment_to_record(comment: dict[str, Any], *, post_id: str) -> PostRecord:
    """A comment answers its parent comment, or else the post it is on."""
    return _record(
        comment,
        in_reply_to=(comment.get("parent") or {}).get("id") or post_id,
        media=_media([comment["attachment"]] if comment.get("attachment") else []),
        metrics={"likes": comment.get("like_count"), "replies": comment.get("comment_count")},
        kind="comment",
    )
