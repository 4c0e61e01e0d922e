"""SQLite FTS5 as the yardstick: translating queries to FTS5 MATCH syntax and running them over a batch.

Used by the benchmark and the differential tests. FTS5 shares terms, phrases, prefix `*`, AND, OR,
NOT (binary: `a NOT b`) and NEAR(a b, n) with the listening language; everything else has no
translation.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence

from .ast import And, Near, Node, Not, Or, Phrase, Term, Wildcard
from .tokens import strip_links

TOKENIZE = "unicode61 remove_diacritics 2"


def fts5_available() -> bool:
    try:
        sqlite3.connect(":memory:").execute("CREATE VIRTUAL TABLE t USING fts5(x)")
    except sqlite3.OperationalError:
        return False
    return True


def _phrase(node: Node) -> str | None:
    """An FTS5 phrase (usable inside NEAR) or None."""
    match node:
        case Term(token):
            return f'"{token}"'
        case Phrase(tokens):
            return '"' + " ".join(tokens) + '"'
        case Wildcard(pattern) if pattern.endswith("*") and "?" not in pattern:
            return f'"{pattern[:-1]}" *'
    return None


def to_fts5(node: Node) -> str | None:
    """The FTS5 MATCH expression for `node`, or None when FTS5 cannot express it."""
    phrase = _phrase(node)
    if phrase is not None:
        return phrase
    match node:
        case Near(operands, distance, False) if len(operands) >= 2:
            phrases = [_phrase(o) for o in operands]
            if any(p is None for p in phrases):
                return None
            return f"NEAR({' '.join(phrases)}, {distance})"  # type: ignore[arg-type]
        case Or(children):
            parts = [to_fts5(c) for c in children]
            return None if None in parts else "(" + " OR ".join(parts) + ")"  # type: ignore[arg-type]
        case And(children):
            # FTS5's NOT is binary: (everything required) NOT (any excluded).
            pos = [to_fts5(c) for c in children if not isinstance(c, Not)]
            neg = [to_fts5(c.child) for c in children if isinstance(c, Not)]
            if not pos or None in pos or None in neg:
                return None
            text = "(" + " AND ".join(pos) + ")"  # type: ignore[arg-type]
            return f"({text} NOT ({' OR '.join(neg)}))" if neg else text  # type: ignore[arg-type]
    return None


class Fts5Batch:
    """An in-memory FTS5 table over a batch of post texts (links removed), queried one MATCH at a time."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.db = sqlite3.connect(":memory:")
        self.db.execute(f"CREATE VIRTUAL TABLE posts USING fts5(body, tokenize='{TOKENIZE}')")
        self.db.executemany(
            "INSERT INTO posts(rowid, body) VALUES (?, ?)", ((i, strip_links(t)) for i, t in enumerate(texts))
        )

    def match(self, expression: str) -> list[int]:
        """Row numbers (batch positions) of the posts matching an FTS5 expression."""
        return [r[0] for r in self.db.execute("SELECT rowid FROM posts WHERE posts MATCH ?", (expression,))]

    def tokens(self) -> dict[int, list[str]]:
        """FTS5's own tokens of each post, in order (via fts5vocab), to find where tokenisers differ."""
        self.db.execute("CREATE VIRTUAL TABLE IF NOT EXISTS vocab USING fts5vocab(posts, 'instance')")
        out: dict[int, list[tuple[int, str]]] = {}
        for term, doc, offset in self.db.execute("SELECT term, doc, offset FROM vocab"):
            out.setdefault(doc, []).append((offset, term))
        return {doc: [t for _, t in sorted(pairs)] for doc, pairs in out.items()}


def agreeing_texts(texts: Iterable[str], tokenize: Callable[[str], list[str]]) -> list[str]:
    """The texts our tokeniser and FTS5's unicode61 split identically (see docs/listening.md for the
    known differences: kana voicing marks, Greek/Cyrillic accents, compatibility letters, emoji newer
    than Unicode 6.1)."""
    texts = list(texts)
    fts = Fts5Batch(texts).tokens()
    return [t for i, t in enumerate(texts) if fts.get(i, []) == tokenize(t)]
