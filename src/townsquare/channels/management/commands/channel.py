import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from townsquare.channels.models import Channel
from townsquare.channels.services import channel_create, channel_delete
from townsquare.lookups import organisation_by_slug
from townsquare.networks.registry import NETWORKS


def _pairs(items: list[str], option: str) -> dict[str, str]:
    pairs = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise CommandError(f"{option} {item!r}: expected key=value")
        pairs[key] = value
    return pairs


def _twitter_access(credentials: dict[str, str]) -> bool:
    oauth1 = {"consumer_key", "consumer_secret", "access_token", "access_token_secret"}
    return oauth1 <= set(credentials) if "access_token_secret" in credentials else bool(credentials.get("access_token"))


class Command(BaseCommand):
    help = "Manage an organisation's channels (its accounts on networks)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="connect an account")
        add.add_argument("--org", required=True)
        add.add_argument("--network", required=True, choices=list(NETWORKS))
        add.add_argument("--handle", required=True)
        add.add_argument("--display-name", default="")
        add.add_argument("--option", action="append", default=[], help="non-secret setting key=value")
        add.add_argument("--credential", action="append", default=[], help="secret key=value (stored encrypted)")
        add.add_argument("--credentials-file", help="JSON object of secrets (stored encrypted)")
        add.add_argument("--instance", help="Mastodon: the server's URL, e.g. https://mastodon.social")
        add.add_argument("--service", help="Bluesky: the account's server (default https://bsky.social)")
        add.add_argument("--app-password", help="Bluesky: an app password for --handle (stored encrypted)")
        add.add_argument(
            "--token", help="Mastodon, X, Facebook, Instagram, LinkedIn: the access token (stored encrypted)"
        )
        listing = sub.add_parser("list", help="list channels")
        listing.add_argument("--org", required=True)
        remove = sub.add_parser("remove", help="remove a channel")
        remove.add_argument("--org", required=True)
        remove.add_argument("--id", type=int, required=True)

    def handle(self, *args, action, org, **options):
        organisation = organisation_by_slug(org)
        if action == "list":
            for channel in Channel.objects.filter(organisation=organisation):
                secret = "credentials stored" if channel.has_credentials else "no credentials"
                self.stdout.write(f"{channel.id}\t{channel.network}\t@{channel.handle}\t{channel.status}\t{secret}")
            return
        if action == "remove":
            channel = Channel.objects.filter(organisation=organisation, id=options["id"]).first()
            if channel is None:
                raise CommandError(f"{organisation.slug} has no channel with id {options['id']}")
            channel_delete(channel=channel)
            self.stdout.write(f"removed {channel}")
            return
        credentials = _pairs(options["credential"], "--credential")
        if options["credentials_file"]:
            with open(options["credentials_file"], encoding="utf-8") as handle:
                credentials.update(json.load(handle))
        settings = _pairs(options["option"], "--option")
        if options["instance"]:
            settings["instance"] = options["instance"].rstrip("/")
        if options["token"]:
            credentials["access_token"] = options["token"]
        if options["service"]:
            settings["service"] = options["service"].rstrip("/")
        if options["app_password"]:
            credentials["app_password"] = options["app_password"]
        if options["network"] == "mastodon" and not (settings.get("instance") and credentials.get("access_token")):
            raise CommandError("mastodon needs --instance URL and --token TOKEN")
        if options["network"] == "bluesky" and not credentials.get("app_password"):
            raise CommandError("bluesky needs --app-password (made under Settings > App passwords)")
        if options["network"] == "reddit" and not {"client_id", "client_secret", "password"} <= set(credentials):
            raise CommandError("reddit needs --credential client_id=..., client_secret=... and password=...")
        if options["network"] == "youtube" and not (settings.get("channel_id") and credentials.get("api_key")):
            raise CommandError("youtube needs --option channel_id=UC... and --credential api_key=...")
        if options["network"] == "twitter" and credentials and not _twitter_access(credentials):
            raise CommandError(
                "twitter needs --token (an OAuth 2.0 user access token) or --credential consumer_key=..., "
                "consumer_secret=..., access_token=... and access_token_secret=... (OAuth 1.0a); without any it "
                "only receives imports"
            )
        if (
            options["network"] == "facebook"
            and (credentials or settings)
            and not (settings.get("page_id") and credentials.get("access_token"))
        ):
            raise CommandError(
                "facebook needs --option page_id=... and --token PAGE_ACCESS_TOKEN; without them it only "
                "receives imports"
            )
        if (
            options["network"] == "instagram"
            and (credentials or settings)
            and not (settings.get("ig_user_id") and credentials.get("access_token"))
        ):
            raise CommandError(
                "instagram needs --option ig_user_id=... and --token PAGE_ACCESS_TOKEN; without them it only "
                "receives imports"
            )
        if (
            options["network"] == "linkedin"
            and (credentials or settings)
            and not (settings.get("organization_id") and credentials.get("access_token"))
        ):
            raise CommandError(
                "linkedin needs --option organization_id=... and --token TOKEN; without them it only receives imports"
            )
        if options["network"] == "rss" and not settings.get("url"):
            raise CommandError("rss needs --option url=FEED_URL")
        try:
            channel = channel_create(
                organisation=organisation,
                network=options["network"],
                handle=options["handle"],
                display_name=options["display_name"],
                options=settings,
                credentials=credentials or None,
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(f"added channel {channel.id}: {channel}")
