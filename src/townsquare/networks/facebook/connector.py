"""Facebook Pages through the Graph API: comments on the Page's posts, visitors' posts and posts that tag the
Page in; posts, replies and likes out; followers and each post's counts.

Graph has no feed of "what is new for this Page" to poll (that is what its webhooks are for), so a run reads
the Page's posts of the last FEED_DAYS days with their newest comments, follows a post's comment pages while
they are all new, and reads /tagged back to the newest item stored. The cursor is `{"newest": created_time of
the newest item stored}`; items of that same second come again and de-duplication absorbs them.

With the channel option `messages=on` (the Page token needs the pages_messaging permission) a run also reads
the Page's Messenger conversations updated since the cursor, their messages stored as direct messages, and a
reply to a message (its id starts "m_") is sent privately through the Send API. A Page may answer only within
24 hours of the person's last message; later, Facebook refuses and the reply says so.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from townsquare.networks.base import (
    AccountMetrics,
    Connector,
    ConnectorError,
    FetchResult,
    MediaItem,
    PostGone,
    PublishResult,
    ReplyRefused,
    messages_on,
)
from townsquare.networks.facebook.graph import (
    MAX_PAGES,
    PAGE_SIZE,
    Graph,
    conversation_messages,
    graph_time,
    newer,
    private_reply,
)
from townsquare.networks.facebook.mapping import (
    POST_FIELDS,
    TAGGED_FIELDS,
    comment_to_record,
    message_to_record,
    post_to_record,
)
from townsquare.posts.normalise import PostRecord

# Comments arrive mostly in a post's first days; older posts are not read for new comments.
FEED_DAYS = 14
WHAT = "the Facebook Graph API"
# Messenger message ids ("m_..."); post and comment ids are numbers joined by "_".
MESSAGE_PREFIX = "m_"


class FacebookConnector(Connector):
    kind = "facebook"
    capabilities = frozenset({"fetch_mentions", "publish", "reply", "like", "metrics"})
    sync_interval = 600

    def _graph(self, channel, credentials: dict[str, str]) -> tuple[Graph, str]:
        page_id = (channel.options or {}).get("page_id")
        token = credentials.get("access_token")
        if not page_id or not token:
            raise ConnectorError(
                "the channel has no Page id or Page access token: set the Page id in the channel's Details and "
                "sign in (or store a Page token)",
                permanent=True,
            )
        return Graph(token, what=WHAT), page_id

    def fetch(self, *, channel, credentials: dict[str, str], cursor: dict[str, Any]) -> FetchResult:
        graph, page_id = self._graph(channel, credentials)
        newest = graph_time(cursor["newest"]) if cursor.get("newest") else None
        records: list[PostRecord] = []
        try:
            for post in self._recent(graph, f"{page_id}/feed", first_run=newest is None):
                if newest is None or graph_time(post["created_time"]) >= newest:
                    records.append(post_to_record(post))
                records.extend(self._comments(graph, post, newest))
            tagged = {"fields": TAGGED_FIELDS, "limit": PAGE_SIZE}
            pages = 1 if newest is None else MAX_PAGES
            for post in graph.items(graph.get(f"{page_id}/tagged", tagged), pages=pages):
                if newest is not None and graph_time(post["created_time"]) < newest:
                    break
                records.append(post_to_record(post, kind="tagged"))
            if messages_on(channel):
                messages = conversation_messages(graph, page_id, platform="messenger", newest=newest)
                records.extend(message_to_record(item, own_id=page_id, own_handle=channel.handle) for item in messages)
        except (KeyError, TypeError, ValueError) as error:
            raise ConnectorError(f"{WHAT} sent an answer Townsquare cannot read; will try again later") from error
        # One identity for the Page: its comments and posts name it by id, its messages by the channel's handle
        # (which routing needs to tell our messages from the person's); the last one stored would win.
        records = [_as_channel(record, page_id, channel.handle) for record in records]
        top = max((record.created_at for record in records), default=newest)
        return FetchResult(records=records, cursor={"newest": top.isoformat()} if top else dict(cursor))

    def _recent(self, graph: Graph, path: str, *, first_run: bool) -> Iterator[dict[str, Any]]:
        """The Page's posts, newest first, back to FEED_DAYS ago (a new channel: the newest page only)."""
        since = datetime.now(UTC) - timedelta(days=FEED_DAYS)
        params = {"fields": POST_FIELDS, "limit": PAGE_SIZE}
        for post in graph.items(graph.get(path, params), pages=1 if first_run else MAX_PAGES):
            if graph_time(post["created_time"]) < since:
                return
            yield post

    def _comments(self, graph: Graph, post: dict[str, Any], newest: datetime | None) -> list[PostRecord]:
        """The post's comments newer than `newest`; further pages only while a whole page is new."""
        return [comment_to_record(item, post_id=post["id"]) for item in newer(graph, post.get("comments"), newest)]

    def publish(
        self,
        *,
        channel,
        credentials: dict[str, str],
        text: str,
        idempotency_key: str,
        in_reply_to: str | None = None,
        media: Sequence[MediaItem] = (),
    ) -> PublishResult:
        graph, page_id = self._graph(channel, credentials)
        # Graph has no idempotency key: a publish retried after a lost answer can post twice.
        if in_reply_to and in_reply_to.startswith(MESSAGE_PREFIX):
            if media:
                raise ReplyRefused("Townsquare cannot attach images to a Facebook private message yet")
            sent = private_reply(graph, page_id, own_id=page_id, text=text, in_reply_to=in_reply_to)
            return PublishResult(external_id=sent, url="")
        if in_reply_to:
            if len(media) > 1:
                raise ConnectorError("a Facebook comment takes at most one image", permanent=True)
            data = {"message": text}
            if media:
                data["attachment_id"] = self._upload(graph, page_id, media[0])
            made = graph.create(f"{in_reply_to}/comments", data, gone="the post or comment being replied to")
            return PublishResult(external_id=made, url=f"https://www.facebook.com/{made}")
        data = {"message": text}
        for number, item in enumerate(media):
            data[f"attached_media[{number}]"] = f'{{"media_fbid": "{self._upload(graph, page_id, item)}"}}'
        made = graph.create(f"{page_id}/feed", data)
        return PublishResult(external_id=made, url=f"https://www.facebook.com/{made}")

    def _upload(self, graph: Graph, page_id: str, item: MediaItem) -> str:
        """An unpublished photo with its alt text, to attach to the post or comment that follows."""
        files = {"source": (item.filename or "image", item.data, item.mime_type)}
        data = {"published": "false", "alt_text_custom": item.alt_text}
        return graph.create(f"{page_id}/photos", data, files=files)

    def like(self, *, channel, credentials: dict[str, str], external_id: str) -> None:
        graph, _ = self._graph(channel, credentials)
        graph.post(f"{external_id}/likes", {}, gone="the post being liked")

    def fetch_metrics(self, *, channel, credentials: dict[str, str], external_ids: Sequence[str]) -> AccountMetrics:
        graph, page_id = self._graph(channel, credentials)
        page = graph.get(page_id, {"fields": "followers_count,fan_count"})
        posts: dict[str, dict[str, int]] = {}
        fields = "reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0),shares"
        for start in range(0, len(external_ids), 50):
            batch = list(external_ids[start : start + 50])
            try:
                found = graph.get("", {"ids": ",".join(batch), "fields": fields}, gone="a post")
            except PostGone:
                # One deleted post fails the whole batch: ask for each, leaving out the deleted ones.
                found = {}
                for post_id in batch:
                    try:
                        found[post_id] = graph.get(post_id, {"fields": fields}, gone="a post")
                    except PostGone:
                        continue
            for post_id, post in found.items():
                posts[post_id] = {
                    "likes": ((post.get("reactions") or {}).get("summary") or {}).get("total_count", 0),
                    "replies": ((post.get("comments") or {}).get("summary") or {}).get("total_count", 0),
                    "shares": (post.get("shares") or {}).get("count", 0),
                }
        return AccountMetrics(followers=page.get("followers_count", page.get("fan_count")), posts=posts)


def _as_channel(record: PostRecord, page_id: str, handle: str) -> PostRecord:
    if record.author.external_id != page_id or record.author.handle == handle:
        return record
    return replace(record, author=replace(record.author, handle=handle))
