"""Benchmark: the Matcher against SQLite FTS5 used as a percolator, on real posts.

    python -m townsquare.listening.bench [--queries 1000,10000] [--posts 5000] [--seed 7]

Queries are drawn (seeded) from the word and bigram frequencies of the real posts in the shared data
folder, using only operators FTS5 also has, so both engines must return the same (post, query) pairs.
Both run in this one process, on one core. FTS5's time includes indexing the batch, the matcher's
includes preparing (tokenising) the posts; each engine is timed --repeat times and the best run is
kept. The matcher gets the document frequencies of the corpus posts outside the batch, as a deployed
matcher gets them from the organisation's stored posts, to pick each query's rarest anchor. It runs
with its compiled core when that is built; `--python-only` times the Python slots alone.
"""

from __future__ import annotations

import argparse
import gc
import math
import random
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Sequence
from typing import TypeVar

from .corpus import load_texts, shared_data_dir
from .fts5 import Fts5Batch, agreeing_texts, fts5_available, to_fts5
from .matcher import NATIVE_CORE, Matcher, document_frequency
from .parser import parse
from .tokens import tokenize

T = TypeVar("T")
# Words so frequent that no listening query would use them alone.
SKIP_TOP = 150


class QueryGenerator:
    """Random queries over a corpus's words, each word drawn with its corpus frequency."""

    def __init__(self, texts: Sequence[str], seed: int) -> None:
        words: Counter[str] = Counter()
        bigrams: Counter[tuple[str, str]] = Counter()
        for text in texts:
            tokens = tokenize(text)
            words.update(t for t in tokens if len(t) >= 3 and t.isalpha())
            bigrams.update(zip(tokens, tokens[1:], strict=False))
        common = {w for w, _ in words.most_common(SKIP_TOP)}
        kept = [(w, n) for w, n in words.items() if w not in common and n >= 2]
        self.words = [w for w, _ in kept]
        self.weights = [n for _, n in kept]
        pairs = [(b, n) for b, n in bigrams.items() if n >= 3 and not (set(b) <= common)]
        self.bigrams = [b for b, _ in pairs]
        self.bigram_weights = [n for _, n in pairs]
        self.rng = random.Random(seed)

    def word(self) -> str:
        return self.rng.choices(self.words, self.weights)[0]

    def phrase(self) -> str:
        return '"' + " ".join(self.rng.choices(self.bigrams, self.bigram_weights)[0]) + '"'

    def prefix(self) -> str:
        word = self.word()
        return word[: self.rng.randint(3, max(3, len(word) - 1))] + "*"

    def query(self) -> str:
        r, w = self.rng.random(), self.word
        if r < 0.20:
            return w()
        if r < 0.35:
            return f"{w()} {w()}"
        if r < 0.50:
            return " OR ".join(w() for _ in range(self.rng.randint(2, 4)))
        if r < 0.62:
            return self.phrase()
        if r < 0.72:
            return f"{w()} NEAR/{self.rng.randint(1, 6)} {w()}"
        if r < 0.82:
            return f"{self.prefix()} AND {w()}"
        if r < 0.92:
            return f"({w()} OR {self.phrase()}) AND NOT {w()}"
        return f"({self.phrase()} OR {w()}) {w()} NOT {w()}"


def _pairs_of(posts: list[dict], results: list[set[int]]) -> set[tuple[int, int]]:
    return {(post["id"], qid) for post, qids in zip(posts, results, strict=True) for qid in qids}


def best_time(run: Callable[[], T], repeat: int) -> tuple[float, T]:
    """The fastest of `repeat` runs (the machine may be busy with other work) and the last result."""
    best, result = math.inf, None
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return best, result  # type: ignore[return-value]


