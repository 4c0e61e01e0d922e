"""Writes for organisations, memberships and invitations."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from townsquare.orgs.models import Invitation, Membership, Organisation
from townsquare.orgs.roles import Role

INVITATION_LIFETIME = timedelta(days=14)


def organisation_create(
    *, slug: str, name: str, owner: AbstractUser | None = None, time_zone: str = "Europe/London"
) -> Organisation:
    if slugify(slug) != slug:
        raise ValidationError(f"slug {slug!r}: use lower-case letters, digits and hyphens, e.g. {slugify(slug)!r}")
    if Organisation.objects.filter(slug=slug).exists():
        raise ValidationError(f"an organisation with the slug {slug!r} already exists")
    with transaction.atomic():
        organisation = Organisation(slug=slug, name=name, time_zone=time_zone)
        organisation.full_clean()
        organisation.save()
        if owner is not None:
            Membership.objects.create(organisation=organisation, user=owner, role=Role.OWNER)
    return organisation


def user_create(*, username: str, email: str, password: str | None, superuser: bool = False) -> AbstractUser:
    users = get_user_model()
    if users.objects.filter(username=username).exists():
        raise ValidationError(f"a user called {username!r} already exists")
    if superuser:
        return users.objects.create_superuser(username=username, email=email, password=password)
    return users.objects.create_user(username=username, email=email, password=password)


def membership_set(*, organisation: Organisation, user: AbstractUser, role: str) -> Membership:
    if role not in Role.values:
        raise ValidationError(f"role {role!r}: expected one of {', '.join(Role.values)}")
    with transaction.atomic():
        membership, _ = Membership.objects.select_for_update().get_or_create(
            organisation=organisation, user=user, defaults={"role": role}
        )
        if membership.role != role:
            _ensure_an_owner_remains(membership, new_role=role)
            membership.role = role
            membership.save(update_fields=["role"])
    return membership


def membership_remove(*, membership: Membership) -> None:
    with transaction.atomic():
        _ensure_an_owner_remains(membership, new_role=None)
        membership.delete()


def _ensure_an_owner_remains(membership: Membership, *, new_role: str | None) -> None:
    if membership.role != Role.OWNER or new_role == Role.OWNER:
        return
    owners = Membership.objects.filter(organisation_id=membership.organisation_id, role=Role.OWNER)
    if owners.exclude(pk=membership.pk).count() == 0:
        raise ValidationError("an organisation needs at least one owner: make someone else owner first")


def invitation_create(
    *, organisation: Organisation, email: str, role: str, invited_by: AbstractUser, accept_url_for: Callable[[str], str]
) -> Invitation:
    """Create an invitation and e-mail its link; `accept_url_for(token)` builds the absolute link."""
    if role == Role.OWNER:
        raise ValidationError("invite as admin, then promote: owners are not invited directly")
    if role not in Role.values:
        raise ValidationError(f"role {role!r}: expected one of {', '.join(Role.values)}")
    invitation = Invitation.objects.create(
        organisation=organisation,
        email=email,
        role=role,
        invited_by=invited_by,
        expires_at=timezone.now() + INVITATION_LIFETIME,
    )
    send_mail(
        subject=f"You are invited to {organisation.name} on Townsquare",
        message=(
            f"{invited_by.get_username()} invited you to join {organisation.name} "
            f"as {invitation.get_role_display()}.\n\n"
            f"Accept within 14 days: {accept_url_for(invitation.token)}\n"
        ),
        from_email=None,
        recipient_list=[email],
    )
    return invitation


def invitation_accept(*, token: str, user: AbstractUser) -> Membership:
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().filter(token=token).first()
        if invitation is None:
            raise ValidationError("this invitation link is not valid")
        if invitation.accepted_at is not None:
            raise ValidationError("this invitation has already been used")
        if invitation.expires_at < timezone.now():
            raise ValidationError("this invitation has expired: ask for a new one")
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        existing = Membership.objects.filter(organisation=invitation.organisation, user=user).first()
        if existing is not None:
            return existing
        return Membership.objects.create(organisation=invitation.organisation, user=user, role=invitation.role)


def invitations_purge_expired() -> int:
    """Delete invitations that expired unused over a week ago; returns how many."""
    cutoff = timezone.now() - timedelta(days=7)
    deleted, _ = Invitation.objects.filter(accepted_at__isnull=True, expires_at__lt=cutoff).delete()
    return deleted
