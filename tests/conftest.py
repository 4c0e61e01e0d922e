"""Canonical people and organisations for every test: an owner, a member of each role, and an outsider who
belongs to another organisation."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from townsquare.orgs.models import Organisation
from townsquare.orgs.roles import Role
from townsquare.orgs.services import membership_set, organisation_create

ON_CI = os.environ.get("CI", "").lower() == "true"
SHARED_DATA = Path(
    os.environ.get("TOWNSQUARE_SHARED_DATA", Path(__file__).resolve().parents[1] / ".." / "shared" / "data")
)
PASSWORD = "a-long-test-password"


def require_service(name: str, problem: str | None) -> None:
    """Skip where a real service is missing, but fail on CI, where every service is required."""
    if problem is None:
        return
    if ON_CI:
        pytest.fail(f"{name} is required on CI: {problem}")
    pytest.skip(f"{name} not available here: {problem}")


def shared_data(relative: str) -> Path:
    path = SHARED_DATA / relative
    if not path.exists():
        require_service("the shared data folder", f"{path} is absent (set TOWNSQUARE_SHARED_DATA)")
    return path


@pytest.fixture
def make_user(db):
    def make(username: str):
        return get_user_model().objects.create_user(
            username=username, email=f"{username}@example.org", password=PASSWORD
        )

    return make


@pytest.fixture
def organisation(db) -> Organisation:
    return organisation_create(slug="northfield", name="Northfield Council")


@pytest.fixture
def other_organisation(db) -> Organisation:
    return organisation_create(slug="southby", name="Southby Council")


@pytest.fixture
def people(organisation, other_organisation, make_user) -> dict:
    """One user per role in `organisation`, and an outsider who is owner of `other_organisation`."""
    users = {}
    for role in Role.values:
        users[role] = make_user(role)
        membership_set(organisation=organisation, user=users[role], role=role)
    users["outsider"] = make_user("outsider")
    membership_set(organisation=other_organisation, user=users["outsider"], role=Role.OWNER)
    return users


@pytest.fixture
def client_for(client, people):
    def login(who: str):
        client.force_login(people[who])
        return client

    return login
