import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from townsquare.inbox.figures import inbox_figures
from townsquare.lookups import organisation_by_slug
from townsquare.publishing.reciprocity import reciprocity_weeks
from townsquare.publishing.selectors import publishing_stats


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date; expected YYYY-MM-DD") from None


class Command(BaseCommand):
    help = "Figures of an organisation's work: `stats inbox` (response times, breaches), `stats publishing`."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="area", required=True)
        inbox = sub.add_parser("inbox", help="conversations, first response and resolution times, breaches")
        inbox.add_argument("--since", type=_date, help="first public message on or after this day")
        inbox.add_argument("--until", type=_date, help="first public message on or before this day")
        publishing = sub.add_parser("publishing", help="drafts, awaiting approval, scheduled, published, failed")
        reciprocity = sub.add_parser("reciprocity", help="per week: engagement given to others vs asks made")
        reciprocity.add_argument("--weeks", type=int, default=8, help="how many ISO weeks, newest first")
        for area in (inbox, publishing, reciprocity):
            area.add_argument("--org", required=True)
            area.add_argument("--json", dest="as_json", action="store_true", help="one JSON object")

    def handle(self, *args, area: str, org: str, as_json: bool, **options):
        organisation = organisation_by_slug(org)
        if area == "reciprocity":
            figures = {
                "weeks": [w.as_dict() for w in reciprocity_weeks(organisation=organisation, weeks=options["weeks"])]
            }
        elif area == "inbox":
            figures = inbox_figures(organisation=organisation, since=options["since"], until=options["until"])
        else:
            figures = publishing_stats(organisation=organisation)
        if as_json:
            self.stdout.write(json.dumps(figures))
            return
        for name, value in figures.items():
            self.stdout.write(f"{name.replace('_', ' ')}: {value}")
