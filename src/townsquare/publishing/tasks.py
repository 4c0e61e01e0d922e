"""Huey tasks for publishing: every minute, publish what is due. Huey imports each installed app's tasks."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from townsquare.publishing.publisher import scheduled_posts_publish_due


@db_periodic_task(crontab(minute="*"))
def publish_due_posts() -> int:
    return len(scheduled_posts_publish_due().published)
