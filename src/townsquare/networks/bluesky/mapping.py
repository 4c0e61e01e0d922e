"""Bluesky post views (app.bsky.feed.defs#postView, as getPosts returns them) to normalised posts, and the
facets Townsquare adds to what it publishes."""

from __future__ import annotations

import re
from typing import Any

from townsquare.posts.normalise import AuthorRecord, PostRecord, parse_datetime

FACET_LINK = "app.bsky.richtext.facet#link"
FACET_MENTION = "app.bsky.richtext.facet#mention"
FACET_TAG = "app.bsky.richtext.facet#tag"
# Embed views: images alone, or images beside a quoted record.
IMAGES_VIEW = "app.bsky.embed.images#view"
RECORD_VIEWS = {"app.bsky.embed.record#view", "app.bsky.embed.recordWithMedia#view"}

LINK = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)]")
TAG = re.compile(r"(?<![\w#])#([^\d\s#][^\s#]*[^\s#.,;:!?)]|[^\d\s#])")


def web_url(uri: str, handle: str) -> str:
    """at://did/app.bsky.feed.post/rkey -> the bsky.app page people open."""
    rkey = uri.rsplit("/", 1)[-1]
    return f"https://bsky.app/profile/{handle}/post/{rkey}"


def _facets(record: dict[str, Any]) -> tuple[list[str], list[str], list[str]]:
    """Mentions, links and tags from the facets: the text alone does not say which "@x" resolved to an
    account or where a shortened link goes. A mention is kept as the handle written at its byte range."""
    raw = (record.get("text") or "").encode()
    mentions: list[str] = []
    links: list[str] = []
    tags: list[str] = []
    for facet in record.get("facets") or []:
        for feature in facet.get("features") or []:
            kind = feature.get("$type")
            if kind == FACET_MENTION:
                index = facet.get("index") or {}
                written = raw[index.get("byteStart", 0) : index.get("byteEnd", 0)].decode(errors="ignore")
                mentions.append((written.lstrip("@") or feature["did"]).lower())
            elif kind == FACET_LINK:
                links.append(feature["uri"])
            elif kind == FACET_TAG:
                tags.append(feature["tag"].lower())
    return mentions, links, tags


def _media(embed: dict[str, Any] | None) -> tuple[list[dict[str, Any]], str]:
    """Images (full size URL and alt text) and the uri of a quoted post, from the embed view."""
    if not embed:
        return [], ""
    kind = embed.get("$type")
    quoted = ""
    if kind in RECORD_VIEWS:
        inner = embed.get("record") or {}
        # recordWithMedia nests the quoted record one level deeper, beside the media.
        quoted = (inner.get("record") or inner).get("uri") or ""
        embed = embed.get("media") or {}
        kind = embed.get("$type")
    images = embed.get("images") or [] if kind == IMAGES_VIEW else []
    media = [{"type": "image", "url": image.get("fullsize") or "", "alt": image.get("alt") or ""} for image in images]
    return media, quoted


def post_to_record(post: dict[str, Any], *, reason: str = "") -> PostRecord:
    """One post view. The post's at:// uri is its id (replies name their parent by uri, not by cid)."""
    record = post.get("record") or {}
    author = post["author"]
    mentions, links, tags = _facets(record)
    media, quoted = _media(post.get("embed"))
    parent = ((record.get("reply") or {}).get("parent") or {}).get("uri") or ""
    extra: dict[str, Any] = {"cid": post.get("cid") or ""}
    if reason:
        extra["reason"] = reason
    return PostRecord(
        network="bluesky",
        external_id=post["uri"],
        author=AuthorRecord(
            external_id=author["did"],
            handle=author["handle"],
            display_name=author.get("displayName") or "",
            profile_url=f"https://bsky.app/profile/{author['handle']}",
        ),
        created_at=parse_datetime(record.get("createdAt") or post.get("indexedAt")),
        text=record.get("text") or "",
        url=web_url(post["uri"], author["handle"]),
        language=((record.get("langs") or [""])[0]).lower(),
        in_reply_to=parent,
        quoted=quoted,
        hashtags=tags,
        mentions=mentions,
        links=links,
        media=media,
        metrics={
            "replies": post.get("replyCount"),
            "shares": post.get("repostCount"),
            "likes": post.get("likeCount"),
        },
        extra=extra,
    )


