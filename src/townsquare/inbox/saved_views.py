"""A member's own saved views: named sets of inbox filters, per member and organisation."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from townsquare.inbox.models import SavedView
from townsquare.inbox.selectors import InboxFilters
from townsquare.orgs.models import Organisation


def saved_views_for(*, organisation: Organisation, user) -> QuerySet[SavedView]:
    return SavedView.objects.filter(organisation=organisation, user=user)


def saved_view_create(*, organisation: Organisation, user, name: str, filters: InboxFilters) -> SavedView:
    name = name.strip()
    if not name:
        raise ValueError("name: give the view a name")
    if len(name) > 100:
        raise ValueError("name: at most 100 characters")
    try:
        with transaction.atomic():
            return SavedView.objects.create(organisation=organisation, user=user, name=name, filters=filters.as_query())
    except IntegrityError:
        raise ValueError(f"name: you already have a view called {name!r}") from None
