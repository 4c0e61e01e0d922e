"""Images attached to scheduled posts: checked, stored under MEDIA_ROOT per organisation, described by alt text.

The type is read from the file's first bytes, never from its name or the browser's claim, so a renamed file
cannot pass as an image. Files are named by random hex under the organisation's folder and read back only
through `media_read` (the org-checked view), never served directly.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from townsquare.networks.base import MediaItem
from townsquare.publishing.models import PostMedia, PostStatus, ScheduledPost

MAX_IMAGES = 4  # what Mastodon, Bluesky and X each allow on one post
MAX_ALT_TEXT = 1500  # Mastodon's limit, the lowest of the networks that take alt text
EDITABLE = (PostStatus.DRAFT, PostStatus.SUBMITTED)

# (MIME type, file extension) by the signature the format starts with.
SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"GIF87a", "image/gif", "gif"),
    (b"GIF89a", "image/gif", "gif"),
)


def image_type(data: bytes) -> tuple[str, str] | None:
    """(MIME type, extension) of a PNG, JPEG, GIF or WebP image, or None for anything else."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", "webp"
    for signature, mime_type, extension in SIGNATURES:
        if data.startswith(signature):
            return mime_type, extension
    return None


def _check_alt_text(alt_text: str) -> str:
    alt_text = alt_text.strip()
    if len(alt_text) > MAX_ALT_TEXT:
        raise ValidationError(f"alt text: {len(alt_text)} characters, at most {MAX_ALT_TEXT}")
    return alt_text


def _check_editable(post: ScheduledPost) -> None:
    if post.status not in EDITABLE:
        raise ValidationError(f"images: a post that is {post.get_status_display().lower()} cannot be changed")


def _file(media: PostMedia) -> Path:
    return Path(settings.MEDIA_ROOT) / media.path


def post_media_add(*, post: ScheduledPost, data: bytes, filename: str, alt_text: str = "") -> PostMedia:
    """Attach an image to a draft (or a post awaiting approval). Refuses, saying why, anything not an image,
    too large, or past the number of images a post may have."""
    _check_editable(post)
    name = Path(filename or "").name[:200]
    limit = settings.TOWNSQUARE_MEDIA_MAX_BYTES
    if not data:
        raise ValidationError(f"image {name}: the file is empty")
    if limit and len(data) > limit:
        raise ValidationError(f"image {name}: {len(data):,} bytes, at most {limit:,} bytes")
    kind = image_type(data)
    if kind is None:
        raise ValidationError(f"image {name}: not a PNG, JPEG, GIF or WebP image")
    alt_text = _check_alt_text(alt_text)
    mime_type, extension = kind
    with transaction.atomic():
        # Locks the post's row, so two uploads at once cannot both pass the count.
        post = ScheduledPost.objects.select_for_update().get(id=post.id)
        if post.media.count() >= MAX_IMAGES:
            raise ValidationError(f"images: a post can have at most {MAX_IMAGES} images")
        path = f"{post.organisation_id}/{secrets.token_hex(16)}.{extension}"
        target = Path(settings.MEDIA_ROOT) / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        last = post.media.aggregate(last=Max("position"))["last"]
        try:
            return PostMedia.objects.create(
                organisation_id=post.organisation_id,
                post=post,
                path=path,
                mime_type=mime_type,
                size=len(data),
                filename=name,
                alt_text=alt_text,
                position=0 if last is None else last + 1,
            )
        except Exception:  # the row was not stored: the file goes too, so nothing is left unreferenced
            target.unlink(missing_ok=True)
            raise


def post_media_describe(*, media: PostMedia, alt_text: str) -> PostMedia:
    """Set an image's alt text."""
    _check_editable(media.post)
    media.alt_text = _check_alt_text(alt_text)
    media.save(update_fields=["alt_text"])
    return media


def post_media_remove(*, media: PostMedia) -> None:
    _check_editable(media.post)
    media.delete()
    _file(media).unlink(missing_ok=True)


def media_read(*, media: PostMedia) -> bytes:
    return _file(media).read_bytes()


def media_items(*, post: ScheduledPost) -> list[MediaItem]:
    """The post's images as the connectors take them, in order."""
    return [
        MediaItem(data=media_read(media=item), mime_type=item.mime_type, alt_text=item.alt_text, filename=item.filename)
        for item in post.media.all()
    ]
