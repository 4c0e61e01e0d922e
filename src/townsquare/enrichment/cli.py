"""`classify`: label a JSONL file of posts with one enricher (called by the Django CLI too)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from .registry import ENRICHERS, get_enricher

BATCH = 1000


def post_text(post: dict) -> str:
    """The text a post is judged by: its title (if any) then its body."""
    title = post.get("title")
    text = post.get("text") or ""
    return f"{title}\n{text}" if isinstance(title, str) and title else str(text)


def _read_posts(lines: TextIO, err: TextIO) -> Iterator[dict | None]:
    """Parsed objects; None (after a message naming the line) for each rejected line."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            post = json.loads(line)
        except json.JSONDecodeError as exc:
            print(f"line {number}: invalid JSON ({exc.msg}); skipped", file=err)
            yield None
            continue
        if not isinstance(post, dict):
            print(f"line {number}: expected a JSON object, got {type(post).__name__}; skipped", file=err)
            yield None
            continue
        yield post


def run_classify(task: str, in_path: str | Path, out_path: str | Path, err: TextIO | None = None) -> int:
    """Write every valid post of `in_path` to `out_path` with `label` and `score` added.

    Bad lines are reported with their line number and skipped; returns 0 if none were, else 1.
    """
    err = err or sys.stderr
    enricher = get_enricher(task)
    rejected = written = 0
    batch: list[dict] = []

    def flush(out: TextIO) -> None:
        for post, result in zip(batch, enricher.enrich_batch([post_text(p) for p in batch]), strict=True):
            post["label"], post["score"] = result.label, round(result.score, 6)
            out.write(json.dumps(post, ensure_ascii=False) + "\n")
        batch.clear()

    with open(in_path, encoding="utf-8") as src, open(out_path, "w", encoding="utf-8") as out:
        for post in _read_posts(src, err):
            if post is None:
                rejected += 1
                continue
            batch.append(post)
            written += 1
            if len(batch) >= BATCH:
                flush(out)
        flush(out)
    print(f"{task}: {written} posts labelled, {rejected} lines rejected", file=err)
    return 1 if rejected else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m townsquare.enrichment")
    sub = parser.add_subparsers(dest="command", required=True)
    classify = sub.add_parser("classify", help="label a JSONL file of posts")
    classify.add_argument("--task", required=True, choices=sorted(ENRICHERS))
    classify.add_argument("--in", dest="in_path", required=True, help="input JSONL (text, optional title)")
    classify.add_argument("--out", dest="out_path", required=True, help="output JSONL")
    args = parser.parse_args(argv)
    return run_classify(args.task, args.in_path, args.out_path)
