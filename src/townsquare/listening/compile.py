"""Compiling a query into a closure over a prepared post: the fast check the matcher runs on candidates.

Every closure takes a `Post` and uses its precomputed set of tokens and per-token positions, so a
term is one set lookup and a phrase only looks at the positions of its first token.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .ast import And, Exact, Field, Followers, Near, Node, Not, Or, Phrase, Term, Wildcard
from .reference import COMPARE, wildcard_regex
from .tokens import Post

Check = Callable[[Post], bool]
Instances = Callable[[Post], list[tuple[int, int]]]


def compile_query(node: Node) -> Check:
    """A function telling whether a post matches `node`."""
    match node:
        case Term(token):
            return lambda post: token in post.tokset
        case Phrase(tokens):
            return _phrase_check(tokens, exact=False)
        case Exact(tokens):
            return _phrase_check(tokens, exact=True)
        case Wildcard(pattern):
            return _wildcard_check(pattern)
        case Near():
            return _near_check(node)
        case Not(child):
            inner = compile_query(child)
            return lambda post: not inner(post)
        case And(children):
            return _and_check(children)
        case Or(children):
            return _or_check(children)
        case Field():
            return _field_check(node)
        case Followers(op, value):
            compare = COMPARE[op]
            return lambda post: post.followers is not None and compare(post.followers, value)
    raise TypeError(f"not a query node: {node!r}")


def _phrase_starts(tokens: tuple[str, ...], exact: bool) -> Callable[[Post], list[int]]:
    first, rest, k = tokens[0], tokens[1:], len(tokens)

    def starts(post: Post) -> list[int]:
        seq = post.exact if exact else post.tokens
        found = (post.exact_positions if exact else post.positions).get(first, ())
        return [i for i in found if seq[i + 1 : i + k] == rest]

    return starts


def _phrase_check(tokens: tuple[str, ...], exact: bool) -> Check:
    if len(tokens) == 1:
        token = tokens[0]
        if exact:
            return lambda post: token in post.exact_positions
        return lambda post: token in post.tokset
    needed = frozenset(tokens)
    starts = _phrase_starts(tokens, exact)
    if exact:
        return lambda post: bool(starts(post))
    # The set test rejects most posts before any position is read.
    return lambda post: needed <= post.tokset and bool(starts(post))


def _wildcard_check(pattern: str) -> Check:
    # One C-level search of the post's space-separated tokens instead of a loop over its tokens.
    if pattern.endswith("*") and "?" not in pattern[:-1] and "*" not in pattern[:-1]:
        start = " " + pattern[:-1]
        return lambda post: start in post.spaced
    parts = ["[^ ]*" if c == "*" else "[^ ]" if c == "?" else re.escape(c) for c in pattern]
    search = re.compile(" " + "".join(parts) + " ").search
    return lambda post: search(post.spaced) is not None


def _and_check(children: tuple[Node, ...]) -> Check:
    # Terms and NOT terms are two set tests; only the other children need their own checks.
    needed = frozenset(c.token for c in children if isinstance(c, Term))
    excluded = frozenset(c.child.token for c in children if isinstance(c, Not) and isinstance(c.child, Term))
    others = tuple(
        compile_query(c)
        for c in children
        if not isinstance(c, Term) and not (isinstance(c, Not) and isinstance(c.child, Term))
    )
    if not others:
        if not excluded:
            return lambda post: needed <= post.tokset
        if not needed:
            return lambda post: excluded.isdisjoint(post.tokset)
        return lambda post: needed <= post.tokset and excluded.isdisjoint(post.tokset)
    if len(others) == 1:  # the usual shape; no generator per call
        (other,) = others
        return lambda post: needed <= post.tokset and excluded.isdisjoint(post.tokset) and other(post)
    return lambda post: (
        needed <= post.tokset and excluded.isdisjoint(post.tokset) and all(check(post) for check in others)
    )


def _or_check(children: tuple[Node, ...]) -> Check:
    anyof = frozenset(c.token for c in children if isinstance(c, Term))
    others = tuple(compile_query(c) for c in children if not isinstance(c, Term))
    if not others:
        return lambda post: not anyof.isdisjoint(post.tokset)
    if len(others) == 1:
        (other,) = others
        return lambda post: not anyof.isdisjoint(post.tokset) or other(post)
    return lambda post: not anyof.isdisjoint(post.tokset) or any(check(post) for check in others)


def _field_check(node: Field) -> Check:
    name, value = node.name, node.value
    if name in ("hashtags", "mentions", "links"):
        # A post's domains include every parent domain, so a subdomain test is a set lookup.
        attr = {"hashtags": "hashtags", "mentions": "mentions", "links": "domains"}[name]
        return lambda post: value in getattr(post, attr)
    return lambda post: getattr(post, name) == value


def compile_instances(node: Node) -> Instances:
    """A function listing (start, length) of each place a NEAR operand occurs."""
    match node:
        case Term(token):
            return lambda post: [(i, 1) for i in post.positions.get(token, ())]
        case Phrase(tokens) | Exact(tokens):
            k = len(tokens)
            starts = _phrase_starts(tokens, isinstance(node, Exact))
            return lambda post: [(i, k) for i in starts(post)]
        case Wildcard(pattern):
            fullmatch = wildcard_regex(pattern).fullmatch
            return lambda post: [(i, 1) for t, ps in post.positions.items() if fullmatch(t) for i in ps]
        case Or(children):
            parts = tuple(compile_instances(c) for c in children)
            return lambda post: [inst for part in parts for inst in part(post)]
    raise TypeError(f"not a NEAR operand: {node!r}")


def _near_check(node: Near) -> Check:
    positional = _near_positions_check(node)
    # The tokens every operand needs (terms, phrases): one set test before any position is read.
    needed = frozenset(t for o in node.operands if isinstance(o, Term | Phrase) for t in _tokens_of(o))
    if not needed:
        return positional
    return lambda post: needed <= post.tokset and positional(post)


def _tokens_of(node: Term | Phrase) -> tuple[str, ...]:
    return (node.token,) if isinstance(node, Term) else node.tokens


def _near_positions_check(node: Near) -> Check:
    parts = tuple(compile_instances(o) for o in node.operands)
    distance = node.distance

    if node.ordered:
        first, second = parts

        def ordered(post: Post) -> bool:
            b = second(post)
            if not b:
                return False
            return any(sa + la <= sb <= sa + la + distance for sa, la in first(post) for sb, _ in b)

        return ordered

    def unordered(post: Post) -> bool:
        found = []
        for part in parts:
            insts = part(post)
            if not insts:
                return False
            found.append(insts)
        # Some instance is the last to start (at m); every operand needs an instance starting in
        # [m - its length - distance, m].
        for anchor in found:
            for m, _ in anchor:
                if all(any(m - ln - distance <= s <= m for s, ln in insts) for insts in found):
                    return True
        return False

    return unordered
