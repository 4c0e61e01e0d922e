"""Matching a batch of posts at once: set-at-a-time evaluation over bitsets.

For a large batch, it is cheaper to turn the batch into a small inverted index (token -> bitset of the
posts holding it, one Python int) and run each query once over the whole batch with AND/OR/NOT on
bitsets, than to look at each post separately. This is what Lucene Monitor does with a batch of
documents in a memory index. Only positional tests (phrases, NEAR, exact case) look at single posts,
and only at the posts the bitsets leave as candidates.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Container, Sequence

from .ast import And, Exact, Field, Followers, Near, Node, Not, Or, Phrase, Term, Wildcard
from .compile import Check, compile_query
from .reference import COMPARE, wildcard_regex
from .tokens import Post, fold

BatchEval = Callable[["PostBatch"], int]
# Below this many candidate posts, checking each one beats building bitsets for phrases and wildcards.
FEW_CANDIDATES = 16


def _bits(ids: Sequence[int]) -> int:
    out = 0
    for i in ids:
        out |= 1 << i
    return out


class PostBatch:
    """Prepared posts with bitset lookups; bit i stands for `posts[i]`."""

    def __init__(self, posts: Sequence[Post], bigrams: Container[tuple[str, str]] = frozenset()) -> None:
        """`bigrams`: the word pairs the queries' phrases use; only those are indexed."""
        self.posts = posts
        self._wanted_bigrams = bigrams
        self.mask = (1 << len(posts)) - 1
        postings: dict[str, list[int]] = {}
        for i, post in enumerate(posts):
            for t in post.tokset:
                ids = postings.get(t)
                if ids is None:
                    postings[t] = [i]
                else:
                    ids.append(i)
        self._postings = postings
        self._bigram_postings: dict[tuple[str, str], list[int]] | None = None
        self._bigrams: dict[tuple[str, str], int] = {}
        self._tokens: dict[str, int] = {}
        self._patterns: dict[str, int] = {}
        self._fields: dict[str, dict[str, int]] = {}
        self._followers: dict[tuple[str, int], int] = {}
        self._vocabulary: list[str] | None = None

    def token(self, token: str) -> int:
        bits = self._tokens.get(token)
        if bits is None:
            bits = self._tokens[token] = _bits(self._postings.get(token, ()))
        return bits

    def bigram(self, first: str, second: str) -> int:
        """Posts where `second` directly follows `first`: a two-word phrase without looking at posts."""
        key = (first, second)
        bits = self._bigrams.get(key)
        if bits is None:
            if key not in self._wanted_bigrams:
                # A pair no stored query announced: find it from the posts holding both words.
                bits = self.verify(self.token(first) & self.token(second), _pair_check(first, second))
                self._bigrams[key] = bits
                return bits
            if self._bigram_postings is None:
                self._bigram_postings = self._index_bigrams()
            bits = self._bigrams[key] = _bits(self._bigram_postings.get(key, ()))
        return bits

    def _index_bigrams(self) -> dict[tuple[str, str], list[int]]:
        postings: dict[tuple[str, str], list[int]] = {}
        wanted = self._wanted_bigrams
        for i, post in enumerate(self.posts):
            tokens = post.tokens
            for pair in zip(tokens, tokens[1:], strict=False):
                if pair in wanted:
                    ids = postings.get(pair)
                    if ids is None:
                        postings[pair] = [i]
                    elif ids[-1] != i:
                        ids.append(i)
        return postings

    def wildcard(self, pattern: str) -> int:
        bits = self._patterns.get(pattern)
        if bits is None:
            if self._vocabulary is None:
                self._vocabulary = sorted(self._postings)
            vocab = self._vocabulary
            prefix = Wildcard(pattern).literal_prefix
            # A plain prefix needs no regex: every token in the sorted range matches.
            fullmatch = None if pattern == prefix + "*" else wildcard_regex(pattern).fullmatch
            bits = 0
            # Tokens sharing the literal prefix sit together in sorted order.
            for i in range(bisect.bisect_left(vocab, prefix), len(vocab)):
                t = vocab[i]
                if not t.startswith(prefix):
                    break
                if fullmatch is None or fullmatch(t):
                    bits |= self.token(t)
            self._patterns[pattern] = bits
        return bits

    def field(self, name: str, value: str) -> int:
        table = self._fields.get(name)
        if table is None:
            table = self._fields[name] = self._field_table(name)
        return table.get(value, 0)

    def _field_table(self, name: str) -> dict[str, int]:
        table: dict[str, int] = {}
        for i, post in enumerate(self.posts):
            if name in ("hashtags", "mentions", "links"):
                values = getattr(post, "domains" if name == "links" else name)
            else:
                value = getattr(post, name)
                values = () if value is None else (value,)
            for v in values:
                table[v] = table.get(v, 0) | (1 << i)
        return table

    def followers(self, op: str, value: int) -> int:
        key = (op, value)
        bits = self._followers.get(key)
        if bits is None:
            compare = COMPARE[op]
            bits = _bits(
                [i for i, p in enumerate(self.posts) if p.followers is not None and compare(p.followers, value)]
            )
            self._followers[key] = bits
        return bits

    def verify(self, candidates: int, check: Check) -> int:
        """The candidate bits whose posts pass `check`."""
        posts, out = self.posts, 0
        while candidates:
            top = candidates.bit_length() - 1
            bit = 1 << top
            if check(posts[top]):
                out |= bit
            candidates ^= bit
        return out


