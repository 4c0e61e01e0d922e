"""LinkedIn organisation pages through the Community Management API: comments on the organisation's posts in;
posts (with images and alt text), replies and likes out; followers and each post's counts.

As on Facebook there is nothing to poll for "what is new": a run reads the organisation's posts of the last
FEED_DAYS days (`GET /rest/posts?q=author`) and every page of each one's comments
(`/rest/socialActions/{post}/comments`), keeping those at or after the cursor's `{"newest": time in ms}`.
Items of that same millisecond come again and de-duplication absorbs them.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from functools import partial
from typing import Any

from townsquare.networks.base import (
    AccountMetrics,
    Connector,
    ConnectorError,
    FetchResult,
    MediaItem,
    PostGone,
    PublishResult,
)
from townsquare.networks.linkedin.api import LinkedIn, urn_path
from townsquare.networks.linkedin.mapping import comment_to_record, post_to_record, to_little_text
from townsquare.networks.tokens import renewed_access_token
from townsquare.posts.normalise import PostRecord

FEED_DAYS = 14
PAGE_SIZE = 50
MAX_PAGES = 10
# LinkedIn takes at most 20 images in one post.
MAX_IMAGES = 20


class LinkedInConnector(Connector):
    kind = "linkedin"
    capabilities = frozenset({"fetch_mentions", "publish", "reply", "like", "metrics"})
    # Community Management calls are limited per day; every 15 minutes stays well inside.
    sync_interval = 900

    def _api(self, channel, credentials: dict[str, str]) -> tuple[LinkedIn, str]:
        organisation = (channel.options or {}).get("organization_id")
        token = credentials.get("access_token")
        if not organisation or not token:
            raise ConnectorError(
                "the channel has no organisation id or access token: add it again with "
                "--option organization_id=... and --token TOKEN (an admin's, with the organisation scopes)",
                permanent=True,
            )
        # Signed in with a refresh token: an expired access token is renewed once and stored (networks/tokens.py).
        renew = partial(renewed_access_token, channel, credentials) if credentials.get("refresh_token") else None
        return LinkedIn(token, renew), f"urn:li:organization:{organisation}"

    def fetch(self, *, channel, credentials: dict[str, str], cursor: dict[str, Any]) -> FetchResult:
        api, author = self._api(channel, credentials)
        newest = cursor.get("newest")
        since = (time.time() - FEED_DAYS * 86400) * 1000
        records: list[PostRecord] = []
        try:
            posts = {"q": "author", "author": author, "sortBy": "CREATED"}
            for post in _elements(api, "/posts", posts, pages=1 if newest is None else MAX_PAGES):
                if post["createdAt"] < since:
                    break
                if newest is None or post["createdAt"] >= newest:
                    records.append(post_to_record(post))
                for comment in _elements(api, f"/socialActions/{urn_path(post['id'])}/comments", {}, pages=MAX_PAGES):
                    if newest is None or comment["created"]["time"] >= newest:
                        records.append(comment_to_record(comment, post_id=post["id"]))
        except (KeyError, TypeError, ValueError) as error:
            raise ConnectorError(
                "the LinkedIn API sent an answer Townsquare cannot read; will try again later"
            ) from error
        top = max((record.extra["created_ms"] for record in records), default=newest)
        return FetchResult(records=records, cursor={"newest": top} if top is not None else {})

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
        api, author = self._api(channel, credentials)
        # LinkedIn has no idempotency key: a publish retried after a lost answer can post twice.
        if in_reply_to:
            if media:
                raise ConnectorError("Townsquare cannot attach images to LinkedIn comments yet", permanent=True)
            return self._reply(api, author, text, in_reply_to)
        if len(media) > MAX_IMAGES:
            raise ConnectorError(f"a LinkedIn post takes at most {MAX_IMAGES} images", permanent=True)
        post: dict[str, Any] = {
            "author": author,
            "commentary": to_little_text(text),
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        images = [{"id": self._upload(api, author, item), "altText": item.alt_text} for item in media]
        if len(images) == 1:
            post["content"] = {"media": images[0]}
        elif images:
            post["content"] = {"multiImage": {"images": images}}
        made = api.call("POST", "/posts", json=post)
        urn = made.headers.get("x-restli-id") or ""
        if not urn:
            raise ConnectorError(
                "the LinkedIn API answered without the post's id: it may have been made; check before trying again",
                permanent=True,
            )
        return PublishResult(external_id=urn, url=f"https://www.linkedin.com/feed/update/{urn}/")

    def _reply(self, api: LinkedIn, author: str, text: str, in_reply_to: str) -> PublishResult:
        """A comment on a post, or (for a comment's URN) a reply under that comment."""
        body: dict[str, Any] = {"actor": author, "message": {"text": text}}
        if in_reply_to.startswith("urn:li:comment:("):
            # urn:li:comment:(urn:li:activity:123,456): the comment's post is the first part.
            body["object"] = in_reply_to.removeprefix("urn:li:comment:(").rsplit(",", 1)[0]
            body["parentComment"] = in_reply_to
        else:
            body["object"] = in_reply_to
        path = f"/socialActions/{urn_path(in_reply_to)}/comments"
        made = api.post_json(path, body, gone="the post or comment being replied to")
        return PublishResult(external_id=str(made.get("commentUrn") or made.get("id") or ""))

    def _upload(self, api: LinkedIn, author: str, item: MediaItem) -> str:
        """initializeUpload names the image and where to PUT its bytes."""
        request = {"initializeUploadRequest": {"owner": author}}
        started = api.post_json("/images", request, params={"action": "initializeUpload"}).get("value") or {}
        if not started.get("uploadUrl") or not started.get("image"):
            raise ConnectorError("the LinkedIn API gave no address to upload the image to; will try again later")
        api.call("PUT", started["uploadUrl"], data=item.data, headers={"Content-Type": item.mime_type})
        return started["image"]

    def like(self, *, channel, credentials: dict[str, str], external_id: str) -> None:
        """A LIKE reaction by the organisation on a post or comment (the Reactions API). LinkedIn answers 409
        when the organisation has already reacted: the like is there, so that is done too."""
        api, author = self._api(channel, credentials)
        body = {"root": external_id, "reactionType": "LIKE"}
        api.call("POST", "/reactions", params={"actor": author}, json=body, gone="the post being liked", done={409})

    def fetch_metrics(self, *, channel, credentials: dict[str, str], external_ids: Sequence[str]) -> AccountMetrics:
        api, author = self._api(channel, credentials)
        size = api.get(f"/networkSizes/{urn_path(author)}", {"edgeType": "COMPANY_FOLLOWED_BY_MEMBER"})
        posts: dict[str, dict[str, int]] = {}
        for urn in external_ids:
            try:
                actions = api.get(f"/socialActions/{urn_path(urn)}", gone="a post")
            except PostGone:
                continue
            posts[urn] = {
                "likes": (actions.get("likesSummary") or {}).get("totalLikes", 0),
                "replies": (actions.get("commentsSummary") or {}).get("aggregatedTotalComments", 0),
            }
        return AccountMetrics(followers=size.get("firstDegreeSize"), posts=posts)


def _elements(api: LinkedIn, path: str, params: dict[str, Any], *, pages: int) -> Iterator[dict[str, Any]]:
    """A collection's elements, page after page (`start`, `count`) while `paging.total` says there are more."""
    for number in range(pages):
        answer = api.get(path, {**params, "start": number * PAGE_SIZE, "count": PAGE_SIZE})
        elements = answer.get("elements") or []
        yield from elements
        total = (answer.get("paging") or {}).get("total")
        if len(elements) < PAGE_SIZE or (total is not None and (number + 1) * PAGE_SIZE >= total):
            return
