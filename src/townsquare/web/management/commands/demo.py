import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from townsquare.demo import DEMO_PASSWORD, demo_organisation_ensure


class Command(BaseCommand):
    help = "Run the demo on the embedded default: web server, worker and a simulated public. Ctrl-C stops all."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("TOWNSQUARE_PORT", "8000")))
        parser.add_argument("--speed", type=float, default=5.0, help="simulated seconds per real second")

    def handle(self, *args, port: int, speed: float, **options):
        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
        call_command("migrate", interactive=False, verbosity=0)
        organisation, created = demo_organisation_ensure()
        if created:
            self.stdout.write(f"created the demo organisation {organisation.name} with a week of history")
        # A service manager or `timeout` stops the demo with SIGTERM: stop the children then too.
        signal.signal(signal.SIGTERM, _interrupt)
        command = [sys.executable, "-m", "townsquare"]
        children = [
            subprocess.Popen([*command, "serve", "--port", str(port)]),
            subprocess.Popen([*command, "worker"]),
            subprocess.Popen(
                [*command, "simulate", "--org", organisation.slug, "--speed", str(speed)], stdout=subprocess.DEVNULL
            ),
        ]
        self.stdout.write(
            self.style.SUCCESS(
                f"\nTownsquare demo: http://127.0.0.1:{port}/\n"
                f"Log in as demo / {DEMO_PASSWORD} (owner). Team members: sam.admin, priya.editor, "
                f"lee.ambassador, morgan.viewer, same password.\nCtrl-C stops everything.\n"
            )
        )
        try:
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
            failed = [child.args[3] for child in children if child.poll() not in (None, 0)]
            if failed:
                self.stderr.write(f"stopped: the {', '.join(failed)} process ended unexpectedly")
        except KeyboardInterrupt:
            pass
        finally:
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGINT)
            for child in children:
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt
