"""Images on a scheduled post: upload with alt text, describe, remove, and the org-checked view that serves them."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from townsquare.orgs.access import org_view
from townsquare.orgs.roles import Permission
from townsquare.publishing.media import media_read, post_media_add, post_media_describe, post_media_remove
from townsquare.publishing.models import PostMedia, ScheduledPost


def _may_edit(request, post: ScheduledPost) -> None:
    if post.author_id != request.user.id and not request.membership.can(Permission.PUBLISH):
        raise PermissionDenied("Only the author or an approver can change this post's images")


def _media(request, media_id: int) -> PostMedia:
    # Scoped to the request's organisation: another organisation's image is a 404.
    return get_object_or_404(PostMedia.objects.select_related("post"), id=media_id, organisation=request.organisation)


def _back(request, post: ScheduledPost):
    return redirect("scheduled_post", org_slug=request.organisation.slug, scheduled_post_id=post.id)


@org_view(Permission.DRAFT)
@require_POST
def post_media_upload(request, scheduled_post_id: int):
    post = get_object_or_404(ScheduledPost, id=scheduled_post_id, organisation=request.organisation)
    _may_edit(request, post)
    upload = request.FILES.get("image")
    try:
        if upload is None:
            raise ValidationError("image: choose an image file to attach")
        post_media_add(post=post, data=upload.read(), filename=upload.name, alt_text=request.POST.get("alt_text", ""))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Image attached: {upload.name}.")
    return _back(request, post)


@org_view(Permission.DRAFT)
@require_POST
def post_media_alt_text(request, media_id: int):
    media = _media(request, media_id)
    _may_edit(request, media.post)
    try:
        post_media_describe(media=media, alt_text=request.POST.get("alt_text", ""))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Alt text saved for image {media.position + 1}.")
    return _back(request, media.post)


@org_view(Permission.DRAFT)
@require_POST
def post_media_delete(request, media_id: int):
    media = _media(request, media_id)
    _may_edit(request, media.post)
    try:
        post_media_remove(media=media)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Image removed.")
    return _back(request, media.post)


@org_view()
def post_media_file(request, media_id: int):
    media = _media(request, media_id)
    response = HttpResponse(media_read(media=media), content_type=media.mime_type)
    # Only ever the stored image type, never sniffed as something else, and kept out of shared caches.
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Security-Policy"] = "default-src 'none'"
    return response
