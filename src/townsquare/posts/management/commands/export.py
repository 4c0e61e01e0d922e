import csv
import json
import sys
from contextlib import nullcontext
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from townsquare.lookups import organisation_by_slug
from townsquare.posts.selectors import PostFilters, post_list
from townsquare.posts.serialise import CSV_COLUMNS, post_to_csv_row, post_to_json


class Command(BaseCommand):
    help = "Export an organisation's posts (optionally filtered) as JSONL in the normalised form, or CSV."

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True)
        parser.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
        parser.add_argument("--out", type=Path, help="default: standard output")
        parser.add_argument("--text", default="", help="only posts containing all these words")
        parser.add_argument("--network", default="")
        parser.add_argument("--author", default="")
        parser.add_argument("--lang", default="")
        parser.add_argument("--since", type=date.fromisoformat, help="YYYY-MM-DD")
        parser.add_argument("--until", type=date.fromisoformat, help="YYYY-MM-DD")

    def handle(self, *args, org: str, **options):
        organisation = organisation_by_slug(org)
        filters = PostFilters(
            text=options["text"],
            network=options["network"],
            author=options["author"],
            language=options["lang"],
            since=options["since"],
            until=options["until"],
        )
        posts = post_list(organisation=organisation, filters=filters).iterator(chunk_size=1000)
        try:
            out = options["out"].open("w", encoding="utf-8", newline="") if options["out"] else nullcontext(sys.stdout)
        except OSError as error:
            raise CommandError(f"{options['out']}: {error.strerror}") from error
        count = 0
        with out as handle:
            if options["format"] == "csv":
                writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
                writer.writeheader()
                for post in posts:
                    writer.writerow(post_to_csv_row(post))
                    count += 1
            else:
                for post in posts:
                    handle.write(json.dumps(post_to_json(post), ensure_ascii=False) + "\n")
                    count += 1
        self.stderr.write(f"exported {count} posts")
