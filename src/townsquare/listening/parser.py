"""Reading query text into the AST (recursive descent).

Grammar, loosest first (operators only in capitals):
    or    := and ("OR" and)*
    and   := not (["AND"] not)*          -- "a NOT b" is "a AND NOT b"
    not   := ("NOT" | "-") not | near
    near  := primary [("NEAR/n" | "NEAR/nf" | "ONEAR/n") primary]
    primary := word | "phrase" | "phrase"~n | {Exact} | ( or )
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .ast import (
    FIELD_ALIASES,
    NEAR_ATOMS,
    And,
    Exact,
    Field,
    Followers,
    Near,
    Node,
    Not,
    Or,
    Phrase,
    Term,
    Wildcard,
    requires_something,
)
from .tokens import TOKEN_RE, fold, normalize_handle, normalize_tag, surface_tokens, tokenize


class QueryError(ValueError):
    """A query that cannot be read: `column` is 1-based, `message` says what was expected."""

    def __init__(self, column: int, message: str) -> None:
        super().__init__(f"column {column}: {message}")
        self.column = column
        self.message = message


@dataclass(frozen=True, slots=True)
class _Lexeme:
    kind: str  # "(", ")", "AND", "OR", "NOT", "-", "NEAR", "WORD", "PHRASE", "EXACT"
    text: str
    column: int
    distance: int = 0  # NEAR distance, or phrase slop (-1: none)
    ordered: bool = False


_STOP = set(' \t\r\n()"{}')
_NEAR_RE = re.compile(r"(O?)NEAR(?:/(\d*)(f?))?")
_TAG_RE = re.compile(r"\w+")
_HANDLE_RE = re.compile(r"@?\w+")
_CODE_RE = re.compile(r"[A-Za-z]{2}")
_NETWORK_RE = re.compile(r"[\w.-]+")
_DOMAIN_RE = re.compile(r"[\w-]+(\.[\w-]+)*")
_FOLLOWERS_RE = re.compile(r"(>=|<=|>|<|=)(\d+)")
_FIELD_NAME_RE = re.compile(r"([A-Za-z]+):")
_FIELD_LIST = "hashtags, mentions, author, lang, network, links, site, country, followers"


def _lex(text: str) -> list[_Lexeme]:
    out: list[_Lexeme] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        col = i + 1
        if c.isspace():
            i += 1
        elif c in "()":
            out.append(_Lexeme(c, c, col))
            i += 1
        elif c == '"':
            end = text.find('"', i + 1)
            if end < 0:
                raise QueryError(col, 'this " is never closed')
            slop = -1
            i = end + 1
            if i < n and text[i] == "~":
                m = re.match(r"\d+", text[i + 1 :])
                if not m:
                    raise QueryError(i + 2, '~ needs a number, as in "bin collection"~3')
                slop = int(m.group())
                i += 1 + m.end()
            out.append(_Lexeme("PHRASE", text[col:end], col, slop))
        elif c == "{":
            end = text.find("}", i + 1)
            if end < 0:
                raise QueryError(col, "this { is never closed")
            out.append(_Lexeme("EXACT", text[col:end], col))
            i = end + 1
        elif c == "}":
            raise QueryError(col, "this } has no matching {")
        elif c == "-":
            if i + 1 >= n or text[i + 1] in _STOP:
                raise QueryError(col, "- needs what to leave out right after it, as in -spam")
            out.append(_Lexeme("-", c, col))
            i += 1
        else:
            j = i
            while j < n and text[j] not in _STOP:
                j += 1
            word = text[i:j]
            out.append(_word_lexeme(word, col))
            i = j
    return out


def _word_lexeme(word: str, col: int) -> _Lexeme:
    if word in ("AND", "OR", "NOT"):
        return _Lexeme(word, word, col)
    m = _NEAR_RE.match(word)
    if m:
        name = "ONEAR" if m.group(1) else "NEAR"
        if m.group(2) is None:
            if m.end() == len(word):
                raise QueryError(col + len(word), f"{name} needs a distance, as in {name}/5")
        elif not m.group(2):
            raise QueryError(col + len(name) + 1, f"{name}/ needs a number, as in {name}/5")
        elif m.end() != len(word) or (m.group(1) and m.group(3)):
            bad = col + m.end() - (1 if m.group(1) and m.group(3) else 0)
            raise QueryError(bad, f"{name}/ takes a number{'' if m.group(1) else ' and an optional f'}, as in {name}/5")
        else:
            return _Lexeme("NEAR", word, col, int(m.group(2)), bool(m.group(1) or m.group(3)))
    return _Lexeme("WORD", word, col)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.lexemes = _lex(text)
        self.pos = 0

    def peek(self) -> _Lexeme | None:
        return self.lexemes[self.pos] if self.pos < len(self.lexemes) else None

    def take(self) -> _Lexeme:
        lex = self.lexemes[self.pos]
        self.pos += 1
        return lex

    def end_column(self) -> int:
        return len(self.text.rstrip()) + 1

    def expected_operand(self, after: str) -> QueryError:
        lex = self.peek()
        column = lex.column if lex else self.end_column()
        found = "the query ends" if lex is None else f"found {lex.text}"
        return QueryError(column, f"expected a word, phrase or ( {after}, but {found}")

    def parse(self) -> Node:
        if not self.lexemes:
            raise QueryError(1, "the query is empty")
        node = self.parse_or("at the start")
        lex = self.peek()
        if lex is not None:
            if lex.kind == ")":
                raise QueryError(lex.column, "this ) has no matching (")
            raise QueryError(lex.column, f"expected AND, OR or the end of the query, but found {lex.text}")
        if not requires_something(node):
            raise QueryError(
                1,
                "the query only says what to leave out; add something it must contain, as in flood NOT test",
            )
        return node

    def parse_or(self, context: str) -> Node:
        children = [self.parse_and(context)]
        while (lex := self.peek()) is not None and lex.kind == "OR":
            self.take()
            children.append(self.parse_and("after OR"))
        return children[0] if len(children) == 1 else Or(tuple(children))

    def parse_and(self, context: str) -> Node:
        children = [self.parse_not(context)]
        while (lex := self.peek()) is not None:
            if lex.kind == "AND":
                self.take()
                children.append(self.parse_not("after AND"))
            elif lex.kind in ("NOT", "-", "WORD", "PHRASE", "EXACT", "("):
                children.append(self.parse_not(context))
            else:
                break
        return children[0] if len(children) == 1 else And(tuple(children))

    def parse_not(self, context: str) -> Node:
        lex = self.peek()
        if lex is not None and lex.kind in ("NOT", "-"):
            self.take()
            return Not(self.parse_not(f"after {lex.text}"))
        return self.parse_near(context)

    def parse_near(self, context: str) -> Node:
        left = self.parse_primary(context)
        lex = self.peek()
        if lex is None or lex.kind != "NEAR":
            return left
        self.take()
        right = self.parse_primary(f"after {lex.text}")
        for operand, column in ((left, lex.column), (right, lex.column)):
            if not _near_operand(operand):
                raise QueryError(
                    column,
                    f"{lex.text} joins words, phrases or (... OR ...) groups of them; use AND for the rest",
                )
        after = self.peek()
        if after is not None and after.kind == "NEAR":
            raise QueryError(after.column, f"{after.text} cannot follow another NEAR; join them with AND")
        return Near((left, right), lex.distance, lex.ordered)

    def parse_primary(self, context: str) -> Node:
        lex = self.peek()
        if lex is None or lex.kind not in ("WORD", "PHRASE", "EXACT", "("):
            raise self.expected_operand(context)
        self.take()
        if lex.kind == "(":
            node = self.parse_or("after (")
            close = self.peek()
            if close is None or close.kind != ")":
                raise QueryError(lex.column, "this ( is never closed")
            self.take()
            return node
        if lex.kind == "PHRASE":
            return _phrase(lex)
        if lex.kind == "EXACT":
            tokens = tuple(surface_tokens(lex.text))
            if not tokens:
                raise QueryError(lex.column, "{...} needs letters or digits inside, as in {BT}")
            return Exact(tokens)
        return _word(lex.text, lex.column)


def _near_operand(node: Node) -> bool:
    if isinstance(node, Or):
        return all(_near_operand(c) for c in node.children)
    return isinstance(node, NEAR_ATOMS)


def _text_node(text: str, column: int, what: str) -> Term | Phrase:
    tokens = tokenize(text)
    if not tokens:
        raise QueryError(column, f"{what} has no letters or digits to look for")
    return Term(tokens[0]) if len(tokens) == 1 else Phrase(tuple(tokens))


def _phrase(lex: _Lexeme) -> Node:
    if lex.distance < 0:
        return _text_node(lex.text, lex.column, "this phrase")
    operands = tuple(_text_node(w, lex.column, "this phrase") for w in lex.text.split() if tokenize(w))
    if len(operands) < 2:
        raise QueryError(lex.column, '"..."~n needs at least two words, as in "bin collection"~3')
    return Near(operands, lex.distance, False)


def _word(word: str, column: int) -> Node:
    if word[0] == "#":
        if not _TAG_RE.fullmatch(word[1:]):
            raise QueryError(column, "# needs a tag of letters and digits, as in #flood")
        return Field("hashtags", normalize_tag(word))
    if word[0] == "@":
        if not _TAG_RE.fullmatch(word[1:]):
            raise QueryError(column, "@ needs an account name, as in @northfieldcc")
        return Field("mentions", normalize_handle(word))
    m = _FIELD_NAME_RE.match(word)
    if m:
        return _field(m.group(1).lower(), word[m.end() :], column)
    if "*" in word or "?" in word:
        return _wildcard(word, column)
    return _text_node(word, column, f"'{word}'")


def _field(name: str, value: str, column: int) -> Node:
    value_column = column + len(name) + 1
    if name == "followers":
        m = _FOLLOWERS_RE.fullmatch(value)
        if not m:
            raise QueryError(value_column, "followers: needs a comparison and a number, as in followers:>=1000")
        return Followers(m.group(1), int(m.group(2)))
    field = FIELD_ALIASES.get(name)
    if field is None:
        raise QueryError(column, f"unknown field {name}:, the fields are {_FIELD_LIST}")
    if field == "hashtags":
        if not _TAG_RE.fullmatch(value.removeprefix("#")):
            raise QueryError(value_column, f"{name}: needs a tag, as in {name}:flood")
        return Field(field, normalize_tag(value))
    if field in ("mentions", "author"):
        if not _HANDLE_RE.fullmatch(value):
            raise QueryError(value_column, f"{name}: needs an account name, as in {name}:northfieldcc")
        return Field(field, normalize_handle(value))
    if field in ("lang", "country"):
        if not _CODE_RE.fullmatch(value):
            example = "lang:en" if field == "lang" else "country:GB"
            raise QueryError(value_column, f"{name}: needs a two-letter code, as in {example}")
        return Field(field, value.lower() if field == "lang" else value.upper())
    if field == "network":
        if not _NETWORK_RE.fullmatch(value):
            raise QueryError(value_column, f"{name}: needs a network name, as in network:mastodon")
        return Field(field, value.lower())
    domain = re.sub(r"^https?://", "", value, flags=re.IGNORECASE).split("/", 1)[0].lower().rstrip(".")
    if not _DOMAIN_RE.fullmatch(domain):
        raise QueryError(value_column, f"{name}: needs a domain, as in {name}:example.org")
    return Field(field, domain)


def _wildcard(word: str, column: int) -> Node:
    star = word.find("*")
    if star >= 0 and star != len(word) - 1:
        raise QueryError(column + star, "* can only end a word, as in flood*")
    if word[0] == "?":
        raise QueryError(column, "? cannot start a word, as in organi?ation")
    body = word[:-1] if star >= 0 else word
    pieces = body.split("?")
    if not all(p == "" or TOKEN_RE.fullmatch(p) for p in pieces):
        raise QueryError(column, "a wildcard word has only letters, digits, ? and a final *, as in organi?ation")
    folded = [fold(p) for p in pieces]
    if star >= 0 and len(pieces) == 1 and len(folded[0]) < 2:
        raise QueryError(column, "put at least 2 letters or digits before *, as in flood*")
    pattern = "?".join(folded) + ("*" if star >= 0 else "")
    if pattern[0] == "?":
        raise QueryError(column, "? cannot start a word, as in organi?ation")
    return Wildcard(pattern)


def parse(text: str) -> Node:
    """Parse a query in the listening language (version 1). Raises QueryError."""
    return _Parser(text).parse()
