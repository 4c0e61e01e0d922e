from django.core.management.base import BaseCommand, CommandError

from townsquare.channels.models import Channel
from townsquare.lookups import organisation_by_slug
from townsquare.networks.bluesky.jetstream import DEFAULT_URL, JetstreamConsumer
from townsquare.networks.listen import listening_enabled


class Command(BaseCommand):
    help = (
        "Listen to all of Bluesky through Jetstream for an organisation's listening queries (runs until stopped; "
        "the cursor is kept on its listening Bluesky channel)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True)
        parser.add_argument("--channel", type=int, help="the Bluesky channel that keeps the cursor (if several)")
        parser.add_argument("--url", default=DEFAULT_URL, help=f"the Jetstream instance (default {DEFAULT_URL})")
        parser.add_argument("--connections", type=int, help="stop after this many connections (default: never)")

    def handle(self, *args, org, channel, url, connections, **options):
        organisation = organisation_by_slug(org)
        candidates = [
            item
            for item in Channel.objects.filter(organisation=organisation, network="bluesky")
            if listening_enabled(item) and (channel is None or item.id == channel)
        ]
        if not candidates:
            raise CommandError(
                f"{organisation.slug} has no Bluesky channel that listens"
                + (f" with id {channel}" if channel is not None else "")
                + ": add one with --option listen=true"
            )
        if len(candidates) > 1:
            ids = ", ".join(str(item.id) for item in candidates)
            raise CommandError(
                f"{organisation.slug} has several Bluesky channels that listen ({ids}): name one with --channel"
            )
        consumer = JetstreamConsumer(channel=candidates[0], url=url, report=lambda line: self.stderr.write(line))
        self.stdout.write(f"listening to {consumer.subscribe_url()} for {organisation.slug}")
        try:
            consumer.run(max_connections=connections)
        except KeyboardInterrupt:
            consumer.flush()
        stats = consumer.stats
        self.stdout.write(
            f"events {stats.events}, posts {stats.posts}, matched {stats.matched}, stored {stats.stored}, "
            f"duplicates {stats.duplicates}, unreadable {stats.unreadable}"
        )
