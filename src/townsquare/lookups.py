"""Finding users and organisations by name for the command line, with errors that say what to do."""

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.management.base import CommandError

from townsquare.orgs.models import Organisation


def user_by_name(username: str) -> AbstractBaseUser:
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"no user called {username!r} (create one with: townsquare user create)")
    return user


def organisation_by_slug(slug: str) -> Organisation:
    organisation = Organisation.objects.filter(slug=slug).first()
    if organisation is None:
        raise CommandError(f"no organisation with the slug {slug!r} (see: townsquare org list)")
    return organisation
