"""Listening: saved queries in the listening language (version 1), matched against incoming posts.

The contract is `shared/guide/listening-language.md`; the design is in `docs/listening.md`.
"""

from .cli import run_match
from .matcher import Matcher
from .parser import QueryError, parse
from .printer import to_text
from .tokens import Post, prepare_post, tokenize

__all__ = ["Matcher", "Post", "QueryError", "parse", "prepare_post", "run_match", "to_text", "tokenize"]
