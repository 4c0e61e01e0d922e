"""The demo organisation: a borough council with its team and sandbox channels, and a week of history."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from townsquare.channels.services import channel_create
from townsquare.ingest.pipeline import ingest_records
from townsquare.mentions.services import query_create
from townsquare.networks.sandbox.simulator import SandboxPublic
from townsquare.orgs.models import Organisation
from townsquare.orgs.roles import Role
from townsquare.orgs.services import membership_set, organisation_create
from townsquare.publishing.ambassadors import share_offer_save
from townsquare.publishing.models import PostingSlot, PostStatus
from townsquare.publishing.services import scheduled_post_create
from townsquare.publishing.slots import slot_save
from townsquare.publishing.times import local_to_utc
from townsquare.publishing.workflow import scheduled_post_approve

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
# (days from today, local time, channel handle, author, text): the coming days' plan, so the calendar has content.
PLAN = [
    (1, "09:30", "northfieldcc", "priya.editor", "Bins are collected as normal this week. Check your day on our site."),
    (1, "12:00", "northfield_roads", "priya.editor", "Mill Lane is closed for resurfacing until Friday."),
    (2, "10:00", "northfieldlibraries", "priya.editor", "Story time for under-5s returns to Central Library."),
    (3, "17:00", "northfieldcc", "priya.editor", "Have your say on the town centre plan: the survey closes soon."),
]
LISTENING = [
    ("Bins", '"bin collection" OR bins'),
    ("Flooding", '(flood* OR drains) AND NOT "flood defence grant"'),
    ("The council", '@northfieldcc OR "Northfield Borough Council"'),
]
AWAITING = (2, "15:00", "northfieldlibraries", "lee.ambassador", "Our volunteers helped 40 people get online today!")
# A recurring slot on the calendar, and the "have your say" post offered to staff to share.
SLOT = ("Community spotlight", [1], "10:00", "northfieldlibraries")
SHARE_COPY = "Northfield's town centre plan needs your views: https://northfield.example/have-your-say"


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
        for name, text in LISTENING:  # before the history is ingested, so the demo starts with mentions
            query_create(organisation=organisation, name=name, text=text)
        public = SandboxPublic(2026, org_handles=[handle for handle, _ in CHANNELS])
        now = timezone.now()
        spread = timedelta(days=7) / HISTORY_POSTS
        records = [public.post(now - spread * index) for index in range(HISTORY_POSTS, 0, -1)]
        ingest_records(organisation=organisation, records=records, source="sandbox")
        _plan_seed(organisation=organisation, today=now.astimezone(ZoneInfo(organisation.time_zone)).date())
    return organisation, True


def _plan_seed(*, organisation: Organisation, today: date) -> None:
    """Scheduled posts by the editor (one offered to staff to share), one awaiting approval from the ambassador,
    and a recurring slot."""
    users = {user.username: user for user in get_user_model().objects.filter(username__in=[u for u, _, _ in TEAM])}
    channels = {channel.handle: channel for channel in organisation.channels.all()}
    for days, at, handle, username, text in [*PLAN, AWAITING]:
        local = datetime.combine(today + timedelta(days=days), time.fromisoformat(at))
        post = scheduled_post_create(
            organisation=organisation,
            channel=channels[handle],
            text=text,
            scheduled_at=local_to_utc(local=local, time_zone=organisation.time_zone),
            author=users[username],
            status=PostStatus.SUBMITTED,
        )
        if username == "priya.editor":
            scheduled_post_approve(post=post, actor=users[username])
        if text.startswith("Have your say"):
            share_offer_save(
                post=post, actor=users["priya.editor"], copy={"mastodon": SHARE_COPY, "bluesky": SHARE_COPY}
            )
    name, weekdays, at, handle = SLOT
    slot = PostingSlot(organisation=organisation, name=name, weekdays=weekdays, local_time=time.fromisoformat(at))
    slot_save(slot=slot, channels=[channels[handle]], campaign=None)
