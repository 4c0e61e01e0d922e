"""Organisations (workspaces), their members and roles, invitations, and the one place access is checked."""
