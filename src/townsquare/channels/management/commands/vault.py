from django.core.management.base import BaseCommand

from townsquare.channels.services import channels_reencrypt
from townsquare.vault.crypto import generate_key


class Command(BaseCommand):
    help = (
        "The credentials vault. Rotation: put a new key first in TOWNSQUARE_VAULT_KEY "
        "(new,old), run `townsquare vault rotate`, then drop the old key."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("generate-key", help="print a new random key")
        sub.add_parser("rotate", help="re-encrypt every stored secret under the first key")

    def handle(self, *args, action, **options):
        if action == "generate-key":
            self.stdout.write(generate_key())
        else:
            self.stdout.write(f"re-encrypted {channels_reencrypt()} channel credentials under the newest key")
