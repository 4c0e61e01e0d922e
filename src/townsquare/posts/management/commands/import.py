import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from townsquare.ingest.exports import EXPORT_READERS
from townsquare.ingest.importer import detect_format, import_file
from townsquare.ingest.readers import MappingError, parse_mapping
from townsquare.lookups import organisation_by_slug
from townsquare.networks.registry import NETWORKS

SHOWN_ERRORS = 50


class Command(BaseCommand):
    help = (
        "Import posts from JSONL (the normalised form, docs/post-schema.md) or CSV with --map field=column,... "
        "Re-importing stores nothing twice; bad rows are reported by line and the rest still imports."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--org", required=True)
        parser.add_argument(
            "--format",
            choices=["jsonl", "csv", *EXPORT_READERS],
            help="default: from the file name; x-archive (tweets.js), facebook (your_posts_1.json) and instagram "
            "(posts_1.json) read a network's own export, reporting rows by position in it",
        )
        parser.add_argument("--author", default="", help="exports: the handle of the account that wrote the posts")
        parser.add_argument("--map", default="", help="CSV columns, e.g. id=tweet_id,author=author_id,text=text")
        parser.add_argument(
            "--network",
            default="twitter",
            choices=list(NETWORKS),
            help="network of rows that do not name one (default: twitter)",
        )
        parser.add_argument("--date-format", help="strptime format of created_at, e.g. '%%m/%%d/%%Y %%H:%%M'")
        parser.add_argument("--errors", type=Path, help="write every rejected row (line<TAB>reason) to this file")

    def handle(self, *args, file: Path, org: str, **options):
        organisation = organisation_by_slug(org)
        if not file.is_file():
            raise CommandError(f"{file}: no such file")
        try:
            file_format = options["format"] or detect_format(file)
            mapping = parse_mapping(options["map"]) if options["map"] else None
            bar = tqdm(
                total=file.stat().st_size,
                unit="B",
                unit_scale=True,
                desc=file.name,
                disable=not sys.stderr.isatty(),
                file=sys.stderr,
            )
            with bar:
                report = import_file(
                    organisation=organisation,
                    path=file,
                    file_format=file_format,
                    mapping=mapping,
                    network=options["network"],
                    date_format=options["date_format"],
                    progress=lambda done: bar.update(done - bar.n),
                    author=options["author"].lstrip("@"),
                )
        except (MappingError, ValueError) as error:
            raise CommandError(str(error)) from error
        for error in report.rejected[:SHOWN_ERRORS]:
            self.stderr.write(f"{file}:{error.line}: rejected: {error.reason}")
        if len(report.rejected) > SHOWN_ERRORS:
            self.stderr.write(f"... and {len(report.rejected) - SHOWN_ERRORS} more rejected rows (see --errors)")
        if options["errors"]:
            options["errors"].write_text("".join(f"{error.line}\t{error.reason}\n" for error in report.rejected))
        self.stdout.write(report.summary())
