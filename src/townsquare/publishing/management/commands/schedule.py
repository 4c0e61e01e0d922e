import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from townsquare.channels.models import Channel
from townsquare.lookups import organisation_by_slug, user_by_name
from townsquare.publishing.models import PostStatus
from townsquare.publishing.services import scheduled_post_create
from townsquare.publishing.times import parse_at


def _message(error: ValidationError) -> str:
    return "; ".join(error.messages)


class Command(BaseCommand):
    help = (
        "Schedule posts on an organisation's channels. --at is ISO 8601; without an offset it is read in the "
        "organisation's time zone. --file reads JSON lines {channel, at, text}; bad lines are reported by number "
        "and the rest scheduled."
    )

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True)
        parser.add_argument("--channel", help="the channel's handle")
        parser.add_argument("--at", help="when, ISO 8601, e.g. 2026-03-29T09:30 or 2026-03-29T08:30Z")
        parser.add_argument("--text")
        parser.add_argument("--file", help="JSON lines: {channel, at, text}")
        parser.add_argument("--author", help="username recorded as the author")

    def handle(self, *args, org, file, author, **options):
        organisation = organisation_by_slug(org)
        user = user_by_name(author) if author else None
        if file:
            self._schedule_file(organisation, file, user)
            return
        missing = [name for name in ("channel", "at", "text") if not options[name]]
        if missing:
            raise CommandError(f"give --{', --'.join(missing)} (or --file)")
        try:
            post = self._schedule(organisation, options, user)
        except ValidationError as error:
            raise CommandError(_message(error)) from None
        self.stdout.write(f"scheduled {post.id} for {post.scheduled_at.isoformat()} (key {post.idempotency_key})")

    def _schedule(self, organisation, data: dict, user):
        handle = str(data.get("channel") or "").lstrip("@")
        channels = list(Channel.objects.filter(organisation=organisation, handle=handle))
        if len(channels) != 1:
            problem = "no channel" if not channels else "several channels"
            raise ValidationError(f"channel: {organisation.slug} has {problem} with the handle {handle!r}")
        for name in ("at", "text"):
            if not isinstance(data.get(name), str):
                raise ValidationError(f"{name}: expected a string")
        return scheduled_post_create(
            organisation=organisation,
            channel=channels[0],
            text=data["text"],
            scheduled_at=parse_at(text=data["at"], time_zone=organisation.time_zone),
            author=user,
            status=PostStatus.SCHEDULED,
        )

    def _schedule_file(self, organisation, path: str, user) -> None:
        scheduled = rejected = 0
        try:
            handle = open(path, encoding="utf-8")  # noqa: SIM115 - closed below, read line by line
        except OSError as error:
            raise CommandError(f"{path}: {error.strerror}") from None
        with handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    data = json.loads(line)
                    if not isinstance(data, dict):
                        raise ValidationError("expected a JSON object {channel, at, text}")
                    self._schedule(organisation, data, user)
                    scheduled += 1
                except json.JSONDecodeError as error:
                    rejected += 1
                    self.stderr.write(f"line {number}: not JSON ({error.msg})")
                except ValidationError as error:
                    rejected += 1
                    self.stderr.write(f"line {number}: {_message(error)}")
        self.stdout.write(f"scheduled {scheduled}, rejected {rejected}")
