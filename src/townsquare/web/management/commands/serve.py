from django.conf import settings
from django.core.management.base import BaseCommand
from waitress import serve

from townsquare.config.wsgi import application


class Command(BaseCommand):
    help = "Serve the workplace with waitress (put a TLS-terminating proxy in front in production)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)

    def handle(self, *args, host: str, port: int, threads: int, **options):
        self.stdout.write(f"serving on http://{host}:{port}/ (debug={'on' if settings.DEBUG else 'off'})")
        serve(application, host=host, port=port, threads=threads, ident="townsquare")
