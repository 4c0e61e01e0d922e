"""Images on drafts: checked and stored per organisation, served only to its members, described by alt text,
checked by the policy, and passed to the network when the post is published."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.factories import make_channel
from tests.publishing.helpers import NOW, make_post, png_bytes
from townsquare.posts.models import Post
from townsquare.publishing.claims import scheduled_posts_claim
from townsquare.publishing.media import MAX_IMAGES, image_type, post_media_add, post_media_describe
from townsquare.publishing.models import PostMedia, PostStatus, PublishingPolicy
from townsquare.publishing.publisher import scheduled_post_publish
from townsquare.publishing.workflow import scheduled_post_check, scheduled_post_submit

pytestmark = pytest.mark.django_db

GIF = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 20
WEBP = b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 8


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def draft(organisation, people):
    return make_post(organisation, make_channel(organisation), status=PostStatus.DRAFT, author=people["contributor"])


def url(name: str, organisation, **kwargs) -> str:
    return reverse(name, kwargs={"org_slug": organisation.slug, **kwargs})


def test_the_type_is_read_from_the_bytes_not_the_name():
    assert image_type(png_bytes()) == ("image/png", "png")
    assert image_type(GIF) == ("image/gif", "gif")
    assert image_type(JPEG) == ("image/jpeg", "jpg")
    assert image_type(WEBP) == ("image/webp", "webp")
    assert image_type(b"<svg xmlns='http://www.w3.org/2000/svg'/>") is None
    assert image_type(b"%PDF-1.7") is None


def test_an_image_is_stored_under_its_organisations_folder(draft, media_root):
    media = post_media_add(post=draft, data=png_bytes(), filename="../../park.png", alt_text="  Trees in the park ")
    stored = media_root / media.path
    assert stored.parent == media_root / str(draft.organisation_id)
    assert stored.read_bytes() == png_bytes()
    assert (media.mime_type, media.filename, media.alt_text, media.size) == (
        "image/png",
        "park.png",
        "Trees in the park",
        len(png_bytes()),
    )


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "image notes.png: the file is empty"),
        (b"just some text", "image notes.png: not a PNG, JPEG, GIF or WebP image"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, "image notes.png: 208 bytes, at most 100 bytes"),
    ],
)
def test_bad_files_are_refused_saying_what_and_which(draft, settings, media_root, data, expected):
    settings.TOWNSQUARE_MEDIA_MAX_BYTES = 100
    with pytest.raises(ValidationError) as refused:
        post_media_add(post=draft, data=data, filename="notes.png")
    assert refused.value.messages == [expected]
    assert not PostMedia.objects.exists() and not any(media_root.glob("**/*.*"))


def test_a_post_takes_at_most_four_images_and_alt_text_has_a_limit(draft):
    for _ in range(MAX_IMAGES):
        post_media_add(post=draft, data=GIF, filename="a.gif")
    with pytest.raises(ValidationError, match="at most 4 images"):
        post_media_add(post=draft, data=GIF, filename="e.gif")
    assert list(draft.media.values_list("position", flat=True)) == [0, 1, 2, 3]
    with pytest.raises(ValidationError, match="alt text: 1501 characters, at most 1500"):
        post_media_describe(media=draft.media.first(), alt_text="x" * 1501)


def test_a_scheduled_post_keeps_its_images(organisation):
    post = make_post(organisation, make_channel(organisation))
    with pytest.raises(ValidationError, match="a post that is scheduled cannot be changed"):
        post_media_add(post=post, data=GIF, filename="a.gif")


def test_missing_alt_text_warns_by_default_and_blocks_when_the_policy_says(draft, people):
    post_media_add(post=draft, data=GIF, filename="described.gif", alt_text="A bin lorry")
    post_media_add(post=draft, data=GIF, filename="bare.gif")
    [finding] = scheduled_post_check(post=draft)
    assert (finding.kind, finding.action, finding.image, finding.text) == ("alt_text", "warn", 2, "bare.gif")
    assert finding.describe() == "missing alt text: image 2 (bare.gif)"

    PublishingPolicy.objects.create(organisation=draft.organisation, alt_text="block")
    with pytest.raises(ValidationError) as blocked:
        scheduled_post_submit(post=draft, actor=people["contributor"])
    assert "missing alt text: image 2 (bare.gif)" in blocked.value.messages
    post_media_describe(media=draft.media.get(filename="bare.gif"), alt_text="The recycling centre gate")
    assert scheduled_post_submit(post=draft, actor=people["contributor"]) == []


def test_published_images_reach_the_network_with_their_alt_text(organisation, settings, tmp_path, people):
    outbox = tmp_path / "outbox.jsonl"
    settings.TOWNSQUARE_SANDBOX_OUTBOX = str(outbox)
    post = make_post(organisation, make_channel(organisation), status=PostStatus.DRAFT, author=people["editor"])
    post_media_add(post=post, data=png_bytes(), filename="park.png", alt_text="Trees in the park")
    post_media_add(post=post, data=GIF, filename="map.gif")
    type(post).objects.filter(id=post.id).update(status=PostStatus.SCHEDULED)
    [claimed] = scheduled_posts_claim(worker="w", now=NOW)
    assert scheduled_post_publish(post=claimed) == "published"
    [line] = [json.loads(text) for text in outbox.read_text().splitlines()]
    assert line["media"] == [
        {"mime_type": "image/png", "bytes": len(png_bytes()), "filename": "park.png", "alt_text": "Trees in the park"},
        {"mime_type": "image/gif", "bytes": len(GIF), "filename": "map.gif", "alt_text": ""},
    ]
    stored = Post.objects.get(external_id=f"pub-{post.idempotency_key}")
    assert [item["alt"] for item in stored.media] == ["Trees in the park", None]


def test_the_author_uploads_describes_and_removes_images_on_the_page(client_for, organisation, draft, media_root):
    client = client_for("contributor")
    page = url("scheduled_post", organisation, scheduled_post_id=draft.id)
    upload = SimpleUploadedFile("park.png", png_bytes(), content_type="image/png")
    response = client.post(
        url("post_media_upload", organisation, scheduled_post_id=draft.id), {"image": upload, "alt_text": ""}
    )
    assert response.status_code == 302 and response["Location"] == page
    media = draft.media.get()
    shown = client.get(page).content.decode()
    assert "missing alt text, image 1: park.png" in shown and "<strong>No alt text</strong>" in shown

    client.post(url("post_media_alt_text", organisation, media_id=media.id), {"alt_text": "Oak trees by the pond"})
    shown = client.get(page).content.decode()
    assert 'alt="Oak trees by the pond"' in shown and "missing alt text" not in shown

    served = client.get(url("post_media_file", organisation, media_id=media.id))
    assert served.status_code == 200 and served["Content-Type"] == "image/png" and served.content == png_bytes()
    assert served["X-Content-Type-Options"] == "nosniff"

    client.post(url("post_media_delete", organisation, media_id=media.id))
    assert not draft.media.exists() and not (media_root / media.path).exists()


def test_a_renamed_file_is_refused_with_a_clear_message(client_for, organisation, draft):
    client = client_for("contributor")
    upload = SimpleUploadedFile("invoice.png", b"%PDF-1.7 not an image", content_type="image/png")
    response = client.post(
        url("post_media_upload", organisation, scheduled_post_id=draft.id), {"image": upload}, follow=True
    )
    assert "image invoice.png: not a PNG, JPEG, GIF or WebP image" in response.content.decode()
    assert not draft.media.exists()


def test_only_the_author_or_an_approver_changes_the_images(client_for, organisation, draft, people):
    media = post_media_add(post=draft, data=GIF, filename="a.gif")
    draft.author = people["admin"]  # the contributor is no longer the author
    draft.save(update_fields=["author"])
    contributor = client_for("contributor")
    assert contributor.post(url("post_media_delete", organisation, media_id=media.id)).status_code == 403
    viewer = client_for("viewer")
    assert viewer.get(url("post_media_file", organisation, media_id=media.id)).status_code == 200
    assert viewer.post(url("post_media_delete", organisation, media_id=media.id)).status_code == 403
    editor = client_for("editor")
    editor.post(url("post_media_alt_text", organisation, media_id=media.id), {"alt_text": "A bin"})
    assert PostMedia.objects.get(id=media.id).alt_text == "A bin"
