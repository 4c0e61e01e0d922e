"""What to ask a network's public search for, so that every post a listening query could match is found.

A query is searched by its anchors, as the matcher indexes it (`listening.matcher.anchors`): for an AND (or a
NEAR) the rarest child that can be searched, for an OR every branch. Any post matching the query carries one
of its search terms, so the network's answers are a superset that the matcher then narrows. A query none of
whose anchors a network can search (a wildcard, only `lang:`, `followers:`...) is reported, not dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from townsquare.listening import parse
from townsquare.listening.ast import And, Exact, Field, Near, Node, Or, Phrase, Term
from townsquare.listening.matcher import static_share
from townsquare.listening.tokens import fold

# The kinds a SearchTerm can be; each connector says which of them its network's search understands.
TERM_KINDS = ("word", "phrase", "hashtag", "mention", "author", "domain")
FIELD_KINDS = {"hashtags": "hashtag", "mentions": "mention", "author": "author", "links": "domain"}
# Fields are rarer than words (the matcher's own estimates), so an AND is searched by its field when it has one.
FIELD_SHARE = 0.004


@dataclass(frozen=True, order=True)
class SearchTerm:
    kind: str  # one of TERM_KINDS
    value: str  # folded: a word, words joined by one space, a tag or handle without # or @, a domain

    @property
    def key(self) -> str:
        """The term's name in the channel's search cursor."""
        return f"{self.kind}:{self.value}"

    @property
    def label(self) -> str:
        """As a person would write it."""
        if self.kind == "phrase":
            return f'"{self.value}"'
        return {"hashtag": "#", "mention": "@", "author": "author:", "domain": "site:"}.get(self.kind, "") + self.value


def terms_for(node: Node, kinds: frozenset[str]) -> tuple[float, frozenset[SearchTerm]] | None:
    """(estimated share of posts, terms) such that any post matching `node` has one of the terms, using only
    the term kinds in `kinds`; None when there is no such set."""
    match node:
        case Term(token):
            return _leaf(SearchTerm("word", token), static_share(token), kinds)
        case Exact(tokens) | Phrase(tokens):
            folded = tuple(fold(token) for token in tokens)
            if len(folded) == 1:
                return _leaf(SearchTerm("word", folded[0]), static_share(folded[0]), kinds)
            return _leaf(SearchTerm("phrase", " ".join(folded)), min(map(static_share, folded)) / 4, kinds)
        case Field(name, value) if name in FIELD_KINDS:
            return _leaf(SearchTerm(FIELD_KINDS[name], value), FIELD_SHARE, kinds)
        case And(children) | Near(operands=children):
            options = [found for found in (terms_for(child, kinds) for child in children) if found is not None]
            return min(options, key=lambda found: (found[0], sorted(found[1]))) if options else None
        case Or(children):
            parts = [terms_for(child, kinds) for child in children]
            if any(part is None for part in parts):
                return None
            return min(1.0, sum(part[0] for part in parts)), frozenset().union(*(part[1] for part in parts))
    # Wildcards, NOT, followers and the fields no search offers (lang, network, country).
    return None


def _leaf(term: SearchTerm, share: float, kinds: frozenset[str]) -> tuple[float, frozenset[SearchTerm]] | None:
    return (share, frozenset({term})) if term.kind in kinds else None


@dataclass(frozen=True)
class SearchPlan:
    terms: tuple[SearchTerm, ...]
    # Query id -> its name, for the queries this network's search cannot serve.
    unsearchable: dict[Any, str]


def search_plan(queries: Mapping[Any, tuple[str, str]], kinds: frozenset[str]) -> SearchPlan:
    """The terms to search for `queries` (id -> (name, text)), each once, in a stable order."""
    terms: set[SearchTerm] = set()
    unsearchable: dict[Any, str] = {}
    for query_id, (name, text) in queries.items():
        found = terms_for(parse(text), kinds)
        if found is None:
            unsearchable[query_id] = name
        else:
            terms.update(found[1])
    return SearchPlan(terms=tuple(sorted(terms)), unsearchable=unsearchable)
