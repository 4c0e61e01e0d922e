import sys

from django.core.management.base import BaseCommand

from townsquare.enrichment import ENRICHERS
from townsquare.enrichment.cli import run_classify


class Command(BaseCommand):
    help = "Label posts (JSONL with text, optional title): writes each object back with `label` and `score`."

    def add_arguments(self, parser):
        parser.add_argument("--task", required=True, choices=list(ENRICHERS))
        parser.add_argument("--in", dest="in_path", required=True)
        parser.add_argument("--out", dest="out_path", required=True)

    def handle(self, *args, task: str, in_path: str, out_path: str, **options):
        status = run_classify(task, in_path, out_path, sys.stderr)
        if status:
            sys.exit(status)
