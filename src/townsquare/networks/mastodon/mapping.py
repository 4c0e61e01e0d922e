"""Mastodon statuses (as the API documents them) to normalised posts."""

from __future__ import annotations

from datetime import datetime
from html.parser import HTMLParser
from typing import Any

from townsquare.posts.normalise import AuthorRecord, PostRecord, parse_datetime

# Mastodon marks the links it generates for mentions and hashtags with these classes.
GENERATED_LINK_CLASSES = {"mention", "hashtag", "u-url"}
# Mastodon's attachment types to the normalised ones.
MEDIA_TYPES = {"image": "image", "gifv": "video", "video": "video", "audio": "audio"}


class _TextAndLinks(HTMLParser):
    """Status HTML to plain text (paragraphs and line breaks kept) and the links a person wrote."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self._hidden_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        classes = set((attributes.get("class") or "").split())
        if tag == "br":
            self.parts.append("\n")
        elif tag == "p" and self.parts:
            self.parts.append("\n\n")
        elif tag == "a" and attributes.get("href") and not classes & GENERATED_LINK_CLASSES:
            self.links.append(attributes["href"] or "")
        # Mastodon shortens long links with invisible spans; the visible text is what people read.
        if tag == "span" and ("invisible" in classes or self._hidden_depth):
            self._hidden_depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "span" and self._hidden_depth:
            self._hidden_depth -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden_depth:
            self.parts.append(data)


def html_to_text(html: str) -> tuple[str, list[str]]:
    parser = _TextAndLinks()
    parser.feed(html or "")
    parser.close()
    return "".join(parser.parts).strip(), parser.links


def _time(value: Any) -> datetime:
    return value if isinstance(value, datetime) else parse_datetime(value)


def _author(account: dict[str, Any]) -> AuthorRecord:
    return AuthorRecord(
        external_id=str(account["id"]),
        handle=account.get("acct") or account.get("username") or str(account["id"]),
        display_name=account.get("display_name") or "",
        followers=account.get("followers_count"),
        profile_url=account.get("url") or "",
    )


def status_to_record(status: dict[str, Any]) -> PostRecord:
    """One status; a reblog becomes a post that shares the original (whose id is kept in `shared`)."""
    original = status.get("reblog")
    body = original or status
    text, links = html_to_text(body.get("content") or "")
    extra: dict[str, Any] = {"uri": status.get("uri") or ""}
    if body.get("spoiler_text"):
        extra["content_warning"] = body["spoiler_text"]
    if body.get("edited_at"):
        extra["edited_at"] = _time(body["edited_at"]).isoformat()
    if body.get("visibility"):
        extra["visibility"] = body["visibility"]
    if body.get("visibility") == "direct":
        # A private message: the inbox threads it by (channel, person). Its recipient is the first account it
        # mentions other than its author (Mastodon delivers a direct status to the accounts it mentions).
        author_id = str(body["account"]["id"])
        recipients = [m["acct"] for m in body.get("mentions") or [] if str(m.get("id")) != author_id]
        if recipients:
            extra["direct_to"] = recipients[0].lower()
    return PostRecord(
        network="mastodon",
        external_id=str(status["id"]),
        author=_author(status["account"]),
        created_at=_time(status["created_at"]),
        text="" if original else text,
        url=status.get("url") or status.get("uri") or "",
        language=(body.get("language") or "").lower(),
        in_reply_to=str(status.get("in_reply_to_id") or ""),
        shared=str(original["id"]) if original else "",
        hashtags=[tag["name"].lower() for tag in body.get("tags") or []],
        mentions=[mention["acct"].lower() for mention in body.get("mentions") or []],
        links=links,
        media=[
            {
                "type": MEDIA_TYPES.get(attachment.get("type") or "", "other"),
                "url": attachment.get("url") or attachment.get("remote_url") or "",
                "alt": attachment.get("description") or "",
            }
            for attachment in body.get("media_attachments") or []
        ],
        metrics={
            "replies": status.get("replies_count"),
            "shares": status.get("reblogs_count"),
            "likes": status.get("favourites_count"),
        },
        extra=extra,
    )
