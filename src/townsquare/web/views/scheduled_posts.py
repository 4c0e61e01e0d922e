"""One planned post's page (status, attempts, errors, approval) and the approvals queue with its actions."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from townsquare.orgs.access import org_view
from townsquare.orgs.roles import Permission
from townsquare.publishing.ambassadors import OFFERABLE
from townsquare.publishing.campaigns import campaigns_for, may_plan
from townsquare.publishing.links import post_links, short_url
from townsquare.publishing.media import EDITABLE, MAX_ALT_TEXT, MAX_IMAGES
from townsquare.publishing.models import PostStatus, ScheduledPost
from townsquare.publishing.selectors import approval_queue
from townsquare.publishing.workflow import (
    scheduled_post_approve,
    scheduled_post_check,
    scheduled_post_edit,
    scheduled_post_send_back,
    scheduled_post_submit,
)
from townsquare.web.views.calendar import render_local


def _post(request, scheduled_post_id: int) -> ScheduledPost:
    # Scoped to the request's organisation: another organisation's id is a 404.
    return get_object_or_404(
        ScheduledPost.objects.select_related("channel", "author", "approved_by", "campaign"),
        id=scheduled_post_id,
        organisation=request.organisation,
    )


def _back(request, post: ScheduledPost):
    if request.POST.get("back") == "approvals":
        return redirect("approvals", org_slug=request.organisation.slug)
    return redirect("scheduled_post", org_slug=request.organisation.slug, scheduled_post_id=post.id)


def _warn(request, findings) -> None:
    for finding in findings:
        messages.warning(request, f"Policy warning: {finding.describe()}")


@org_view()
def scheduled_post(request, scheduled_post_id: int):
    post = _post(request, scheduled_post_id)
    membership = request.membership
    may_submit = membership.can(Permission.PUBLISH) or post.author_id == request.user.id
    under_review = post.status in (PostStatus.DRAFT, PostStatus.SUBMITTED)
    may_edit = membership.can(Permission.PUBLISH) or (
        post.author_id == request.user.id and membership.can(Permission.DRAFT)
    )
    return render_local(
        request,
        "web/scheduled_post.html",
        {
            "post": post,
            "attempts": post.publish_attempts.all(),
            "media": list(post.media.all()),
            "history": post.review_events.select_related("actor"),
            "can_edit_text": may_edit
            and (
                post.status == PostStatus.DRAFT
                or (post.status == PostStatus.SUBMITTED and membership.can(Permission.PUBLISH))
            ),
            "links": [(link, short_url(link.code)) for link in post_links(post=post)],
            "can_edit_media": post.status in EDITABLE and may_edit,
            "max_images": MAX_IMAGES,
            "max_alt_text": MAX_ALT_TEXT,
            "max_image_bytes": settings.TOWNSQUARE_MEDIA_MAX_BYTES,
            # Before approval the check still matters: show what the approver will see.
            "findings": scheduled_post_check(post=post) if under_review else [],
            "can_submit": post.status == PostStatus.DRAFT and membership.can(Permission.DRAFT) and may_submit,
            "can_approve": post.status == PostStatus.SUBMITTED and membership.can(Permission.PUBLISH),
            "time_zone": request.organisation.time_zone,
            "campaigns": campaigns_for(organisation=request.organisation),
            "can_offer": post.status in OFFERABLE and membership.can(Permission.PUBLISH),
            "can_plan": may_plan(membership=membership, post=post),
        },
    )


@org_view(Permission.DRAFT)
@require_POST
def scheduled_post_edit_view(request, scheduled_post_id: int):
    post = _post(request, scheduled_post_id)
    try:
        scheduled_post_edit(post=post, actor=request.user, text=request.POST.get("text", ""))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Text saved." + (" Submit it again when it is ready." if post.review_comment else ""))
    return _back(request, post)


@org_view(Permission.PUBLISH)
def approvals(request):
    return render_local(request, "web/approvals.html", {"posts": approval_queue(organisation=request.organisation)})


@org_view(Permission.DRAFT)
@require_POST
def scheduled_post_submit_view(request, scheduled_post_id: int):
    post = _post(request, scheduled_post_id)
    if post.author_id != request.user.id and not request.membership.can(Permission.PUBLISH):
        raise PermissionDenied("Only the author or an approver can submit this draft")
    try:
        findings = scheduled_post_submit(post=post, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Submitted for approval.")
        _warn(request, findings)
    return _back(request, post)


@org_view(Permission.PUBLISH)
@require_POST
def scheduled_post_approve_view(request, scheduled_post_id: int):
    post = _post(request, scheduled_post_id)
    try:
        findings = scheduled_post_approve(post=post, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Approved: {post.channel} will publish it at its time.")
        _warn(request, findings)
    return _back(request, post)


@org_view(Permission.PUBLISH)
@require_POST
def scheduled_post_send_back_view(request, scheduled_post_id: int):
    post = _post(request, scheduled_post_id)
    try:
        scheduled_post_send_back(post=post, actor=request.user, comment=request.POST.get("comment", ""))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Sent back to its author with your comment.")
    return _back(request, post)
