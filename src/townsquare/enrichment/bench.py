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


def posts_per_second(
    fn: Callable[[Sequence[str]], object],
    texts: Sequence[str],
    repeat: int,
    clock: Callable[[], float] = time.perf_counter,
) -> float:
    """Best of `repeat` timed runs (after one warm-up), in posts per second of `clock`."""
    fn(texts)
    best = min(_timed(fn, texts, clock) for _ in range(repeat))
    return len(texts) / best


def _timed(fn: Callable[[Sequence[str]], object], texts: Sequence[str], clock: Callable[[], float]) -> float:
    start = clock()
    fn(texts)
    return clock() - start


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
    print(f"{len(texts)} posts from {args.data}, one core, batch {len(texts)}, best of {args.repeat}")
    # Wall clock is what a stream sees; CPU time is what a dedicated core would give when the
    # machine is shared (the two agree on an idle core).
    print(f"  {'':<10} {'wall posts/s':>13} {'CPU posts/s':>12}")
    jobs = [(task, get_enricher(task).enrich_batch) for task in ENRICHERS]
    for label, fn in [*jobs, ("all four", enrich_all)]:
        wall = posts_per_second(fn, texts, args.repeat)
        cpu = posts_per_second(fn, texts, args.repeat, clock=time.process_time)
        print(f"  {label:<10} {wall:>13,.0f} {cpu:>12,.0f}")
    print("  (all four = enrich_all: one featurisation shared by the three linear models)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
