import json

from django.core.management.base import BaseCommand

from townsquare.lookups import organisation_by_slug
from townsquare.publishing.selectors import publishing_stats


class Command(BaseCommand):
    help = "Figures for an organisation. `stats publishing`: posts by state."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="area", required=True)
        publishing = sub.add_parser("publishing", help="drafts, awaiting approval, scheduled, published, failed")
        publishing.add_argument("--org", required=True)
        publishing.add_argument("--json", dest="as_json", action="store_true", help="one JSON object")

    def handle(self, *args, area: str, org: str, as_json: bool, **options):
        figures = publishing_stats(organisation=organisation_by_slug(org))
        if as_json:
            self.stdout.write(json.dumps(figures))
            return
        for name, value in figures.items():
            self.stdout.write(f"{name.replace('_', ' ')}: {value}")
