"""Roles, invitations, sign-in and password reset."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from tests.conftest import PASSWORD
from townsquare.orgs.models import Invitation, Membership
from townsquare.orgs.roles import Permission, Role, role_can
from townsquare.orgs.services import membership_remove, membership_set


def test_role_table():
    assert role_can(Role.CONTRIBUTOR, Permission.DRAFT) and not role_can(Role.CONTRIBUTOR, Permission.PUBLISH)
    assert role_can(Role.EDITOR, Permission.PUBLISH) and not role_can(Role.EDITOR, Permission.MANAGE_TEAM)
    assert role_can(Role.ADMIN, Permission.MANAGE_TEAM) and not role_can(Role.ADMIN, Permission.MANAGE_OWNERS)
    assert role_can(Role.VIEWER, Permission.VIEW) and not role_can(Role.VIEWER, Permission.IMPORT_EXPORT)


def test_invitation_is_emailed_and_accepted_by_a_new_account(client_for, organisation, client):
    owner = client_for("owner")
    response = owner.post(
        reverse("team", kwargs={"org_slug": organisation.slug}),
        {"email": "new.ambassador@example.org", "role": "contributor"},
    )
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["new.ambassador@example.org"]
    link = re.search(r"http://testserver(/invitations/\S+/)", mail.outbox[0].body).group(1)
    client.logout()
    page = client.get(link)
    assert b"Contributor" in page.content
    client.post(
        link, {"username": "newbie", "password": "correct-horse-battery", "password_again": "correct-horse-battery"}
    )
    membership = Membership.objects.get(user__username="newbie")
    assert membership.organisation == organisation and membership.role == Role.CONTRIBUTOR
    assert client.get(link).status_code == 404  # used once only


def test_expired_invitations_are_refused(client, organisation, people):
    invitation = Invitation.objects.create(
        organisation=organisation, email="late@example.org", expires_at=timezone.now() - timedelta(minutes=1)
    )
    assert client.get(reverse("invitation", args=[invitation.token])).status_code == 404


@pytest.mark.parametrize("role", ["editor", "contributor", "viewer"])
def test_only_admins_and_owners_invite_or_change_roles(client_for, organisation, people, role):
    client = client_for(role)
    client.post(reverse("team", kwargs={"org_slug": organisation.slug}), {"email": "x@example.org", "role": "admin"})
    assert Invitation.objects.count() == 0
    viewer = Membership.objects.get(user=people["viewer"])
    url = reverse("member_role", kwargs={"org_slug": organisation.slug, "member_id": viewer.id})
    assert client.post(url, {"role": "admin"}).status_code == 403


def test_an_admin_cannot_make_owners_but_an_owner_can(client_for, organisation, people):
    editor = Membership.objects.get(user=people["editor"])
    url = reverse("member_role", kwargs={"org_slug": organisation.slug, "member_id": editor.id})
    client_for("admin").post(url, {"role": "owner"})
    editor.refresh_from_db()
    assert editor.role == Role.EDITOR
    client_for("owner").post(url, {"role": "owner"})
    editor.refresh_from_db()
    assert editor.role == Role.OWNER


def test_the_last_owner_cannot_leave_or_be_demoted(organisation, people):
    owner = Membership.objects.get(user=people["owner"])
    with pytest.raises(ValidationError):
        membership_set(organisation=organisation, user=people["owner"], role=Role.ADMIN)
    with pytest.raises(ValidationError):
        membership_remove(membership=owner)


def test_sign_in_sign_out_and_password_reset_by_email(client, people):
    response = client.post(reverse("login"), {"username": "editor", "password": PASSWORD})
    assert response.status_code == 302
    client.post(reverse("logout"))
    client.post(reverse("password_reset"), {"email": "editor@example.org"})
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form_url = client.get(link).url
    client.post(form_url, {"new_password1": "brand-new-password-42", "new_password2": "brand-new-password-42"})
    assert client.login(username="editor", password="brand-new-password-42")


def test_viewers_see_posts_but_not_export(client_for, organisation):
    client = client_for("viewer")
    assert client.get(reverse("posts", kwargs={"org_slug": organisation.slug})).status_code == 200
    assert client.get(reverse("post_export", kwargs={"org_slug": organisation.slug})).status_code == 403
