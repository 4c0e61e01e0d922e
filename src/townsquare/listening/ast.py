"""The parsed form of a listening query: small immutable nodes, compared by value."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Term:
    """One folded token."""

    token: str


@dataclass(frozen=True, slots=True)
class Phrase:
    """Folded tokens that must appear consecutively (two or more)."""

    tokens: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Wildcard:
    """A folded pattern: `?` is one character, a final `*` any run of characters."""

    pattern: str

    @property
    def literal_prefix(self) -> str:
        """The characters before the first `?` or `*`."""
        for i, c in enumerate(self.pattern):
            if c in "?*":
                return self.pattern[:i]
        return self.pattern


@dataclass(frozen=True, slots=True)
class Exact:
    """Tokens in exactly this case (`{BT}`); several tokens form a phrase."""

    tokens: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Near:
    """Operands (words, phrases or OR-groups of them) with at most `distance` tokens between them.
    `ordered` means each operand comes before the next (only with two operands)."""

    operands: tuple[Node, ...]
    distance: int
    ordered: bool = False


@dataclass(frozen=True, slots=True)
class Not:
    child: Node


@dataclass(frozen=True, slots=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple[Node, ...]


# Field names as they appear in the AST; the parser accepts the aliases in FIELD_ALIASES.
FIELDS = ("hashtags", "mentions", "author", "lang", "network", "links", "country")
FIELD_ALIASES = {name: name for name in FIELDS} | {"site": "links"}


@dataclass(frozen=True, slots=True)
class Field:
    """A post attribute equal to `value` (normalised: folded tags and handles, lower-case language,
    network and domain, upper-case country)."""

    name: str
    value: str


COMPARISONS = (">=", "<=", ">", "<", "=")


@dataclass(frozen=True, slots=True)
class Followers:
    op: str
    value: int


Node = Term | Phrase | Wildcard | Exact | Near | Not | And | Or | Field | Followers
# What a NEAR operand may be, besides an Or of these.
NEAR_ATOMS = (Term, Phrase, Wildcard, Exact)


def requires_something(node: Node) -> bool:
    """Whether every post matching `node` must contain something (a token, tag, field value...).
    A query without this would match nearly every post, so the parser refuses it."""
    if isinstance(node, Not):
        return False
    if isinstance(node, And):
        return any(requires_something(c) for c in node.children)
    if isinstance(node, Or):
        return all(requires_something(c) for c in node.children)
    return True
