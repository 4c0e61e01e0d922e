"""Matching many stored queries against each incoming post (a percolator).

Like Lucene's Monitor presearcher, each query is indexed under a few "anchor" keys chosen so that any
post matching the query must carry at least one of them: its rarest required term (by the document
frequencies the caller gives, else a static estimate), the rarest word pair of a phrase, a wildcard's
prefix bucket, a field value. A post meets its candidate queries with one C-level set intersection of
its distinct tokens (and word pairs) with the index's keys. Queries the key alone proves (a term, a
two-word phrase, an OR of those, a field) are added to the answer as a whole set per key; the others
are verified with their compiled checks. Adding or removing a query touches only its own keys.

Queries made of words, phrases, trailing-* wildcards, AND, OR, NOT and NEAR are filed in the compiled
core (`_native.c`) when it is built: the same keys and the same checks, run in C on the post's token
ids. The others (fields, exact case, `?` wildcards) stay in the Python slots below, which also serve
every query where no C compiler was at hand.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any

from .ast import And, Exact, Field, Followers, Near, Node, Not, Or, Phrase, Term, Wildcard, requires_something
from .compile import Check, compile_query
from .parser import parse
from .tokens import Post, fold, fold_tokens, prepare_post, searchable_text, tokenize

try:
    from . import _native
except ImportError:  # installed without a C compiler: the Python slots serve every query
    _native = None

NATIVE_CORE = _native is not None

PREFIX_MAX = 3  # wildcard buckets use at most this many leading characters
# The three indexes a key can live in: a post's distinct tokens, its adjacent word pairs, and the rest
# (wildcard prefix buckets and field values, computed per post only for the kinds some query uses).
TOKEN, PAIR, OTHER = 0, 1, 2
Key = tuple[int, Hashable]
Share = Callable[[str], float]

# Without statistics: a rough share of posts carrying a key; only the ordering matters.
# fmt: off
_COMMON_WORDS = frozenset([
    "the", "a", "an", "and", "or", "of", "to", "in", "on", "at", "for", "is", "are", "was", "be", "it",
    "this", "that", "with", "you", "your", "i", "my", "me", "we", "our", "not", "no", "so", "but", "just",
    "have", "has", "do", "can", "will", "from", "by", "as", "all", "if", "get", "up", "out", "now", "rt",
    "amp",
])
# fmt: on
_FIELD_SHARE = {
    "hashtags": 0.005,
    "mentions": 0.005,
    "author": 0.003,
    "links": 0.005,
    "lang": 0.4,
    "network": 0.4,
    "country": 0.3,
}  # fmt: skip
_FOLLOWERS_SHARE = 1.0
# A prefix bucket of 1, 2 or 3 characters holds many words; checking a wildcard also scans the post.
_PREFIX_SHARE = {1: 0.5, 2: 0.2, 3: 0.06}
# A pair of adjacent words is much rarer than either word.
_PAIR_FACTOR = 0.25


def static_share(token: str) -> float:
    """Estimated share of posts holding `token` when no statistics are given: common words and short
    tokens are frequent."""
    if token in _COMMON_WORDS:
        return 0.2
    return {1: 0.08, 2: 0.04, 3: 0.015, 4: 0.008, 5: 0.005}.get(len(token), 0.003)


def frequency_share(document_frequency: Mapping[str, int], documents: int) -> Share:
    """The share of posts holding a token, from document frequencies (unseen tokens count as rare)."""
    total = documents + 1
    return lambda token: (document_frequency.get(token, 0) + 1) / total


def document_frequency(texts: Iterable[str]) -> Counter[str]:
    """How many of `texts` hold each token: the statistics for `Matcher(document_frequency, documents)`
    (a deployed matcher takes them from the organisation's stored posts)."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(set(tokenize(text)))
    return counts


def anchors(node: Node, share: Share = static_share) -> tuple[float, frozenset[Key]] | None:
    """(estimated share of posts, keys) such that any post matching `node` has one of the keys; None
    when `node` requires nothing (a NOT)."""
    match node:
        case Term(token):
            return share(token), frozenset(((TOKEN, token),))
        case Phrase(tokens):
            pair = min(zip(tokens, tokens[1:], strict=False), key=lambda p: min(map(share, p)))
            return min(map(share, pair)) * _PAIR_FACTOR, frozenset(((PAIR, pair),))
        case Exact(tokens):
            # The exact-case token folds to an ordinary token, which the post then has too.
            best = min((fold(t) for t in tokens), key=share)
            return share(best), frozenset(((TOKEN, best),))
        case Wildcard():
            prefix = node.literal_prefix[:PREFIX_MAX]
            return _PREFIX_SHARE[len(prefix)], frozenset(((OTHER, ("prefix", prefix)),))
        case Field(name, value):
            return _FIELD_SHARE[name], frozenset(((OTHER, (name, value)),))
        case Followers():
            return _FOLLOWERS_SHARE, frozenset(((OTHER, ("followers",)),))
        case Not():
            return None
        case And(children) | Near(operands=children):
            options = [a for a in (anchors(c, share) for c in children) if a is not None]
            if not options:
                return None
            return min(options, key=lambda a: (a[0], sorted(map(repr, a[1]))))
        case Or(children):
            parts = [anchors(c, share) for c in children]
            if any(p is None for p in parts):
                return None
            return min(1.0, sum(p[0] for p in parts)), frozenset().union(*(p[1] for p in parts))
    raise TypeError(f"not a query node: {node!r}")


def _anchor_is_match(node: Node) -> bool:
    """Whether having an anchor key already proves the match, so the check can be skipped."""
    if isinstance(node, Term | Field):
        return True
    if isinstance(node, Phrase):
        return len(node.tokens) == 2  # anchored by its only word pair
    if isinstance(node, Or):
        return all(_anchor_is_match(c) for c in node.children)
    return False


def _rest(node: Node, share: Share) -> Node | None:
    """What a candidate must still pass once it has one of the query's anchor keys: None when the key
    proves the match; for an AND anchored on a child that its key proves, only the other children."""
    if _anchor_is_match(node):
        return None
    if isinstance(node, And):
        # The same choice as `anchors`: the cheapest child that requires something.
        options = [(a, i) for i, a in enumerate(anchors(c, share) for c in node.children) if a is not None]
        _, chosen = min(options, key=lambda o: (o[0][0], sorted(map(repr, o[0][1]))))
        if _anchor_is_match(node.children[chosen]):
            rest = node.children[:chosen] + node.children[chosen + 1 :]
            return rest[0] if len(rest) == 1 else And(rest)
    return node


def _count(usage: dict, key: tuple, change: int) -> None:
    """Keep `usage` (prefix length or field name -> number of anchors) up to date."""
    name = len(key[1]) if key[0] == "prefix" else key[0]
    usage[name] = usage.get(name, 0) + change
    if not usage[name]:
        del usage[name]


class _Slot:
    """The queries anchored under one key, by what a post with the key must still pass: nothing
    (`proven`), one more token (`requiring[token]`), the absence of a token (`unless`: query ids by the
    token that rules them out), or a compiled check. The first three are answered for all their queries
    at once with set operations."""

    __slots__ = ("proven", "requiring", "unless_any", "unless", "checks", "only_proven")

    def __init__(self) -> None:
        self.only_proven = True  # the common case, answered with one set union
        self.proven: set[Any] = set()
        self.requiring: dict[str, set[Any]] = {}
        self.unless_any: set[Any] = set()
        self.unless: dict[str, set[Any]] = {}
        self.checks: dict[Any, Check] = {}

    def add(self, query_id: Any, rest: Node | None) -> None:
        if rest is None:
            self.proven.add(query_id)
        elif isinstance(rest, Term):
            self.requiring.setdefault(rest.token, set()).add(query_id)
        elif isinstance(rest, Not) and isinstance(rest.child, Term):
            self.unless_any.add(query_id)
            self.unless.setdefault(rest.child.token, set()).add(query_id)
        else:
            self.checks[query_id] = compile_query(rest)
        self.only_proven = rest is None and self.only_proven

    def remove(self, query_id: Any, rest: Node | None) -> bool:
        """Forget a query; whether the slot is now empty."""
        self.proven.discard(query_id)
        self.checks.pop(query_id, None)
        self.unless_any.discard(query_id)
        for table, key in ((self.requiring, getattr(rest, "token", None)), (self.unless, _not_token(rest))):
            if key in table:
                table[key].discard(query_id)
                if not table[key]:
                    del table[key]
        self.only_proven = not (self.requiring or self.unless_any or self.checks)
        return self.only_proven and not self.proven

    def matches(self, post: Post, out: set[Any]) -> None:
        """Add to `out` the ids of this slot's queries that `post` (which has the key) matches."""
        if self.proven:
            out |= self.proven
        tokset = post.tokset
        if self.requiring:
            for token in tokset & self.requiring.keys():
                out |= self.requiring[token]
        if self.unless_any:
            ok = self.unless_any
            for token in tokset & self.unless.keys():
                ok = ok - self.unless[token]
            out |= ok
        for qid, check in self.checks.items():
            if qid not in out and check(post):
                out.add(qid)


def _not_token(rest: Node | None) -> str | None:
    return rest.child.token if isinstance(rest, Not) and isinstance(rest.child, Term) else None


def _native_check(node: Node) -> tuple | None:
    """The compiled core's form of a check (see `node_read` in _native.c), or None when only Python
    can check it."""
    match node:
        case Term(token):
            return (0, token)
        case Phrase(tokens):
            return (1, tokens)
        case Wildcard(pattern) if pattern.endswith("*") and "?" not in pattern:
            return (2, pattern[:-1])
        case Not(child):
            inner = _native_check(child)
            return None if inner is None else (5, inner)
        case And(children) | Or(children):
            parts = tuple(map(_native_check, children))
            return None if None in parts else (3 if isinstance(node, And) else 4, parts)
        case Near(operands, distance, ordered):
            parts = tuple(map(_native_check, operands))
            return None if None in parts else (6, parts, distance, ordered)
    return None


def _native_key(key: Key) -> tuple[int, Any]:
    """An anchor key in the compiled core's form: (0, token), (1, (token, token)) or (2, prefix)."""
    kind, value = key
    return (2, value[1]) if kind == OTHER else (kind, value)


class _Entry:
    __slots__ = ("node", "rest", "keys")

    def __init__(self, node: Node, rest: Node | None, keys: frozenset[Key]) -> None:
        self.node = node
        self.rest = rest  # what a post with one of the keys must still pass (None: nothing)
        self.keys = keys


class Matcher:
    """Holds queries by id and tells which of them a post matches:

    m = Matcher()
    m.add("q1", "flood NEAR/3 warning")
    m.match({"id": 1, "text": "Flood warning!"})  # {"q1"}

    `document_frequency` (token -> number of posts holding it, out of `documents`), when given, picks
    each query's anchors by real selectivity; otherwise a static estimate is used. `native=False` keeps
    every query in Python (the reference the compiled core is tested against).
    """

    def __init__(
        self, document_frequency: Mapping[str, int] | None = None, documents: int = 0, *, native: bool = True
    ) -> None:
        self._share: Share = (
            static_share if document_frequency is None else frequency_share(document_frequency, documents)
        )
        self._entries: dict[Any, _Entry] = {}
        self._native = _native.Index() if native and _native is not None else None
        self._native_numbers: dict[Any, int] = {}  # query id -> its number in the compiled core
        self._slots: tuple[dict[Hashable, _Slot], ...] = ({}, {}, {})  # by TOKEN, PAIR, OTHER
        # How many anchors use each prefix length and each field: a post only computes keys in use.
        self._prefix_lengths: dict[int, int] = {}
        self._fields_used: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, query_id: object) -> bool:
        return query_id in self._entries

    def query(self, query_id: Any) -> Node:
        return self._entries[query_id].node

    def anchored_on(self, query_id: Any) -> frozenset[Key]:
        """The (index, key) pairs the query is filed under: any post it matches carries one of them."""
        return self._entries[query_id].keys

    def add(self, query_id: Any, query: str | Node) -> Node:
        """Store a query (text or AST) under `query_id`, replacing any query with that id. Raises
        QueryError for text that cannot be read, ValueError for an AST that requires nothing."""
        node = parse(query) if isinstance(query, str) else query
        found = anchors(node, self._share) if requires_something(node) else None
        if found is None:
            raise ValueError("a query must require something; a NOT alone matches nearly every post")
        if query_id in self._entries:
            self.remove(query_id)
        rest = _rest(node, self._share)
        self._entries[query_id] = _Entry(node, rest, found[1])
        if self._native is not None and _native_check(node) is not None:
            keys = [_native_key(k) for k in found[1]]
            check = None if rest is None else _native_check(rest)
            self._native_numbers[query_id] = self._native.add(query_id, keys, check)
            return node
        for kind, key in found[1]:
            slot = self._slots[kind].get(key)
            if slot is None:
                slot = self._slots[kind][key] = _Slot()
            slot.add(query_id, rest)
            if kind == OTHER:
                _count(self._usage(key), key, 1)
        return node

    replace = add

    def remove(self, query_id: Any) -> None:
        """Forget a query. Raises KeyError for an unknown id."""
        entry = self._entries.pop(query_id)
        if query_id in self._native_numbers:
            self._native.remove(self._native_numbers.pop(query_id))  # type: ignore[union-attr]
            return
        for kind, key in entry.keys:
            slots = self._slots[kind]
            if slots[key].remove(query_id, entry.rest):
                del slots[key]
            if kind == OTHER:
                _count(self._usage(key), key, -1)

    def _usage(self, key: tuple) -> dict:
        return self._prefix_lengths if key[0] == "prefix" else self._fields_used

    def _other_keys(self, post: Post) -> list[Hashable]:
        """The post's prefix-bucket and field keys, for the kinds some stored query uses."""
        keys: list[Hashable] = []
        for length in self._prefix_lengths:
            keys.extend({("prefix", t[:length]) for t in post.tokset if len(t) >= length})
        used = self._fields_used
        if not used:
            return keys
        if "hashtags" in used:
            keys.extend(("hashtags", t) for t in post.hashtags)
        if "mentions" in used:
            keys.extend(("mentions", m) for m in post.mentions)
        if "links" in used:
            keys.extend(("links", d) for d in post.domains)
        for name in ("author", "lang", "network", "country"):
            value = getattr(post, name)
            if value is not None:
                keys.append((name, value))
        if post.followers is not None:
            keys.append(("followers",))
        return keys

    def match(self, post: Post | Mapping[str, Any]) -> set[Any]:
        """The ids of the stored queries that `post` (prepared, or a dict for `prepare_post`) matches."""
        if len(self._native_numbers) == len(self._entries):  # all in the compiled core (or none stored)
            return self._match_native(post) if self._native_numbers else set()
        if not isinstance(post, Post):
            post = prepare_post(post)
        out = self._match_native(post) if self._native_numbers else set()
        self._match_python(post, out)
        return out

    def _match_native(self, post: Post | Mapping[str, Any]) -> set[Any]:
        native: Any = self._native
        if isinstance(post, Post):
            return native.match_tokens(post.tokens)
        text = searchable_text(post)[0]
        return native.match_text(text) if text.isascii() else native.match_tokens(fold_tokens(text))

    def _match_python(self, post: Post, out: set[Any]) -> None:
        """Add the ids of the queries in the Python slots that `post` matches to `out`."""
        tokens, pairs, others = self._slots
        # The post's keys meet the index in C: distinct tokens (and word pairs) & stored keys.
        hits = list(map(tokens.__getitem__, post.tokset & tokens.keys()))
        if pairs:
            hits.extend(map(pairs.__getitem__, post.pairs & pairs.keys()))
        if others:
            hits.extend(slot for slot in map(others.get, self._other_keys(post)) if slot is not None)
        for slot in hits:
            if slot.only_proven:
                out |= slot.proven
            else:
                slot.matches(post, out)

    def match_many(self, posts: Iterable[Post | Mapping[str, Any]]) -> list[set[Any]]:
        """`match` for each post, in order. Each post is prepared, matched and let go in turn: holding a
        whole batch of prepared posts costs more (memory, garbage-collector passes) than it saves."""
        only_native = self._native_numbers and len(self._native_numbers) == len(self._entries)
        match = self._match_native if only_native else self.match
        return [match(p) for p in posts]
