"""Running the simulated public and publishing on the sandbox network."""

from __future__ import annotations

import json
import math
import random
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from townsquare.channels.models import Channel
from townsquare.ingest.pipeline import ingest_records
from townsquare.networks.sandbox.simulator import SandboxPublic
from townsquare.orgs.models import Organisation
from townsquare.posts.models import Post
from townsquare.posts.normalise import AuthorRecord, PostRecord


def sandbox_public_for(*, organisation: Organisation, seed: int | None = None) -> SandboxPublic:
    handles = list(
        Channel.objects.filter(organisation=organisation, network="sandbox").values_list("handle", flat=True)
    )
    return SandboxPublic(seed, org_handles=handles)


def sandbox_simulate(
    *, organisation: Organisation, public: SandboxPublic, seconds: float, now: datetime | None = None
) -> int:
    """Let `seconds` of simulated public life pass: a Poisson-like number of posts at the current rate."""
    now = now or timezone.now()
    expected = public.rate_per_minute(now) * seconds / 60
    count = int(expected) + (1 if public.random.random() < expected - math.floor(expected) else 0)
    if count == 0:
        return 0
    result = ingest_records(organisation=organisation, records=public.posts(now, count), source="sandbox")
    return len(result.stored)


def sandbox_publish(*, channel: Channel, text: str, in_reply_to: str = "", reference: str = "") -> Post:
    """Publish on the sandbox network: the post appears at once among the organisation's posts, and with
    TOWNSQUARE_SANDBOX_OUTBOX set it is appended as one JSON line (with `reference`) for outside checks."""
    if channel.network != "sandbox":
        raise ValueError(f"{channel} is not a sandbox channel")
    now = timezone.now()
    record = PostRecord(
        network="sandbox",
        external_id=f"pub-{now:%Y%m%d%H%M%S}-{random.getrandbits(48):012x}",
        author=AuthorRecord(external_id=channel.handle, handle=channel.handle, display_name=channel.display_name),
        created_at=now,
        text=text,
        in_reply_to=in_reply_to,
    )
    with transaction.atomic():
        post = ingest_records(organisation=channel.organisation, records=[record], source="published").stored[0]
    outbox = settings.TOWNSQUARE_SANDBOX_OUTBOX
    if outbox:
        line = json.dumps(
            {
                "reference": reference,
                "id": post.external_id,
                "channel": channel.handle,
                "text": text,
                "published_at": now.isoformat(),
            }
        )
        with Path(outbox).open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
    return post
