"""Builders for publishing tests, through the real services."""

from __future__ import annotations

import struct
import zlib
from datetime import UTC, datetime, timedelta

from townsquare.publishing.models import PostStatus, ScheduledPost
from townsquare.publishing.services import scheduled_post_create

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def make_post(organisation, channel, *, text: str = "Bins collected as normal", at=None, **extra) -> ScheduledPost:
    return scheduled_post_create(
        organisation=organisation,
        channel=channel,
        text=text,
        scheduled_at=at or NOW - timedelta(minutes=1),
        status=extra.pop("status", PostStatus.SCHEDULED),
        **extra,
    )


def png_bytes(width: int = 2, height: int = 2) -> bytes:
    """A real, minimal PNG (grey pixels), built here so tests need no image files."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
