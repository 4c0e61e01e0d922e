from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from townsquare.lookups import organisation_by_slug, user_by_name
from townsquare.orgs.models import Organisation
from townsquare.orgs.services import membership_set, organisation_create


class Command(BaseCommand):
    help = "Manage organisations: create, list, add a member."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create an organisation")
        create.add_argument("slug")
        create.add_argument("--name", required=True)
        create.add_argument("--owner", help="username of its first owner")
        create.add_argument("--time-zone", default="Europe/London")
        sub.add_parser("list", help="list organisations")
        member = sub.add_parser("member", help="add a user to an organisation, or change their role")
        member.add_argument("slug")
        member.add_argument("username")
        member.add_argument("--role", required=True)

    def handle(self, *args, action, **options):
        try:
            if action == "create":
                owner = user_by_name(options["owner"]) if options["owner"] else None
                organisation = organisation_create(
                    slug=options["slug"], name=options["name"], owner=owner, time_zone=options["time_zone"]
                )
                self.stdout.write(f"created organisation {organisation.slug} ({organisation.name})")
            elif action == "list":
                for organisation in Organisation.objects.all():
                    self.stdout.write(
                        f"{organisation.slug}\t{organisation.name}\t{organisation.memberships.count()} members"
                    )
            else:
                organisation = organisation_by_slug(options["slug"])
                membership = membership_set(
                    organisation=organisation, user=user_by_name(options["username"]), role=options["role"]
                )
                self.stdout.write(f"{membership.user.username} is {membership.role} of {organisation.slug}")
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
