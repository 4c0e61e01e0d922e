import sys

from django.core.management.base import BaseCommand

from townsquare.listening import bench as listening_bench


class Command(BaseCommand):
    help = "Benchmarks side by side with the named peer: `bench listening` (against SQLite FTS5)."

    def add_arguments(self, parser):
        parser.add_argument("engine", choices=["listening"])
        parser.add_argument("options", nargs="*", help="passed on, e.g. -- --queries 1000,10000")

    def handle(self, *args, engine: str, options: list[str], **kwargs):
        sys.exit(listening_bench.main(options))
