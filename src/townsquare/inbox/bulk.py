"""One change applied to many conversations at once, each recorded as its own event."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db import transaction

from townsquare.inbox.models import Conversation
from townsquare.orgs.models import Organisation


def conversations_bulk_change(
    *, organisation: Organisation, conversation_ids: Iterable[int], change: Callable[[Conversation], object]
) -> int:
    """Apply `change` (one of the services) to the organisation's conversations among the ids given.

    Ids of other organisations' conversations are ignored; all or nothing, so a refused change (ValueError)
    leaves every conversation as it was."""
    conversations = Conversation.objects.filter(organisation=organisation, pk__in=list(conversation_ids))
    with transaction.atomic():
        changed = 0
        for conversation in conversations.select_for_update():
            change(conversation)
            changed += 1
    return changed
