"""Tasks and periodic tasks. Huey's Django integration imports every installed app's `tasks` module."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from townsquare.orgs.services import invitations_purge_expired


@db_periodic_task(crontab(minute="17", hour="3"))
def purge_expired_invitations() -> int:
    return invitations_purge_expired()
