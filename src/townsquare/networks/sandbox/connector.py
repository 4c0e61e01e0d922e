"""The sandbox network behind the common interface. Its simulated public stores posts directly, so there is
nothing to fetch; publishing goes through sandbox_publish."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from townsquare.networks.base import Connector, FetchResult, MediaItem, PublishResult
from townsquare.networks.sandbox.services import sandbox_publish


class SandboxConnector(Connector):
    kind = "sandbox"
    capabilities = frozenset({"fetch_mentions", "publish", "reply"})

    def fetch(self, *, channel, credentials: dict[str, str], cursor: dict[str, Any]) -> FetchResult:
        return FetchResult(records=[], cursor=cursor)

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
        post = sandbox_publish(
            channel=channel, text=text, in_reply_to=in_reply_to or "", reference=idempotency_key, media=media
        )
        return PublishResult(external_id=post.external_id, url=post.url)
