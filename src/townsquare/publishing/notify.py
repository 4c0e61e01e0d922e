"""Telling people when a post could not be published."""

from __future__ import annotations

from django.core.mail import send_mail

from townsquare.publishing.models import ScheduledPost
from townsquare.publishing.times import utc_to_local


def failure_notify(*, post: ScheduledPost) -> int:
    """E-mail the author and the approver; returns how many messages were sent."""
    recipients = sorted({user.email for user in (post.author, post.approved_by) if user is not None and user.email})
    if not recipients:
        return 0
    when = utc_to_local(moment=post.scheduled_at, time_zone=post.organisation.time_zone)
    body = (
        f"The post scheduled for {when:%A %d %B %Y %H:%M} ({post.organisation.time_zone}) on {post.channel} "
        f"could not be published and will not be retried.\n\nReason: {post.last_error}\n\n"
        f"Text:\n{post.text}\n\nIt is kept in Townsquare's calendar, marked failed, so it can be fixed and "
        "scheduled again."
    )
    subject = f"[{post.organisation.name}] A scheduled post failed to publish"
    return send_mail(subject, body, None, recipients)
