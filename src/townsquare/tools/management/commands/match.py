import sys

from django.core.management.base import BaseCommand, CommandError

from townsquare.listening.cli import run_match


class Command(BaseCommand):
    help = (
        "Match posts (JSONL in the normalised form) against listening queries (id<TAB>query lines); writes "
        "post_id<TAB>query_id per match and reports unreadable queries on stderr without stopping."
    )

    def add_arguments(self, parser):
        parser.add_argument("--queries", required=True)
        parser.add_argument("--posts", required=True)
        parser.add_argument("--out", help="default: standard output")

    def handle(self, *args, queries: str, posts: str, out: str | None, **options):
        try:
            handle = open(out, "w", encoding="utf-8") if out else sys.stdout  # noqa: SIM115
        except OSError as error:
            raise CommandError(f"{out}: {error.strerror}") from error
        try:
            status = run_match(queries, posts, handle, sys.stderr)
        finally:
            if out:
                handle.close()
        if status:
            sys.exit(status)
