"""X API v2 tweets and direct message events (the `data` and `includes` of a response, as the API documents
them) to normalised posts."""

from __future__ import annotations

from typing import Any

from townsquare.posts.normalise import HASHTAG, LINK, MENTION, AuthorRecord, PostRecord, parse_datetime

# What a fetch asks for, so that one page carries everything a post needs.
TWEET_FIELDS = [
    "author_id", "conversation_id", "created_at", "edit_history_tweet_ids", "entities", "in_reply_to_user_id",
    "lang", "note_tweet", "public_metrics", "referenced_tweets", "attachments",
]  # fmt: skip
EXPANSIONS = ["author_id", "attachments.media_keys"]
USER_FIELDS = ["name", "username", "public_metrics", "verified", "location", "profile_image_url"]
MEDIA_FIELDS = ["type", "url", "preview_image_url", "alt_text"]
MEDIA_TYPES = {"photo": "image", "animated_gif": "video", "video": "video"}
# referenced_tweets types to the normalised field that names the other post.
REFERENCES = {"replied_to": "in_reply_to", "quoted": "quoted", "retweeted": "shared"}
# What a read of direct messages asks for: each message's sender comes in `includes.users`.
DM_EVENT_FIELDS = ["id", "event_type", "text", "created_at", "sender_id", "dm_conversation_id", "attachments"]
DM_EXPANSIONS = ["sender_id", "attachments.media_keys"]
# Stored ids of direct messages: "dm/<conversation id>/<event id>", so that an answer knows where to go.
DM_PREFIX = "dm/"


def page_to_records(page: dict[str, Any]) -> list[PostRecord]:
    """Every tweet of one response page, with its author and media from `includes`."""
    includes = page.get("includes") or {}
    users = {user["id"]: user for user in includes.get("users") or []}
    media = {item["media_key"]: item for item in includes.get("media") or []}
    return [tweet_to_record(tweet, users=users, media=media) for tweet in page.get("data") or []]


def user_to_author(user: dict[str, Any] | None, author_id: str) -> AuthorRecord:
    """An X user (from `includes.users`), or only their id where X did not include them."""
    if not user:
        return AuthorRecord(external_id=author_id, handle=author_id)
    return AuthorRecord(
        external_id=user["id"],
        handle=user.get("username") or user["id"],
        display_name=user.get("name") or "",
        followers=(user.get("public_metrics") or {}).get("followers_count"),
        verified=bool(user.get("verified")),
        location=user.get("location") or "",
        profile_url=f"https://x.com/{user['username']}" if user.get("username") else "",
    )


def _media(item: dict[str, Any], media: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The images and videos a tweet or a message carries, from `includes.media`."""
    return [
        {
            "type": MEDIA_TYPES.get(found.get("type") or "", "other"),
            "url": found.get("url") or found.get("preview_image_url") or "",
            "alt": found.get("alt_text") or "",
        }
        for key in (item.get("attachments") or {}).get("media_keys") or []
        if (found := media.get(key))
    ]


def tweet_to_record(
    tweet: dict[str, Any], *, users: dict[str, dict[str, Any]], media: dict[str, dict[str, Any]]
) -> PostRecord:
    """One tweet. An edit is a new tweet on X, listed with every earlier version in edit_history_tweet_ids; it is
    kept under the first version's id, so a post edited after it was stored is stored once (as first read)."""
    history = tweet.get("edit_history_tweet_ids") or [tweet["id"]]
    external_id = history[0]
    # Posts longer than 280 characters carry their whole text in note_tweet; `text` is cut short.
    text = (tweet.get("note_tweet") or {}).get("text") or tweet.get("text") or ""
    entities = (tweet.get("note_tweet") or {}).get("entities") or tweet.get("entities") or {}
    links = []
    for link in entities.get("urls") or []:
        expanded = link.get("expanded_url") or ""
        if link.get("url") and expanded:
            # X keeps t.co links in the text; people wrote (and read) the expanded ones. Media links go.
            text = text.replace(link["url"], "" if link.get("media_key") else expanded)
        if expanded and not link.get("media_key"):
            links.append(expanded)
    references = {
        REFERENCES[ref["type"]]: ref["id"]
        for ref in tweet.get("referenced_tweets") or []
        if ref.get("type") in REFERENCES
    }
    metrics = tweet.get("public_metrics") or {}
    author = users.get(tweet.get("author_id") or "")
    username = (author or {}).get("username") or "i"
    extra: dict[str, Any] = {"conversation_id": tweet.get("conversation_id") or ""}
    if len(history) > 1:
        extra["edit_history_tweet_ids"] = history
    if metrics.get("quote_count") is not None:
        extra["quotes"] = metrics["quote_count"]
    return PostRecord(
        network="twitter",
        external_id=external_id,
        author=user_to_author(author, tweet.get("author_id") or ""),
        created_at=parse_datetime(tweet["created_at"]),
        # A retweet's text is "RT @someone: ..." cut short; the post it shares is named in `shared`.
        text="" if "shared" in references else text.strip(),
        url=f"https://x.com/{username}/status/{external_id}",
        # "und" (undetermined) and "zxx" (no text) are X's codes for "no language".
        language="" if tweet.get("lang") in (None, "und", "zxx", "qme", "qht") else tweet["lang"].lower(),
        in_reply_to=references.get("in_reply_to", ""),
        quoted=references.get("quoted", ""),
        shared=references.get("shared", ""),
        hashtags=[tag["tag"].lower() for tag in entities.get("hashtags") or []],
        mentions=[mention["username"].lower() for mention in entities.get("mentions") or []],
        links=links,
        media=_media(tweet, media),
        metrics={
            "replies": metrics.get("reply_count"),
            "shares": metrics.get("retweet_count"),
            "likes": metrics.get("like_count"),
            "views": metrics.get("impression_count"),
        },
        extra=extra,
    )


def message_id(conversation_id: str, event_id: str) -> str:
    return f"{DM_PREFIX}{conversation_id}/{event_id}"


def message_to_record(
    event: dict[str, Any], *, author: AuthorRecord, direct_to: str, media: dict[str, dict[str, Any]]
) -> PostRecord:
    """A direct message (a MessageCreate event) as docs/inbox.md has them: `direct_to` is the channel's handle
    on the person's messages and the person's username on the channel's own."""
    text = event.get("text") or ""
    return PostRecord(
        network="twitter",
        external_id=message_id(event["dm_conversation_id"], event["id"]),
        author=author,
        created_at=parse_datetime(event["created_at"]),
        text=text,
        hashtags=[tag.lower() for tag in HASHTAG.findall(text)],
        mentions=[handle.lower() for handle in MENTION.findall(text)],
        links=LINK.findall(text),
        media=_media(event, media),
        extra={"kind": "message", "direct_to": direct_to},
    )
