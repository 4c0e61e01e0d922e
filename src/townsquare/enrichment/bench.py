"""Throughput on one core: python -m townsquare.enrichment.bench [--data PATH] [--batch N] [--repeat R]."""

from __future__ import annotations

import argparse
import csv
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from .registry import ENRICHERS, enrich_all, get_enricher

DEFAULT_DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"


def posts_per_second(fn: Callable[[Sequence[str]], object], texts: Sequence[str], repeat: int) -> float:
    """Best of `repeat` timed runs (after one warm-up), in posts per second."""
    fn(texts)
    best = min(_timed(fn, texts) for _ in range(repeat))
    return len(texts) / best


def _timed(fn: Callable[[Sequence[str]], object], texts: Sequence[str]) -> float:
    start = time.perf_counter()
    fn(texts)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    root = Path(os.environ.get("TOWNSQUARE_SHARED_DATA", DEFAULT_DATA))
    parser.add_argument("--data", type=Path, default=root / "airline_sentiment" / "Tweets.csv")
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as promised
    with open(args.data, encoding="utf-8", newline="") as fh:
        texts = [row["text"] for row in csv.DictReader(fh)][: args.batch]
    print(f"{len(texts)} posts from {args.data}, one core, best of {args.repeat}")
    for task in ENRICHERS:
        rate = posts_per_second(get_enricher(task).enrich_batch, texts, args.repeat)
        print(f"  {task:<10} {rate:>9,.0f} posts/s")
    total = posts_per_second(enrich_all, texts, args.repeat)
    print(f"  {'all four':<10} {total:>9,.0f} posts/s (enrich_all, shared featurisation)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
