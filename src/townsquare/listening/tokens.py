"""Turning text into tokens, and a post into the facts its queries are checked against.

The contract (docs/listening.md, shared guide "listening-language.md") says: tokens are runs of Unicode
letters and digits; matching ignores case and diacritics; links are not searchable words. A post is
prepared once (`prepare_post`) so that every query checks cheap sets and position lists.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

# `[^\W_]` is "a letter or a digit" in Python's Unicode-aware re: \w minus the underscore.
TOKEN_RE = re.compile(r"[^\W_]+")
ASCII_TOKEN_RE = re.compile(r"[A-Za-z0-9]+")  # the same, for ASCII text, and much faster
LINK_RE = re.compile(r"https?://\S+", re.IGNORECASE)
# A hashtag or mention starts a word: "a#b" and "me@example.org" are not tags.
TAG_RE = re.compile(r"[#@]\w+")


def _drop_marks(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.category(c).startswith("M"))


@lru_cache(maxsize=100_000)
def _fold_unicode(token: str) -> str:
    # NFKD before lower() so compatibility letters (black-letter H, full-width A) lower-case too; again
    # after, because a few lower-case mappings add marks. NFC at the end recomposes what NFKD split
    # without dropping anything (Hangul syllables), so tokens stay in their usual written form.
    # Final sigma is the word-final shape of sigma, not a different letter.
    # Characters that NFKD turns into non-letters (the fraction slash of "¼") are dropped, so a folded
    # token is always one token again.
    out = _drop_marks(_drop_marks(token).lower()).replace("\u03c2", "\u03c3")
    return unicodedata.normalize("NFC", "".join(c for c in out if c.isalnum()))


def fold(token: str) -> str:
    """The case- and diacritic-free form that matching compares."""
    if token.isascii():
        return token.lower()
    return _fold_unicode(token)


def strip_links(text: str) -> str:
    """The text with every http(s) link replaced by a space (links separate words)."""
    return LINK_RE.sub(" ", text)


def surface_tokens(text: str) -> list[str]:
    """The tokens of `text` (links removed) in their written case, for `{...}`."""
    return _split(strip_links(text))[1]


def tokenize(text: str) -> list[str]:
    """The folded tokens of `text` (links removed), in order."""
    return fold_tokens(strip_links(text))


def fold_tokens(text: str) -> list[str]:
    """The folded tokens of link-free text, in order. Lower-casing ASCII text first gives the same
    tokens, faster."""
    if text.isascii():
        return ASCII_TOKEN_RE.findall(text.lower())
    return _split(text)[0]


def searchable_text(data: Mapping[str, Any]) -> tuple[str, list[str]]:
    """(the title and text of a post dict with its links replaced by spaces, the links): links are not
    searchable words; they are kept for `links:`."""
    title = data.get("title")
    text = data.get("text") or ""
    if title:
        text = f"{title}\n{text}"
    if "://" not in text:
        return text, []
    links = LINK_RE.findall(text)
    return (LINK_RE.sub(" ", text) if links else text), links


def link_domains(urls: Iterable[str]) -> frozenset[str]:
    """Every host the links point to, with each of its parent domains ("a.b.org" -> also "b.org", "org")."""
    out: set[str] = set()
    for url in urls:
        if "://" not in url:
            url = "http://" + url
        try:
            host = urlsplit(url).hostname
        except ValueError:
            continue
        if not host:
            continue
        host = host.rstrip(".")
        parts = host.split(".")
        for i in range(len(parts)):
            out.add(".".join(parts[i:]))
    return frozenset(out)


def normalize_handle(handle: str) -> str:
    return fold(handle.lstrip("@"))


def normalize_tag(tag: str) -> str:
    return fold(tag.lstrip("#"))


def _positions(tokens: Iterable[str]) -> dict[str, list[int]]:
    acc: dict[str, list[int]] = {}
    for i, t in enumerate(tokens):
        if t in acc:
            acc[t].append(i)
        else:
            acc[t] = [i]
    return acc


def _split(text: str) -> tuple[list[str], list[str]]:
    """(folded tokens, written-case tokens) of link-free text."""
    if text.isascii():
        surface = ASCII_TOKEN_RE.findall(text)
        return [t.lower() for t in surface], surface
    pairs = [(fold(t), t) for t in TOKEN_RE.findall(unicodedata.normalize("NFC", text))]
    return [f for f, _ in pairs if f], [t for f, t in pairs if f]


class Post:
    """A post as the matcher sees it: `Post(data)` or `prepare_post(data)` from a dict with `id`, `text`,
    and optionally `title`, `author` (a handle, or a dict with `handle`, `followers`, `country`), `lang`,
    `network`, `hashtags`, `mentions`, `links`, `country`, `followers`.

    Only the folded tokens and their set are made at once; everything else (written-case tokens,
    positions, word pairs, tags, mentions, link domains, the author and attribute fields) on first use,
    since most posts are settled by a few set lookups. The dict is read lazily: do not change it after.
    """

    __slots__ = (
        "id", "tokens", "tokset", "_data", "_text", "_links", "_fields",
        "_exact", "_positions", "_exact_positions", "_pairs", "_spaced", "_hashtags", "_mentions", "_domains",
    )  # fmt: skip

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.id = data.get("id")
        self._data = data
        self._text, self._links = searchable_text(data)
        self.tokens: tuple[str, ...] = tuple(fold_tokens(self._text))
        self.tokset = frozenset(self.tokens)
        self._fields: tuple[str | None, str | None, str | None, str | None, int | None] | None = None
        self._exact: tuple[str, ...] | None = None
        self._positions: dict[str, list[int]] | None = None
        self._exact_positions: dict[str, list[int]] | None = None
        self._pairs: frozenset[tuple[str, str]] | None = None
        self._spaced: str | None = None
        self._hashtags: frozenset[str] | None = None
        self._mentions: frozenset[str] | None = None
        self._domains: frozenset[str] | None = None

    def _read_fields(self) -> tuple[str | None, str | None, str | None, str | None, int | None]:
        """(author, lang, network, country, followers), normalised."""
        if self._fields is None:
            data = self._data
            author = data.get("author")
            followers = data.get("followers")
            country = data.get("country")
            handle: str | None = None
            if isinstance(author, Mapping):
                handle = author.get("handle")
                followers = author.get("followers", followers)
                country = country or author.get("country")
            elif author:
                handle = str(author)
            self._fields = (
                normalize_handle(handle) if handle else None,
                _lower_or_none(data.get("lang")),
                _lower_or_none(data.get("network")),
                str(country).strip().upper() if country else None,
                int(followers) if followers is not None and followers != "" else None,
            )
        return self._fields

    @property
    def author(self) -> str | None:
        return self._read_fields()[0]

    @property
    def lang(self) -> str | None:
        return self._read_fields()[1]

    @property
    def network(self) -> str | None:
        return self._read_fields()[2]

    @property
    def country(self) -> str | None:
        return self._read_fields()[3]

    @property
    def followers(self) -> int | None:
        return self._read_fields()[4]

    @property
    def exact(self) -> tuple[str, ...]:
        """The tokens in their written case, parallel to `tokens`."""
        if self._exact is None:
            self._exact = tuple(_split(self._text)[1])
        return self._exact

    @property
    def positions(self) -> dict[str, list[int]]:
        if self._positions is None:
            self._positions = _positions(self.tokens)
        return self._positions

    @property
    def exact_positions(self) -> dict[str, list[int]]:
        if self._exact_positions is None:
            self._exact_positions = _positions(self.exact)
        return self._exact_positions

    @property
    def pairs(self) -> frozenset[tuple[str, str]]:
        """The adjacent token pairs (what a two-word phrase needs)."""
        if self._pairs is None:
            tokens = self.tokens
            self._pairs = frozenset(zip(tokens, tokens[1:], strict=False))
        return self._pairs

    @property
    def spaced(self) -> str:
        """The tokens joined by spaces with a space at each end: " flood warning " (tokens hold no
        spaces), so that a wildcard is one substring or regex search."""
        if self._spaced is None:
            self._spaced = f" {' '.join(self.tokens)} "
        return self._spaced

    def _find_tags(self) -> None:
        hashtags = {normalize_tag(t) for t in self._data.get("hashtags") or ()}
        mentions = {normalize_handle(m) for m in self._data.get("mentions") or ()}
        text = self._text
        if "#" in text or "@" in text:
            for m in TAG_RE.finditer(text):
                start = m.start()
                if start and (text[start - 1].isalnum() or text[start - 1] == "_"):
                    continue  # "a#b", "me@example.org": not a tag
                (hashtags if text[start] == "#" else mentions).add(fold(m.group()[1:]))
        self._hashtags, self._mentions = frozenset(hashtags), frozenset(mentions)

    @property
    def hashtags(self) -> frozenset[str]:
        if self._hashtags is None:
            self._find_tags()
        return self._hashtags  # type: ignore[return-value]

    @property
    def mentions(self) -> frozenset[str]:
        if self._mentions is None:
            self._find_tags()
        return self._mentions  # type: ignore[return-value]

    @property
    def domains(self) -> frozenset[str]:
        """Every linked host and each of its parent domains."""
        if self._domains is None:
            # Links in the text and those the network gives as data.
            self._domains = link_domains([*self._links, *(self._data.get("links") or ())])
        return self._domains

    def __repr__(self) -> str:
        return f"Post(id={self.id!r}, tokens={self.tokens!r})"


def _lower_or_none(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(value).strip().lower()


def prepare_post(data: Mapping[str, Any]) -> Post:
    """The `Post` of a dict (see `Post`)."""
    return Post(data)
