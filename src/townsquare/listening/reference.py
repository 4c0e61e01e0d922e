"""The plain evaluator: each rule of the contract written out directly, for tests to compare against.

It reads only the post's token lists and attributes (never the matcher's sets and position maps) and
tries every combination where the contract says "there are instances such that...": clarity over speed.
"""

from __future__ import annotations

import itertools
import operator
import re

from .ast import And, Exact, Field, Followers, Near, Node, Not, Or, Phrase, Term, Wildcard
from .tokens import Post

COMPARE = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt, "=": operator.eq}


def wildcard_regex(pattern: str) -> re.Pattern[str]:
    """`?` is one character and a final `*` any run of characters."""
    parts = [".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern]
    return re.compile("".join(parts), re.DOTALL)


def instances(node: Node, post: Post) -> list[tuple[int, int]]:
    """(start, length) of every place a NEAR operand occurs in the post."""
    tokens = list(post.tokens)
    match node:
        case Term(token):
            return [(i, 1) for i, t in enumerate(tokens) if t == token]
        case Phrase(words):
            k = len(words)
            return [(i, k) for i in range(len(tokens)) if tokens[i : i + k] == list(words)]
        case Exact(words):
            k = len(words)
            exact = list(post.exact)
            return [(i, k) for i in range(len(exact)) if exact[i : i + k] == list(words)]
        case Wildcard(pattern):
            regex = wildcard_regex(pattern)
            return [(i, 1) for i, t in enumerate(tokens) if regex.fullmatch(t)]
        case Or(children):
            return [inst for c in children for inst in instances(c, post)]
    raise TypeError(f"not a NEAR operand: {node!r}")


def near_holds(choice: tuple[tuple[int, int], ...], distance: int, ordered: bool) -> bool:
    """Whether these operand instances are close enough. Unordered: each instance ends at most
    `distance` tokens before the last one starts (FTS5's NEAR rule). Ordered: each starts after the
    previous one ends, with at most `distance` tokens between."""
    if ordered:
        return all(
            a_start + a_len <= b_start <= a_start + a_len + distance
            for (a_start, a_len), (b_start, _) in itertools.pairwise(choice)
        )
    last_start = max(start for start, _ in choice)
    return all(start + length + distance >= last_start for start, length in choice)


def evaluate(node: Node, post: Post) -> bool:
    """Whether `post` matches `node`."""
    match node:
        case Term() | Phrase() | Exact() | Wildcard():
            return bool(instances(node, post))
        case Near(operands, distance, ordered):
            options = [instances(o, post) for o in operands]
            return any(near_holds(choice, distance, ordered) for choice in itertools.product(*options))
        case Not(child):
            return not evaluate(child, post)
        case And(children):
            return all(evaluate(c, post) for c in children)
        case Or(children):
            return any(evaluate(c, post) for c in children)
        case Field("links", domain):
            return any(d == domain or d.endswith("." + domain) for d in post.domains)
        case Field("hashtags", value):
            return value in post.hashtags
        case Field("mentions", value):
            return value in post.mentions
        case Field(name, value):
            return getattr(post, name) == value
        case Followers(op, value):
            return post.followers is not None and COMPARE[op](post.followers, value)
    raise TypeError(f"not a query node: {node!r}")
