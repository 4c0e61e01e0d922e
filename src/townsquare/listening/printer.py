"""The canonical text of a query: `parse(to_text(q)) == q` for every query the parser can produce."""

from __future__ import annotations

from .ast import And, Exact, Field, Followers, Near, Node, Not, Or, Phrase, Term, Wildcard

# Binding strength, loosest first; a child looser than its slot is wrapped in parentheses.
_OR, _AND, _NOT, _ATOM = 0, 1, 2, 3
_FIELD_PREFIX = {"hashtags": "#", "mentions": "@"}


def to_text(node: Node) -> str:
    """Print `node` in canonical form: explicit AND, `NOT x`, `NEAR/nf` for ordered proximity."""
    return _print(node)


def _strength(node: Node) -> int:
    if isinstance(node, Or):
        return _OR
    if isinstance(node, And):
        return _AND
    if isinstance(node, Not | Near):
        return _NOT
    return _ATOM


def _wrap(node: Node, at_least: int) -> str:
    text = _print(node)
    # Nested And/Or keep their parentheses so that the nesting survives a round trip.
    return f"({text})" if _strength(node) <= at_least and _strength(node) < _NOT else text


def _near_word(node: Node) -> str:
    if isinstance(node, Term):
        return node.token
    if isinstance(node, Phrase):
        return "-".join(node.tokens)  # the hyphen splits it back into the same tokens
    raise ValueError(f"a NEAR of more than two operands holds only words: {node!r}")


def _print(node: Node) -> str:
    match node:
        case Term(token):
            return token
        case Phrase(tokens):
            return '"' + " ".join(tokens) + '"'
        case Wildcard(pattern):
            return pattern
        case Exact(tokens):
            return "{" + " ".join(tokens) + "}"
        case Field(name, value):
            prefix = _FIELD_PREFIX.get(name)
            return prefix + value if prefix else f"{name}:{value}"
        case Followers(op, value):
            return f"followers:{op}{value}"
        case Not(child):
            return "NOT " + _wrap(child, _AND)
        case And(children):
            return " AND ".join(_wrap(c, _AND) for c in children)
        case Or(children):
            return " OR ".join(_wrap(c, _OR) for c in children)
        case Near(operands, distance, ordered) if len(operands) == 2:
            op = f"NEAR/{distance}{'f' if ordered else ''}"
            left, right = (_wrap(o, _AND) for o in operands)
            return f"{left} {op} {right}"
        case Near(operands, distance, _):
            return '"' + " ".join(_near_word(o) for o in operands) + f'"~{distance}'
    raise TypeError(f"not a query node: {node!r}")