def run_matcher(
    queries: dict[int, str],
    posts: list[dict],
    repeat: int,
    frequency: Counter[str],
    documents: int,
    native: bool = True,
) -> dict[str, object]:
    """Build the matcher (memory measured with tracemalloc) with the document frequencies of other posts,
    then time match_many over the raw post dicts (preparing each post is part of the time)."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    start = time.perf_counter()
    matcher = Matcher(frequency, documents, native=native)
    for qid, text in queries.items():
        matcher.add(qid, parse(text))
    build = time.perf_counter() - start
    per_query = (tracemalloc.get_traced_memory()[0] - before) / len(queries)
    tracemalloc.stop()
    # A matcher process keeps its queries for hours; like such a process, move them out of the cyclic
    # collector's way (gc.freeze) so that collections during matching do not rescan them.
    gc.collect()
    gc.freeze()
    try:
        elapsed, results = best_time(lambda: matcher.match_many(posts), repeat)
    finally:
        gc.unfreeze()
    return {"time": elapsed, "pairs": _pairs_of(posts, results), "build": build, "per_query": per_query}


def run_fts5(queries: dict[int, str], posts: list[dict], repeat: int) -> tuple[float, set[tuple[int, int]]]:
    """Index the batch in FTS5 and run every query's MATCH; time both."""
    expressions = {qid: to_fts5(parse(text)) for qid, text in queries.items()}

    def run() -> dict[int, list[int]]:
        batch = Fts5Batch([p["text"] for p in posts])
        return {qid: batch.match(expression) for qid, expression in expressions.items()}

    elapsed, rows = best_time(run, repeat)
    return elapsed, {(posts[row]["id"], qid) for qid, found in rows.items() for row in found}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m townsquare.listening.bench", description=__doc__.split("\n")[0])
    parser.add_argument("--queries", default="1000,10000", help="comma-separated query counts")
    parser.add_argument("--posts", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=5, help="time each engine this many times, keep the best")
    parser.add_argument("--python-only", action="store_true", help="keep every query out of the compiled core")
    args = parser.parse_args(argv)
    data_dir = shared_data_dir()
    if data_dir is None:
        sys.exit("shared data folder not found: set TOWNSQUARE_SHARED_DATA or put it at ../shared/data")
    if not fts5_available():
        sys.exit("this Python's sqlite3 has no FTS5; the comparison cannot run")

    texts = load_texts(data_dir)
    rng = random.Random(args.seed)
    sample = rng.sample(texts, min(len(texts), args.posts * 2))
    # Only posts both tokenisers split alike, so the two engines can be held to identical results.
    usable = agreeing_texts(sample, tokenize)[: args.posts]
    posts = [{"id": i, "text": t} for i, t in enumerate(usable)]
    print(f"{len(texts)} real posts read; batch of {len(posts)} "
          f"({len(sample) - len(agreeing_texts(sample, tokenize))} of {len(sample)} sampled skipped: "
          f"tokenised differently by FTS5)")  # fmt: skip
    native = NATIVE_CORE and not args.python_only
    engine = "compiled core" if native else "Python only" + ("" if NATIVE_CORE else " (compiled core not built)")
    print(f"matcher: {engine}")
    generator = QueryGenerator(texts, args.seed)
    batch_texts = set(usable)
    history = [t for t in texts if t not in batch_texts]  # statistics from posts outside the batch
    frequency = document_frequency(history)
    ok = True
    summary = []
    for count in (int(c) for c in args.queries.split(",")):
        queries = {i: generator.query() for i in range(count)}
        m = run_matcher(queries, posts, args.repeat, frequency, len(history), native)
        f_time, f_pairs = run_fts5(queries, posts, args.repeat)
        same = m["pairs"] == f_pairs
        ok &= same
        n = len(posts)
        ratio = f_time / m["time"]
        print(f"\n{count} queries x {n} posts (best of {args.repeat})")
        print(f"  matcher (match_many):    {n / m['time']:9.0f} posts/s  ({m['time']:.3f} s)")
        print(f"  FTS5 (indexing + MATCH): {n / f_time:9.0f} posts/s  ({f_time:.3f} s)")
        print(f"  matcher / FTS5 throughput: {ratio:.2f}x")
        print(f"  matcher memory: {m['per_query']:.0f} bytes/query (tracemalloc); build {m['build']:.2f} s")
        print(f"  matches: matcher {len(m['pairs'])}, FTS5 {len(f_pairs)}; identical: {same}")
        if not same:
            extra, missing = m["pairs"] - f_pairs, f_pairs - m["pairs"]
            print(f"  only matcher: {sorted(extra)[:5]}  only FTS5: {sorted(missing)[:5]}")
        summary.append((count, n / m["time"], n / f_time, ratio, m["per_query"], same))
    print("\n| queries | matcher posts/s | FTS5 posts/s | ratio | bytes/query | identical matches |")
    print("| --- | --- | --- | --- | --- | --- |")
    for count, ours, theirs, ratio, per_query, same in summary:
        print(f"| {count:,} | {ours:,.0f} | {theirs:,.0f} | {ratio:.2f}x | {per_query:,.0f} | {same} |")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
