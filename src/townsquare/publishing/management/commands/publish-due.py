import time

from django.core.management.base import BaseCommand

from townsquare.publishing.claims import worker_name
from townsquare.publishing.publisher import scheduled_posts_publish_due


class Command(BaseCommand):
    help = "Publish the scheduled posts that are due. With --loop, keep doing so (a publishing worker)."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="keep running until stopped")
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between checks with --loop")
        parser.add_argument("--batch", type=int, default=10, help="posts claimed at a time")

    def handle(self, *args, loop: bool, interval: float, batch: int, **options):
        worker = worker_name()
        while True:
            result = scheduled_posts_publish_due(worker=worker, batch=batch)
            if not loop:
                self.stdout.write(
                    f"published {len(result.published)}, retrying {len(result.retrying)}, failed {len(result.failed)}"
                )
                return
            time.sleep(interval)
