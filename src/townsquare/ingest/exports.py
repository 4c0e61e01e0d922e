"""Readers for the archives people download from networks that Townsquare cannot connect to: the X (Twitter)
archive's tweets.js, Facebook's your_posts_1.json and Instagram's posts_1.json.

Each turns the export into normalised post objects (posts/post.schema.json), one Row per item numbered by its
position in the file (1 = first), or a RowError for an item that cannot be read; the importer then treats them
like JSONL rows. The archives do not name the account that wrote the posts, so the caller passes it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from typing import IO, Any

from townsquare.ingest.readers import Row, RowError

# X archive media types to the normalised ones.
X_MEDIA_TYPES = {"photo": "image", "video": "video", "animated_gif": "video"}


def _load(handle: IO[str], what: str, *, strip_js: bool = False) -> list[Any]:
    text = handle.read()
    if strip_js:
        # tweets.js is `window.YTD.tweets.part0 = [...]`: a script, whose value is JSON.
        prefix, sep, text = text.partition("=")
        if not sep or "window.YTD" not in prefix:
            raise ValueError(f"not an X archive file: expected `window.YTD.tweets.part0 = [...]` ({what})")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"{what}: not valid JSON ({error.msg} at line {error.lineno})") from error
    if not isinstance(data, list):
        raise ValueError(f"{what}: expected a list of posts, found {type(data).__name__}")
    return data


def _rows(items: list[Any], convert: Callable[[dict[str, Any]], dict[str, Any]]) -> Iterator[Row | RowError]:
    for position, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            yield RowError(position, f"expected an object, found {type(item).__name__}")
            continue
        try:
            yield Row(position, convert(item))
        except KeyError as error:
            yield RowError(position, f"cannot read this post: it has no {error} field")
        except (TypeError, ValueError) as error:
            yield RowError(position, f"cannot read this post: {error}")


def _count(value: Any) -> int | None:
    # The X archive writes counts as strings ("12").
    return int(value) if value not in (None, "") else None


def _tweet(item: dict[str, Any], author: str) -> dict[str, Any]:
    tweet = item["tweet"]
    entities = tweet.get("entities") or {}
    text = tweet["full_text"]
    urls = entities.get("urls") or []
    # The archive keeps t.co links in the text; people wrote (and read) the expanded ones.
    for link in urls:
        if link.get("url") and link.get("expanded_url"):
            text = text.replace(link["url"], link["expanded_url"])
    media = (tweet.get("extended_entities") or entities).get("media") or []
    return {
        "network": "twitter",
        "id": tweet["id_str"],
        "author": author or None,
        "created_at": tweet["created_at"],
        "text": text,
        "lang": tweet.get("lang") if tweet.get("lang") not in (None, "und") else None,
        "url": f"https://x.com/{author or 'i/web'}/status/{tweet['id_str']}",
        "in_reply_to": tweet.get("in_reply_to_status_id_str"),
        "hashtags": [tag["text"].lower() for tag in entities.get("hashtags") or []],
        "mentions": [mention["screen_name"].lower() for mention in entities.get("user_mentions") or []],
        "links": [link["expanded_url"] for link in urls if link.get("expanded_url")],
        "media": [
            {"type": X_MEDIA_TYPES.get(entry.get("type"), "other"), "url": entry["media_url_https"]} for entry in media
        ],
        "metrics": {"likes": _count(tweet.get("favorite_count")), "shares": _count(tweet.get("retweet_count"))},
    }


def read_x_archive(handle: IO[str], *, author: str = "") -> Iterator[Row | RowError]:
    items = _load(handle, "tweets.js", strip_js=True)
    return _rows(items, lambda item: _tweet(item, author))


def _repair(text: str) -> str:
    """Facebook and Instagram exports write UTF-8 bytes as if each were a Latin-1 character ("cafÃ©");
    undo that where it applies."""
    try:
        return text.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return text


def _derived_id(*parts: Any) -> str:
    # These exports carry no post id; one derived from what does not change keeps re-imports de-duplicated.
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:24]


def _facebook_post(item: dict[str, Any], author: str) -> dict[str, Any]:
    text = "\n".join(_repair(entry["post"]) for entry in item.get("data") or [] if entry.get("post"))
    media, links = [], []
    for attachment in item.get("attachments") or []:
        for entry in attachment.get("data") or []:
            if "media" in entry:
                media.append({"type": "image", "url": entry["media"]["uri"]})
            if (entry.get("external_context") or {}).get("url"):
                links.append(entry["external_context"]["url"])
    return {
        "network": "facebook",
        "id": _derived_id(item["timestamp"], text, [entry["url"] for entry in media]),
        "author": author or None,
        "created_at": item["timestamp"],
        "text": text,
        # e.g. "Northfield Council shared a link.": what the post was, not a title of it.
        "extra": {"activity": _repair(item["title"])} if item.get("title") else {},
        "links": links,
        "media": media,
    }


def read_facebook(handle: IO[str], *, author: str = "") -> Iterator[Row | RowError]:
    return _rows(_load(handle, "your_posts_1.json"), lambda item: _facebook_post(item, author))


def _instagram_post(item: dict[str, Any], author: str) -> dict[str, Any]:
    media = item["media"]
    if not media:
        raise ValueError("it has no media")
    # A single photo keeps its caption on the media; an album keeps it on the post.
    caption = _repair(item.get("title") or media[0].get("title") or "")
    return {
        "network": "instagram",
        "id": _derived_id(media[0]["uri"]),
        "author": author or None,
        "created_at": item.get("creation_timestamp") or media[0]["creation_timestamp"],
        "text": caption,
        "media": [
            {"type": "video" if entry["uri"].endswith(".mp4") else "image", "url": entry["uri"]} for entry in media
        ],
    }


def read_instagram(handle: IO[str], *, author: str = "") -> Iterator[Row | RowError]:
    return _rows(_load(handle, "posts_1.json"), lambda item: _instagram_post(item, author))


EXPORT_READERS: dict[str, Callable[..., Iterator[Row | RowError]]] = {
    "x-archive": read_x_archive,
    "facebook": read_facebook,
    "instagram": read_instagram,
}
