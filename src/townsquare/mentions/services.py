"""Writes to listening queries. Each keeps this process's matcher current (one query added or removed).

Applied at once rather than on commit: the cache re-checks the database on the next batch anyway, so a
rolled-back change is undone there (matching.py).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

from townsquare.listening import QueryError, parse, to_text
from townsquare.mentions.matching import matcher_apply, matcher_drop
from townsquare.mentions.models import ListeningQuery, QueryKind
from townsquare.orgs.models import Organisation


def query_canonical(text: str) -> str:
    """The canonical form of a query; ValidationError (with the column) when it cannot be read."""
    try:
        return to_text(parse(text))
    except QueryError as error:
        raise ValidationError(f"column {error.column}: {error.message}") from error


def query_create(
    *, organisation: Organisation, name: str, text: str, kind: str = QueryKind.TOPIC, created_by=None
) -> ListeningQuery:
    query = ListeningQuery(
        organisation=organisation, name=name, text=query_canonical(text), kind=kind, created_by=created_by
    )
    query.full_clean()
    query.save()
    matcher_apply(query)
    return query


def query_update(*, query: ListeningQuery, name: str, text: str, kind: str) -> ListeningQuery:
    query.name, query.text, query.kind = name, query_canonical(text), kind
    query.full_clean()
    query.save()
    matcher_apply(query)
    return query


def query_set_paused(*, query: ListeningQuery, paused: bool) -> ListeningQuery:
    query.paused = paused
    query.save(update_fields=["paused", "updated_at"])
    matcher_apply(query)
    return query


def query_delete(*, query: ListeningQuery) -> None:
    organisation_id, query_id = query.organisation_id, query.id
    query.delete()  # its mentions go with it
    matcher_drop(organisation_id=organisation_id, query_id=query_id)
