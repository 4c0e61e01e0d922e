"""Matching many stored queries against each incoming post (a percolator).

Like Lucene's Monitor presearcher, each query is indexed under a few "anchor" keys chosen so that any
post matching the query must carry at least one of them. A post looks up its own keys (its distinct
tokens, their short prefixes, its tags, mentions, domains and attributes) to collect candidate
queries, and only those are checked with their compiled closures. Adding or removing a query touches
only its own anchors.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .ast import And, Exact, Field, Followers, Near, Node, Not, Or, Phrase, Term, Wildcard, requires_something
from .batch import BatchEval, PostBatch, bigrams_of, compile_batch
from .compile import Check, compile_query
from .parser import parse
from .tokens import Post, fold, prepare_post

Key = Hashable
PREFIX_MAX = 3  # wildcard buckets use at most this many leading characters
# match_many evaluates each query once over the whole batch from this many posts and queries on; below,
# indexing the batch costs more than looking at each post (measured with the benchmark).
BATCH_MIN = 64
BATCH_MIN_QUERIES = 2000

# Rough share of posts carrying a key; only the ordering matters (pick the rarest side of an AND).
# fmt: off
_COMMON_WORDS = frozenset([
    "the", "a", "an", "and", "or", "of", "to", "in", "on", "at", "for", "is", "are", "was", "be", "it",
    "this", "that", "with", "you", "your", "i", "my", "me", "we", "our", "not", "no", "so", "but", "just",
    "have", "has", "do", "can", "will", "from", "by", "as", "all", "if", "get", "up", "out", "now", "rt",
    "amp",
])
# fmt: on
_FIELD_COST = {
    "hashtags": 5.0,
    "mentions": 5.0,
    "author": 3.0,
    "links": 5.0,
    "lang": 400.0,
    "network": 400.0,
    "country": 300.0,
}  # fmt: skip
_FOLLOWERS_COST = 1000.0


def token_cost(token: str) -> float:
    """Expected frequency of a token: common words and short tokens are frequent."""
    if token in _COMMON_WORDS:
        return 200.0
    return {1: 80.0, 2: 40.0, 3: 15.0, 4: 8.0, 5: 5.0}.get(len(token), 3.0)


def _prefix_key(prefix: str) -> tuple[str, str]:
    return ("prefix", prefix[:PREFIX_MAX])


def anchors(node: Node) -> tuple[float, frozenset[Key]] | None:
    """(cost, keys) such that any post matching `node` has one of the keys; None when `node` requires
    nothing (a NOT). Plain tokens are their own keys; everything else is a tuple."""
    match node:
        case Term(token):
            return token_cost(token), frozenset((token,))
        case Phrase(tokens):
            best = min(tokens, key=token_cost)
            return token_cost(best), frozenset((best,))
        case Exact(tokens):
            # The exact-case token folds to an ordinary token, which the post then has too.
            best = min((fold(t) for t in tokens), key=token_cost)
            return token_cost(best), frozenset((best,))
        case Wildcard():
            prefix = node.literal_prefix
            return 60.0 / min(len(prefix), PREFIX_MAX), frozenset((_prefix_key(prefix),))
        case Field(name, value):
            return _FIELD_COST[name], frozenset(((name, value),))
        case Followers():
            return _FOLLOWERS_COST, frozenset((("followers",),))
        case Not():
            return None
        case And(children) | Near(operands=children):
            options = [a for a in map(anchors, children) if a is not None]
            if not options:
                return None
            return min(options, key=lambda a: (a[0], sorted(map(repr, a[1]))))
        case Or(children):
            parts = [anchors(c) for c in children]
            if any(p is None for p in parts):
                return None
            return sum(p[0] for p in parts), frozenset().union(*(p[1] for p in parts))
    raise TypeError(f"not a query node: {node!r}")


def _anchor_is_match(node: Node) -> bool:
    """Whether having an anchor key already proves the match, so the check can be skipped."""
    if isinstance(node, Term | Field):
        return True
    if isinstance(node, Or):
        return all(_anchor_is_match(c) for c in node.children)
    return False


def _count(usage: dict, key: tuple, change: int) -> None:
    """Keep `usage` (prefix length or field name -> number of anchors) up to date."""
    name = len(key[1]) if key[0] == "prefix" else key[0]
    usage[name] = usage.get(name, 0) + change
    if not usage[name]:
        del usage[name]


@dataclass(slots=True)
class _Entry:
    node: Node
    check: Check | None  # None: the anchor alone proves the match
    keys: frozenset[Key]
    bigrams: frozenset[tuple[str, str]]
    batch: BatchEval | None = None  # compiled on the first batch


class Matcher:
    """Holds queries by id and tells which of them a post matches:

    m = Matcher()
    m.add("q1", "flood NEAR/3 warning")
    m.match({"id": 1, "text": "Flood warning!"})  # {"q1"}
    """

    def __init__(self) -> None:
        self._entries: dict[Any, _Entry] = {}
        self._index: dict[Key, set[Any]] = {}
        # How many anchors use each prefix length and each field: a post only computes keys in use.
        self._prefix_lengths: dict[int, int] = {}
        self._fields_used: dict[str, int] = {}
        self._bigrams_used: dict[tuple[str, str], int] = {}  # word pairs of phrases, for batches

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, query_id: object) -> bool:
        return query_id in self._entries

    def query(self, query_id: Any) -> Node:
        return self._entries[query_id].node

    def add(self, query_id: Any, query: str | Node) -> Node:
        """Store a query (text or AST) under `query_id`, replacing any query with that id. Raises
        QueryError for text that cannot be read, ValueError for an AST that requires nothing."""
        node = parse(query) if isinstance(query, str) else query
        found = anchors(node) if requires_something(node) else None
        if found is None:
            raise ValueError("a query must require something; a NOT alone matches nearly every post")
        if query_id in self._entries:
            self.remove(query_id)
        entry = _Entry(
            node,
            None if _anchor_is_match(node) else compile_query(node),
            found[1],
            frozenset(bigrams_of(node)),
        )
        self._entries[query_id] = entry
        for key in entry.keys:
            self._index.setdefault(key, set()).add(query_id)
            if isinstance(key, tuple):
                _count(self._usage(key), key, 1)
        for pair in entry.bigrams:
            self._bigrams_used[pair] = self._bigrams_used.get(pair, 0) + 1
        return node

    replace = add

    def remove(self, query_id: Any) -> None:
        """Forget a query. Raises KeyError for an unknown id."""
        entry = self._entries.pop(query_id)
        for key in entry.keys:
            ids = self._index[key]
            ids.discard(query_id)
            if not ids:
                del self._index[key]
            if isinstance(key, tuple):
                _count(self._usage(key), key, -1)
        for pair in entry.bigrams:
            self._bigrams_used[pair] -= 1
            if not self._bigrams_used[pair]:
                del self._bigrams_used[pair]

    def _usage(self, key: tuple) -> dict:
        return self._prefix_lengths if key[0] == "prefix" else self._fields_used

    def _post_keys(self, post: Post) -> list[Key]:
        keys: list[Key] = list(post.tokset)
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
        if not isinstance(post, Post):
            post = prepare_post(post)
        index, entries = self._index, self._entries
        candidates: set[Any] = set()
        for key in self._post_keys(post):
            ids = index.get(key)
            if ids:
                candidates.update(ids)
        out = set()
        for qid in candidates:
            check = entries[qid].check
            if check is None or check(post):
                out.add(qid)
        return out

    def match_many(self, posts: Iterable[Post | Mapping[str, Any]]) -> list[set[Any]]:
        """`match` for each post, in order. Large batches are matched set-at-a-time (see batch.py)."""
        posts = list(posts)
        if len(posts) < BATCH_MIN or len(self._entries) < BATCH_MIN_QUERIES:
            return [self.match(p) for p in posts]
        prepared = [p if isinstance(p, Post) else prepare_post(p) for p in posts]
        batch = PostBatch(prepared, self._bigrams_used)
        out: list[set[Any]] = [set() for _ in prepared]
        for qid, entry in self._entries.items():
            evaluate = entry.batch
            if evaluate is None:
                evaluate = entry.batch = compile_batch(entry.node)
            bits = evaluate(batch)
            while bits:  # once per (post, query) match; clearing the top bit is cheapest on big ints
                top = bits.bit_length() - 1
                out[top].add(qid)
                bits ^= 1 << top
        return out
