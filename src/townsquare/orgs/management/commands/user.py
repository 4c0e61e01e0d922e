import getpass
import os

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from townsquare.orgs.services import user_create


class Command(BaseCommand):
    help = "Manage users: create one (password from --password-file, $TOWNSQUARE_PASSWORD or a prompt)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a user")
        create.add_argument("username")
        create.add_argument("--email", default="")
        create.add_argument("--password-file", help="read the password from this file")
        create.add_argument("--superuser", action="store_true", help="may use the operators' admin site")

    def handle(self, *args, action, username, email, password_file, superuser, **options):
        if password_file:
            with open(password_file, encoding="utf-8") as handle:
                password = handle.read().strip()
        elif os.environ.get("TOWNSQUARE_PASSWORD"):
            password = os.environ["TOWNSQUARE_PASSWORD"]
        else:
            password = getpass.getpass(f"Password for {username}: ")
        try:
            user = user_create(username=username, email=email, password=password, superuser=superuser)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(f"created user {user.username}")