def _pair_check(first: str, second: str) -> Check:
    def follows(post: Post) -> bool:
        tokens = post.tokens
        return any(tokens[i + 1 : i + 2] == (second,) for i in post.positions.get(first, ()))

    return follows


def bigrams_of(node: Node) -> set[tuple[str, str]]:
    """The consecutive word pairs of the phrases in `node` (what PostBatch should index)."""
    match node:
        case Phrase(tokens):
            return set(zip(tokens, tokens[1:], strict=False))
        case Not(child):
            return bigrams_of(child)
        case And(children) | Or(children):
            return set().union(*map(bigrams_of, children))
    return set()


def _candidates(node: Node) -> BatchEval:
    """A superset of the posts where a NEAR operand or phrase occurs, from token bitsets only."""
    match node:
        case Term(token):
            return lambda b: b.token(token)
        case Phrase(tokens) | Exact(tokens):
            folded = tuple(fold(t) for t in tokens) if isinstance(node, Exact) else tokens

            def all_tokens(b: PostBatch) -> int:
                bits = b.mask
                for t in folded:
                    bits &= b.token(t)
                    if not bits:
                        break
                return bits

            return all_tokens
        case Wildcard(pattern):
            return lambda b: b.wildcard(pattern)
        case Or(children):
            parts = tuple(map(_candidates, children))

            def any_part(b: PostBatch) -> int:
                bits = 0
                for part in parts:
                    bits |= part(b)
                return bits

            return any_part
    raise TypeError(f"not a NEAR operand: {node!r}")


def _is_cheap(node: Node) -> bool:
    """Whether a node's bitset is a lookup or two (no positions, no vocabulary scan)."""
    if isinstance(node, Or):
        return all(_is_cheap(c) for c in node.children)
    return isinstance(node, Term | Field | Followers)


def _and_batch(children: tuple[Node, ...]) -> BatchEval:
    cheap = tuple(compile_batch(c) for c in children if _is_cheap(c))
    costly = tuple(c for c in children if not _is_cheap(c))
    # Wildcards last, and always as bitsets: scanning the vocabulary once per batch (and pattern) is
    # cheaper than testing every token of even a handful of posts.
    costly = tuple(sorted(costly, key=lambda c: isinstance(c, Wildcard)))
    steps = tuple(
        (
            isinstance(c, Not),
            compile_batch(c.child if isinstance(c, Not) else c),
            0 if isinstance(c, Wildcard) else FEW_CANDIDATES,
            compile_query(c),
        )
        for c in costly
    )

    def all_of(b: PostBatch) -> int:
        bits = b.mask
        for part in cheap:
            bits &= part(b)
            if not bits:
                return 0
        for exclude, part, few, check in steps:
            if bits != b.mask and bits.bit_count() <= few:
                bits = b.verify(bits, check)
            elif exclude:
                bits &= ~part(b)
            else:
                bits &= part(b)
            if not bits:
                return 0
        return bits

    return all_of


def compile_batch(node: Node) -> BatchEval:
    """A function giving the bitset of the batch's posts that match `node`."""
    match node:
        case Term() | Wildcard():
            return _candidates(node)
        case Phrase(tokens):
            # Consecutive pairs narrow a phrase down; a two-word phrase is its pair.
            pairs = tuple(zip(tokens, tokens[1:], strict=False))
            check = compile_query(node)

            def phrase(b: PostBatch) -> int:
                bits = b.mask
                for first, second in pairs:
                    bits &= b.bigram(first, second)
                    if not bits:
                        return 0
                return bits if len(pairs) == 1 else b.verify(bits, check)

            return phrase
        case Exact() | Near():
            parts = node.operands if isinstance(node, Near) else (node,)
            finders = tuple(map(_candidates, parts))
            check = compile_query(node)

            def positional(b: PostBatch) -> int:
                bits = b.mask
                for find in finders:
                    bits &= find(b)
                    if not bits:
                        return 0
                return b.verify(bits, check)

            return positional
        case Field(name, value):
            return lambda b: b.field(name, value)
        case Followers(op, value):
            return lambda b: b.followers(op, value)
        case Not(child):
            inner = compile_batch(child)
            return lambda b: b.mask & ~inner(b)
        case And(children):
            return _and_batch(children)
        case Or(children):
            parts = tuple(map(compile_batch, children))

            def any_of(b: PostBatch) -> int:
                bits = 0
                for part in parts:
                    bits |= part(b)
                return bits

            return any_of
    raise TypeError(f"not a query node: {node!r}")
