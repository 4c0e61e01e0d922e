"""YouTube comment threads (youtube#commentThread, as commentThreads.list returns them) to normalised posts."""

from __future__ import annotations

from typing import Any

from townsquare.posts.normalise import HASHTAG, LINK, MENTION, AuthorRecord, PostRecord, parse_datetime


def thread_to_record(thread: dict[str, Any]) -> PostRecord:
    """The thread's top-level comment; it answers the video, so the video id is its in_reply_to."""
    comment = thread["snippet"]["topLevelComment"]
    snippet = comment["snippet"]
    video = snippet.get("videoId") or thread["snippet"].get("videoId") or ""
    text = snippet.get("textOriginal") or snippet.get("textDisplay") or ""
    author_id = (snippet.get("authorChannelId") or {}).get("value") or snippet.get("authorDisplayName") or ""
    return PostRecord(
        network="youtube",
        external_id=comment["id"],
        author=AuthorRecord(
            external_id=author_id,
            handle=(snippet.get("authorDisplayName") or author_id).lstrip("@"),
            display_name=snippet.get("authorDisplayName") or "",
            profile_url=snippet.get("authorChannelUrl") or "",
        ),
        created_at=parse_datetime(snippet["publishedAt"]),
        text=text,
        url=f"https://www.youtube.com/watch?v={video}&lc={comment['id']}" if video else "",
        in_reply_to=video,
        # YouTube marks nothing up in a comment; tags, handles and links are read from the text.
        hashtags=[tag.lower() for tag in HASHTAG.findall(text)],
        mentions=[handle.lower() for handle in MENTION.findall(text)],
        links=LINK.findall(text),
        metrics={"likes": snippet.get("likeCount"), "replies": thread["snippet"].get("totalReplyCount")},
        extra={"video_id": video, "updated_at": snippet.get("updatedAt") or ""},
    )
