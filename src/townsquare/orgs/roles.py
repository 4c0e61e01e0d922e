"""Roles and what each may do. One table, so a role's powers are read in one place."""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    EDITOR = "editor", "Editor"
    CONTRIBUTOR = "contributor", "Contributor (ambassador)"
    VIEWER = "viewer", "Viewer"


class Permission(models.TextChoices):
    VIEW = "view"
    DRAFT = "draft"  # write drafts and replies that may need approval
    PUBLISH = "publish"  # publish, reply and approve without approval
    MANAGE_CHANNELS = "manage_channels"
    MANAGE_TEAM = "manage_team"
    MANAGE_OWNERS = "manage_owners"
    IMPORT_EXPORT = "import_export"


ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.OWNER: frozenset(Permission.values),
    Role.ADMIN: frozenset(set(Permission.values) - {Permission.MANAGE_OWNERS}),
    Role.EDITOR: frozenset({Permission.VIEW, Permission.DRAFT, Permission.PUBLISH, Permission.IMPORT_EXPORT}),
    Role.CONTRIBUTOR: frozenset({Permission.VIEW, Permission.DRAFT}),
    Role.VIEWER: frozenset({Permission.VIEW}),
}


def role_can(role: str, permission: str) -> bool:
    return permission in ROLE_PERMISSIONS.get(role, frozenset())
