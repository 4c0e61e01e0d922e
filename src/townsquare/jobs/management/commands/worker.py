from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run a background-job consumer (Huey): SQLite queue embedded, Redis when REDIS_URL is set."

    def add_arguments(self, parser):
        parser.add_argument("--workers", type=int, default=2, help="worker threads in this process")

    def handle(self, *args, workers: int, **options):
        call_command("run_huey", workers=workers, worker_type="thread")
