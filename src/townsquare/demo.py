"""The demo organisation: a borough council with its team and sandbox channels, and a week of history."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from townsquare.channels.services import channel_create
from townsquare.ingest.pipeline import ingest_records
from townsquare.networks.sandbox.simulator import SandboxPublic
from townsquare.orgs.models import Organisation
from townsquare.orgs.roles import Role
from townsquare.orgs.services import membership_set, organisation_create

DEMO_SLUG = "northfield"
DEMO_PASSWORD = "townsquare-demo"
TEAM = [
    ("demo", "Dana Okafor", Role.OWNER),
    ("sam.admin", "Sam Hughes", Role.ADMIN),
    ("priya.editor", "Priya Nair", Role.EDITOR),
    ("lee.ambassador", "Lee Carter", Role.CONTRIBUTOR),
    ("morgan.viewer", "Morgan Ellis", Role.VIEWER),
]
CHANNELS = [
    ("northfieldcc", "Northfield Borough Council"),
    ("northfieldlibraries", "Northfield Libraries"),
    ("northfield_roads", "Northfield Roads and Travel"),
]
HISTORY_POSTS = 400


def demo_organisation_ensure() -> tuple[Organisation, bool]:
    """Create the demo organisation once; returns it and whether it was created now."""
    existing = Organisation.objects.filter(slug=DEMO_SLUG).first()
    if existing is not None:
        return existing, False
    users = get_user_model()
    with transaction.atomic():
        organisation = organisation_create(slug=DEMO_SLUG, name="Northfield Borough Council")
        for username, full_name, role in TEAM:
            first, last = full_name.split(" ", 1)
            user = users.objects.filter(username=username).first() or users.objects.create_user(
                username=username,
                email=f"{username}@northfield.example",
                password=DEMO_PASSWORD,
                first_name=first,
                last_name=last,
            )
            membership_set(organisation=organisation, user=user, role=role)
        for handle, name in CHANNELS:
            channel_create(organisation=organisation, network="sandbox", handle=handle, display_name=name)
        public = SandboxPublic(2026, org_handles=[handle for handle, _ in CHANNELS])
        now = timezone.now()
        spread = timedelta(days=7) / HISTORY_POSTS
        records = [public.post(now - spread * index) for index in range(HISTORY_POSTS, 0, -1)]
        ingest_records(organisation=organisation, records=records, source="sandbox")
    return organisation, True
