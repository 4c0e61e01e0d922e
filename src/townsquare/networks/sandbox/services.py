"""Running the simulated public and publishing on the sandbox network."""

from __future__ import annotations

import fcntl
import json
import math
import os
import random
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from townsquare.channels.models import Channel
from townsquare.ingest.pipeline import ingest_records
from townsquare.networks.base import MediaItem
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


def sandbox_publish(
    *, channel: Channel, text: str, in_reply_to: str = "", reference: str = "", media: Sequence[MediaItem] = ()
) -> Post:
    """Publish on the sandbox network: the post appears at once among the organisation's posts, and with
    TOWNSQUARE_SANDBOX_OUTBOX set it is appended as one JSON line (with `reference`) for outside checks.
    Images are recorded by type, size, name and alt text (the sandbox keeps no bytes).

    Idempotent by `reference`, like a network's idempotency key: publishing the same reference again
    returns the first publication instead of posting twice. The outbox (the network's own record) is
    written first under a file lock, then the post is stored; a retry after a crash between the two finds
    the reference there and only completes the store."""
    if channel.network != "sandbox":
        raise ValueError(f"{channel} is not a sandbox channel")
    now = timezone.now()
    external_id = f"pub-{reference}" if reference else f"pub-{now:%Y%m%d%H%M%S}-{random.getrandbits(48):012x}"
    if reference:
        existing = Post.objects.filter(
            organisation_id=channel.organisation_id, network="sandbox", external_id=external_id
        ).first()
        if existing is not None:
            return existing
    outbox = settings.TOWNSQUARE_SANDBOX_OUTBOX
    if outbox:
        images = [
            {"mime_type": item.mime_type, "bytes": len(item.data), "filename": item.filename, "alt_text": item.alt_text}
            for item in media
        ]
        line = {"reference": reference, "id": external_id, "channel": channel.handle, "text": text, "media": images}
        _outbox_append_once(Path(outbox), {**line, "published_at": now.isoformat()})
    # Simulated network latency after the network has accepted the post: the window a crash can hit.
    if settings.TOWNSQUARE_SANDBOX_LATENCY:
        time.sleep(settings.TOWNSQUARE_SANDBOX_LATENCY)
    record = PostRecord(
        network="sandbox",
        external_id=external_id,
        author=AuthorRecord(external_id=channel.handle, handle=channel.handle, display_name=channel.display_name),
        created_at=now,
        text=text,
        in_reply_to=in_reply_to,
        media=[
            {"url": f"sandbox://media/{external_id}/{number}", "type": "image", "alt": item.alt_text or None}
            for number, item in enumerate(media, start=1)
        ],
    )
    with transaction.atomic():
        ingest_records(organisation=channel.organisation, records=[record], source="published")
    return Post.objects.get(organisation_id=channel.organisation_id, network="sandbox", external_id=external_id)


def _outbox_append_once(path: Path, entry: dict) -> None:
    """Append `entry` unless a line with its reference is there already; the lock makes check-and-append
    one step across processes."""
    with path.open("a+", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            if entry["reference"]:
                handle.seek(0)
                for line in handle:
                    if line.strip() and json.loads(line).get("reference") == entry["reference"]:
                        return
            handle.seek(0, 2)
            handle.write(json.dumps(entry) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
