"""Command-line matching: a queries file against a posts file (the `townsquare match` command calls this)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import TextIO

from .matcher import Matcher
from .parser import QueryError
from .tokens import Post, prepare_post

CHUNK = 2000  # posts matched together (see Matcher.match_many)


def load_queries(lines: TextIO, matcher: Matcher, err: TextIO) -> int:
    """Add each `id<TAB>query` line to `matcher`; report unreadable ones on `err`. Returns how many failed."""
    failed = 0
    for number, line in enumerate(lines, 1):
        line = line.rstrip("\r\n")
        if not line.strip():
            continue
        query_id, tab, text = line.partition("\t")
        if not tab:
            err.write(f"line {number}: expected id<TAB>query\n")
            failed += 1
            continue
        try:
            matcher.add(query_id, text)
        except QueryError as exc:
            err.write(f"query {query_id}: {exc}\n")
            failed += 1
    return failed


def _write(matcher: Matcher, posts: list[Post], out: TextIO) -> None:
    for post, query_ids in zip(posts, matcher.match_many(posts), strict=True):
        for query_id in sorted(query_ids, key=str):
            out.write(f"{post.id}\t{query_id}\n")


def run_match(queries_path: str, posts_path: str, out: TextIO, err: TextIO) -> int:
    """Match every post in the JSONL file `posts_path` against the queries in `queries_path` and write
    `post_id<TAB>query_id` per match, posts in file order and query ids sorted. Returns 0, or 1 when a
    query or post could not be read (the rest are still matched)."""
    matcher = Matcher()
    with open(queries_path, encoding="utf-8") as fh:
        failed = load_queries(fh, matcher, err)
    with open(posts_path, encoding="utf-8") as fh:
        chunk: list[Post] = []
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                chunk.append(prepare_post(json.loads(line)))
            except (ValueError, TypeError, AttributeError) as exc:
                err.write(f"post line {number}: {exc}\n")
                failed += 1
            if len(chunk) >= CHUNK:
                _write(matcher, chunk, out)
                chunk = []
        _write(matcher, chunk, out)
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m townsquare.listening")
    commands = parser.add_subparsers(dest="command", required=True)
    match = commands.add_parser("match", help="match posts (JSONL) against queries (id<TAB>query)")
    match.add_argument("--queries", required=True)
    match.add_argument("--posts", required=True)
    match.add_argument("--out", help="output file (default: standard output)")
    args = parser.parse_args(argv)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as out:
            return run_match(args.queries, args.posts, out, sys.stderr)
    return run_match(args.queries, args.posts, sys.stdout, sys.stderr)
