import time

from django.core.management.base import BaseCommand

from townsquare.lookups import organisation_by_slug
from townsquare.networks.sandbox.services import sandbox_public_for, sandbox_simulate


class Command(BaseCommand):
    help = "Keep a simulated public posting on the sandbox network for an organisation (Ctrl-C stops)."

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True)
        parser.add_argument("--interval", type=float, default=3.0, help="seconds between ticks")
        parser.add_argument("--speed", type=float, default=1.0, help="simulated seconds per real second")
        parser.add_argument("--seed", type=int)

    def handle(self, *args, org: str, interval: float, speed: float, seed, **options):
        organisation = organisation_by_slug(org)
        public = sandbox_public_for(organisation=organisation, seed=seed)
        try:
            while True:
                stored = sandbox_simulate(organisation=organisation, public=public, seconds=interval * speed)
                if stored:
                    self.stdout.write(f"simulated {stored} new posts", ending="\n")
                time.sleep(interval)
        except KeyboardInterrupt:
            return
