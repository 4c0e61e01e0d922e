from django.core.management.base import BaseCommand, CommandError

from townsquare.channels.models import Channel, ChannelStatus
from townsquare.lookups import organisation_by_slug
from townsquare.networks.connectors import CONNECTORS
from townsquare.networks.sync import channel_sync


class Command(BaseCommand):
    help = "Fetch now from an organisation's connected channels and store what is new."

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True)
        parser.add_argument("--channel", type=int, help="only this channel id (see: townsquare channel list)")

    def handle(self, *args, org, channel, **options):
        organisation = organisation_by_slug(org)
        channels = Channel.objects.filter(organisation=organisation, network__in=list(CONNECTORS))
        if channel is not None:
            channels = channels.filter(id=channel)
            if not channels.exists():
                raise CommandError(f"{organisation.slug} has no connected channel with id {channel}")
        failed = 0
        for item in channels:
            if item.status == ChannelStatus.DISABLED and channel is None:
                self.stdout.write(f"{item.id}\t{item}\tskipped, disabled: {item.last_error}")
                continue
            report = channel_sync(channel=item)
            if report.error:
                failed += 1
                kind = "disabled" if report.permanent else "error"
                self.stdout.write(f"{item.id}\t{item}\t{kind}: {report.error}")
            else:
                self.stdout.write(
                    f"{item.id}\t{item}\tfetched {report.fetched}, stored {report.stored}, "
                    f"duplicates {report.duplicates}"
                    + (f" (edited {report.edited})" if report.edited else "")
                    + _listening(report)
                )
        if failed:
            raise CommandError(f"{failed} channel(s) could not be synced")


def _listening(report) -> str:
    """What listening by search did, when the channel listens."""
    if not report.searched and not report.unsearchable:
        return ""
    terms = ", ".join(f"{label} {count}" for label, count in report.searched.items())
    text = f"; searched {terms or 'nothing'}: {report.matched} matched a query"
    if report.unsearchable:
        text += f"; cannot search for: {', '.join(report.unsearchable)}"
    return text