def outgoing_facets(text: str) -> list[dict[str, Any]]:
    """Link and tag facets for a post Townsquare publishes; Bluesky shows plain text otherwise. Offsets are
    in UTF-8 bytes, as the lexicon requires."""
    facets = []
    for pattern, make in ((LINK, lambda m: {"$type": FACET_LINK, "uri": m.group(0)}),
                          (TAG, lambda m: {"$type": FACET_TAG, "tag": m.group(1)})):  # fmt: skip
        for match in pattern.finditer(text):
            start = len(text[: match.start()].encode())
            end = start + len(match.group(0).encode())
            facets.append({"index": {"byteStart": start, "byteEnd": end}, "features": [make(match)]})
    return facets


# Where the Bluesky app serves a blob as a full-size image (the firehose carries only the blob's CID).
CDN_FULLSIZE = "https://cdn.bsky.app/img/feed_fullsize/plain/{did}/{cid}@jpeg"


def _embed_view(did: str, embed: dict[str, Any] | None) -> dict[str, Any] | None:
    """A record's embed in the view shape `_media` reads: images by their CDN address, a quote by its uri."""
    if not embed:
        return None
    kind = embed.get("$type")
    if kind == "app.bsky.embed.images":
        images = [
            {
                "fullsize": CDN_FULLSIZE.format(
                    did=did, cid=((image.get("image") or {}).get("ref") or {}).get("$link")
                ),
                "alt": image.get("alt") or "",
            }
            for image in embed.get("images") or []
        ]
        return {"$type": IMAGES_VIEW, "images": images}
    if kind == "app.bsky.embed.record":
        return {"$type": "app.bsky.embed.record#view", "record": {"uri": (embed.get("record") or {}).get("uri")}}
    if kind == "app.bsky.embed.recordWithMedia":
        quoted = ((embed.get("record") or {}).get("record") or {}).get("uri")
        return {
            "$type": "app.bsky.embed.recordWithMedia#view",
            "record": {"record": {"uri": quoted}},
            "media": _embed_view(did, embed.get("media")) or {},
        }
    return None


def _blob_cid(blob: dict[str, Any] | None) -> str:
    return ((blob or {}).get("ref") or {}).get("$link") or ""


def commit_to_record(*, did: str, rkey: str, cid: str, record: dict[str, Any], indexed_at: str) -> PostRecord:
    """A post as the firehose (Jetstream) carries it: the record alone, no handle and no counts. The author
    is known by DID (bsky.app opens profiles by DID too)."""
    view = {
        "uri": f"at://{did}/app.bsky.feed.post/{rkey}",
        "cid": cid,
        "author": {"did": did, "handle": did},
        "record": record,
        "embed": _embed_view(did, record.get("embed")),
        "indexedAt": indexed_at,
    }
    return post_to_record(view, reason="firehose")


MESSAGE_VIEW = "chat.bsky.convo.defs#messageView"


def chat_id(convo_id: str, message_id: str) -> str:
    """A chat message's stored id: its conversation and its id there, so an answer knows where to go."""
    return f"chat/{convo_id}/{message_id}"


def message_to_record(message: dict[str, Any], *, convo: dict[str, Any], own_did: str, own_handle: str) -> PostRecord:
    """A chat message (chat.bsky.convo.defs#messageView) as a direct message (docs/inbox.md): the person's carry
    `direct_to` = the channel's handle, the channel's own carry the person's handle."""
    members = {member["did"]: member for member in convo.get("members") or []}
    others = [member for did, member in members.items() if did != own_did]
    sender = members.get(message["sender"]["did"]) or {"did": message["sender"]["did"], "handle": ""}
    if sender["did"] == own_did:
        if not others:
            raise ValueError(f"chat conversation {convo.get('id')} has no other member")
        author = AuthorRecord(external_id=own_did, handle=own_handle, display_name=sender.get("displayName") or "")
        direct_to = others[0]["handle"]
    else:
        if not sender["handle"]:
            raise ValueError(f"chat message {message.get('id')} is from someone not in its conversation")
        author = AuthorRecord(
            external_id=sender["did"],
            handle=sender["handle"],
            display_name=sender.get("displayName") or "",
            profile_url=f"https://bsky.app/profile/{sender['handle']}",
        )
        direct_to = own_handle
    text = message.get("text") or ""
    return PostRecord(
        network="bluesky",
        external_id=chat_id(convo["id"], message["id"]),
        author=author,
        created_at=parse_datetime(message["sentAt"]),
        text=text,
        links=LINK.findall(text),
        extra={"kind": "message", "direct_to": direct_to.lower()},
    )
