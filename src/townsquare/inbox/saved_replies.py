"""Saved replies: canned text with placeholders filled in for one conversation and one member."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

from townsquare.inbox.models import Conversation, SavedReply
from townsquare.orgs.models import Organisation

PLACEHOLDERS = ("contact_name", "contact_handle", "organisation", "agent_name")
PLACEHOLDER = re.compile(r"\{(\w*)\}")


def check_placeholders(body: str) -> None:
    """Refuse unknown placeholders, naming them, so a typo is not sent to someone as `{contact_nmae}`."""
    unknown = sorted({name for name in PLACEHOLDER.findall(body) if name not in PLACEHOLDERS})
    if unknown:
        names = ", ".join("{" + name + "}" for name in unknown)
        known = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
        raise ValidationError(f"Unknown placeholder(s): {names}. Use only {known}.")


def saved_reply_save(*, reply: SavedReply) -> SavedReply:
    check_placeholders(reply.body)
    reply.save()
    return reply


def saved_reply_fill(*, reply: SavedReply, conversation: Conversation, agent) -> str:
    identity = conversation.participant or (conversation.root_post.author if conversation.root_post else None)
    handle = identity.handle if identity else ""
    values = {
        "contact_name": str(conversation.contact or (identity.display_name if identity else "") or handle),
        "contact_handle": f"@{handle}" if handle else "",
        "organisation": conversation.organisation.name,
        "agent_name": agent.get_full_name() or agent.get_username(),
    }
    # A substitution, not str.format: other braces in the text stay as written.
    return PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), reply.body)


def saved_replies_for(organisation: Organisation):
    return SavedReply.objects.filter(organisation=organisation)
