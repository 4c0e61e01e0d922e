"""Turning text into tokens, and a post into the facts its queries are checked against.

The contract (docs/listening.md, shared guide "listening-language.md") says: tokens are runs of Unicode
letters and digits; matching ignores case and diacritics; links are not searchable words. A post is
prepared once (`prepare_post`) so that every query checks cheap sets and position lists.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

# `[^\W_]` is "a letter or a digit" in Python's Unicode-aware re: \w minus the underscore.
TOKEN_RE = re.compile(r"[^\W_]+")
LINK_RE = re.compile(r"https?://\S+", re.IGNORECASE)
# A hashtag or mention starts a word: "a#b" and "me@example.org" are not tags.
TAG_RE = re.compile(r"(?<!\w)([#@])(\w+)")


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
    """The letter/digit runs of `text` (links removed), in their written case."""
    text = strip_links(text)
    if not text.isascii():
        # Composed form, so a letter written as base + combining accent stays one letter.
        text = unicodedata.normalize("NFC", text)
    return TOKEN_RE.findall(text)


def tokenize(text: str) -> list[str]:
    """The folded tokens of `text`, in order."""
    return [f for f in map(fold, surface_tokens(text)) if f]


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


@dataclass(frozen=True, slots=True, eq=False)
class Post:
    """A post as the matcher sees it; build it with `prepare_post`."""

    id: Any
    tokens: tuple[str, ...]
    exact: tuple[str, ...]  # the same tokens in their written case
    positions: Mapping[str, tuple[int, ...]]
    exact_positions: Mapping[str, tuple[int, ...]]
    tokset: frozenset[str]
    hashtags: frozenset[str]
    mentions: frozenset[str]
    domains: frozenset[str]
    author: str | None
    lang: str | None
    network: str | None
    country: str | None
    followers: int | None


def _positions(tokens: Iterable[str]) -> dict[str, tuple[int, ...]]:
    acc: dict[str, list[int]] = {}
    for i, t in enumerate(tokens):
        acc.setdefault(t, []).append(i)
    return {t: tuple(p) for t, p in acc.items()}


def _lower_or_none(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(value).strip().lower()


def prepare_post(data: Mapping[str, Any]) -> Post:
    """Build a `Post` from a dict: `id`, `text`, and optionally `title`, `author` (a handle, or a dict with
    `handle`, `followers`, `country`), `lang`, `network`, `hashtags`, `mentions`, `links`, `country`,
    `followers`."""
    title = data.get("title") or ""
    text = data.get("text") or ""
    searchable = f"{title}\n{text}" if title else text
    links = LINK_RE.findall(searchable)
    links.extend(data.get("links") or ())
    stripped = strip_links(searchable)
    pairs = [(fold(t), t) for t in surface_tokens(stripped)]
    tokens = tuple(f for f, _ in pairs if f)
    exact = tuple(t for f, t in pairs if f)
    hashtags = {normalize_tag(t) for t in data.get("hashtags") or ()}
    mentions = {normalize_handle(m) for m in data.get("mentions") or ()}
    for mark, word in TAG_RE.findall(stripped):
        (hashtags if mark == "#" else mentions).add(fold(word))

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
    positions = _positions(tokens)
    return Post(
        id=data.get("id"),
        tokens=tokens,
        exact=exact,
        positions=positions,
        exact_positions=_positions(exact),
        tokset=frozenset(positions),
        hashtags=frozenset(hashtags),
        mentions=frozenset(mentions),
        domains=link_domains(links),
        author=normalize_handle(handle) if handle else None,
        lang=_lower_or_none(data.get("lang")),
        network=_lower_or_none(data.get("network")),
        country=country.strip().upper() if country else None,
        followers=int(followers) if followers is not None and followers != "" else None,
    )
