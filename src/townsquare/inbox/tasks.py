"""Periodic inbox work (Huey imports each installed app's tasks module)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from townsquare.inbox.services import conversations_wake


@db_periodic_task(crontab(minute="*"))
def wake_snoozed_conversations() -> int:
    return conversations_wake()
