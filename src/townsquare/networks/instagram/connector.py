"""Instagram business accounts through the Instagram Graph API (on graph.facebook.com, with the linked Page's
token): comments on the account's media and media that tag it in; replies, posts and metrics out.

Like Facebook, Graph has nothing to poll for "what is new", so a run reads the account's media of the last
FEED_DAYS days with their comments (all of their pages: Graph does not promise an order) and the replies under
each, and reads /tags back to the newest item stored. The cursor is `{"newest": timestamp of the newest item
stored}`; items of that same second come again and de-duplication absorbs them.

With the channel option `messages=on` (the linked Page's token needs the instagram_manage_messages
permission) a run also reads the account's direct messages through its Page (Graph's conversations with
platform=instagram, as Facebook reads Messenger), stored as direct messages under the same cursor, and a reply
to a message (its id is not a number, unlike a comment's) is sent privately through the Send API. As on
Messenger, the account may answer only within 24 hours of the person's last message; later, Instagram refuses
and the reply says so.
"""

from __future__ import annotations

from collections.abc import Sequence
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
    private_reply,
)
from townsquare.networks.instagram.mapping import (
    MEDIA_FIELDS,
    OWN_MEDIA_FIELDS,
    comment_to_record,
    media_to_record,
    message_to_record,
)
from townsquare.posts.normalise import PostRecord

FEED_DAYS = 14
# A carousel holds at most 10 images.
MAX_IMAGES = 10
WHAT = "the Instagram Graph API"
# The Page the stored token belongs to (a Page token's "me"): Instagram's messages are read and sent through
# the Page linked to the account.
PAGE = "me"


class InstagramConnector(Connector):
    kind = "instagram"
    # No like or share: the API offers neither for other people's posts.
    capabilities = frozenset({"fetch_mentions", "publish", "reply", "metrics"})
    sync_interval = 600

    def _graph(self, channel, credentials: dict[str, str]) -> tuple[Graph, str]:
        account = (channel.options or {}).get("ig_user_id")
        token = credentials.get("access_token")
        if not account or not token:
            raise ConnectorError(
                "the channel has no Instagram account id or access token: add it again with "
                "--option ig_user_id=... and --token PAGE_ACCESS_TOKEN",
                permanent=True,
            )
        return Graph(token, what=WHAT), account

    def fetch(self, *, channel, credentials: dict[str, str], cursor: dict[str, Any]) -> FetchResult:
        graph, account = self._graph(channel, credentials)
        newest = graph_time(cursor["newest"]) if cursor.get("newest") else None
        since = datetime.now(UTC) - timedelta(days=FEED_DAYS)
        records: list[PostRecord] = []
        try:
            own = {"fields": OWN_MEDIA_FIELDS, "limit": PAGE_SIZE}
            pages = 1 if newest is None else MAX_PAGES
            for media in graph.items(graph.get(f"{account}/media", own), pages=pages):
                if graph_time(media["timestamp"]) < since:
                    break
                if _fresh(media, newest):
                    records.append(media_to_record(media, kind="media"))
                for comment in graph.items(media.get("comments") or {}, pages=MAX_PAGES):
                    replies = graph.items(comment.get("replies") or {}, pages=MAX_PAGES)
                    for item in (comment, *({**reply, "parent_id": comment["id"]} for reply in replies)):
                        if _fresh(item, newest):
                            records.append(comment_to_record(item, media_id=media["id"]))
            tags = {"fields": MEDIA_FIELDS, "limit": PAGE_SIZE}
            for media in graph.items(graph.get(f"{account}/tags", tags), pages=pages):
                if not _fresh(media, newest):
                    break
                records.append(media_to_record(media, kind="tagged"))
            if messages_on(channel):
                messages = conversation_messages(graph, PAGE, platform="instagram", newest=newest)
                records.extend(message_to_record(item, account_id=account, handle=channel.handle) for item in messages)
        except (KeyError, TypeError, ValueError) as error:
            raise ConnectorError(f"{WHAT} sent an answer Townsquare cannot read; will try again later") from error
        top = max((record.created_at for record in records), default=newest)
        return FetchResult(records=records, cursor={"newest": top.isoformat()} if top else dict(cursor))

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
        graph, account = self._graph(channel, credentials)
        # Graph has no idempotency key: a publish retried after a lost answer can post twice.
        if in_reply_to and not in_reply_to.isdigit():
            # A message (comment ids are numbers; message ids are base64 text): answered privately.
            if media:
                raise ReplyRefused("Townsquare cannot attach images to an Instagram private message yet")
            sent = private_reply(graph, PAGE, own_id=account, text=text, in_reply_to=in_reply_to)
            return PublishResult(external_id=sent)
        if in_reply_to:
            if media:
                raise ConnectorError("an Instagram reply cannot carry an image", permanent=True)
            # Townsquare replies to comments; a reply names the comment it answers.
            made = graph.create(f"{in_reply_to}/replies", {"message": text}, gone="the comment being replied to")
            return PublishResult(external_id=made)
        if not media or len(media) > MAX_IMAGES:
            raise ConnectorError(f"an Instagram post needs 1 to {MAX_IMAGES} images", permanent=True)
        missing = [item.filename or "an image" for item in media if not item.url]
        if missing:
            raise ConnectorError(
                "Instagram fetches images from a public address: no URL for " + ", ".join(missing), permanent=True
            )
        # Two steps: a container (one per image, then a carousel holding them), then media_publish.
        if len(media) == 1:
            container = self._container(graph, account, media[0], caption=text)
        else:
            children = [self._container(graph, account, item, carousel=True) for item in media]
            data = {"media_type": "CAROUSEL", "children": ",".join(children), "caption": text}
            container = graph.create(f"{account}/media", data)
        made = graph.create(f"{account}/media_publish", {"creation_id": container})
        try:
            url = graph.get(made, {"fields": "permalink"}).get("permalink") or ""
        except ConnectorError:
            # The post is made; failing here would have it published again.
            url = ""
        return PublishResult(external_id=made, url=url)

    def _container(
        self, graph: Graph, account: str, item: MediaItem, *, caption: str = "", carousel: bool = False
    ) -> str:
        data = {"image_url": item.url, "alt_text": item.alt_text}
        if carousel:
            data["is_carousel_item"] = "true"
        else:
            data["caption"] = caption
        return graph.create(f"{account}/media", data)

    def fetch_metrics(self, *, channel, credentials: dict[str, str], external_ids: Sequence[str]) -> AccountMetrics:
        graph, account = self._graph(channel, credentials)
        me = graph.get(account, {"fields": "followers_count,media_count"})
        posts: dict[str, dict[str, int]] = {}
        for external_id in external_ids:
            try:
                media = graph.get(external_id, {"fields": "like_count,comments_count"}, gone="a post")
            except PostGone:
                continue
            posts[external_id] = {"likes": media.get("like_count", 0), "replies": media.get("comments_count", 0)}
        return AccountMetrics(followers=me.get("followers_count"), posts=posts)


def _fresh(item: dict[str, Any], newest: datetime | None) -> bool:
    return newest is None or graph_time(item["timestamp"]) >= newest
