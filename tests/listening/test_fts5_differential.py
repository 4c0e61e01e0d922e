"""Differential tests: for the operators FTS5 shares, the matcher must return exactly FTS5's posts."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from townsquare.listening.ast import And, Near, Not, Or, Phrase, Term, Wildcard, requires_something
from townsquare.listening.fts5 import Fts5Batch, fts5_available, to_fts5
from townsquare.listening.matcher import document_frequency
from townsquare.listening.parser import parse
from townsquare.listening.reference import evaluate
from townsquare.listening.tokens import prepare_post, tokenize

pytestmark = pytest.mark.skipif(not fts5_available(), reason="this Python's sqlite3 has no FTS5")


class QueryMaker:
    """Random FTS5-expressible query text over a corpus's words and bigrams."""

    def __init__(self, texts: list[str], seed: int) -> None:
        words: Counter[str] = Counter()
        bigrams: Counter[tuple[str, str]] = Counter()
        for text in texts:
            tokens = tokenize(text)
            words.update(tokens)
            bigrams.update(zip(tokens, tokens[1:], strict=False))
        self.words = [w for w, n in words.items() if n >= 2]
        self.weights = [words[w] for w in self.words]
        self.bigrams = [b for b, n in bigrams.items() if n >= 2]
        self.rng = random.Random(seed)

    def atom(self) -> str:
        r = self.rng.random()
        word = self.rng.choices(self.words, self.weights)[0]
        if r < 0.55 or len(word) < 3:
            return word
        if r < 0.8:
            return '"' + " ".join(self.rng.choice(self.bigrams)) + '"'
        return word[: max(2, len(word) - self.rng.randint(0, 3))] + "*"

    def query(self, depth: int = 0) -> str:
        r = self.rng.random()
        if depth > 1 or r < 0.25:
            return self.atom()
        if r < 0.45:
            return f"{self.atom()} NEAR/{self.rng.randint(0, 5)} {self.atom()}"
        if r < 0.5:
            a, b, c = (self.rng.choice(self.words) for _ in range(3))
            return f'"{a} {b} {c}"~{self.rng.randint(0, 6)}'
        if r < 0.65:
            return f"({self.query(depth + 1)}) {self.query(depth + 1)}"
        if r < 0.8:
            return f"({self.query(depth + 1)}) OR ({self.query(depth + 1)})"
        return f"({self.query(depth + 1)}) AND NOT ({self.query(depth + 1)})"


def _fts5_pairs(batch: Fts5Batch, queries: dict[int, str]) -> set[tuple[int, int]]:
    return {(row, qid) for qid, q in queries.items() for row in batch.match(to_fts5(parse(q)))}


def test_generated_queries_match_fts5_on_real_posts(make_matcher, fts5_texts):
    maker = QueryMaker(fts5_texts, seed=3)
    queries = {i: maker.query() for i in range(400)}
    fts = Fts5Batch(fts5_texts)
    expected = _fts5_pairs(fts, queries)
    posts = [prepare_post({"id": i, "text": t}) for i, t in enumerate(fts5_texts)]
    # With the real posts' document frequencies (anchors by selectivity) and without (static estimate).
    with_statistics = make_matcher(document_frequency(fts5_texts), len(fts5_texts))
    for matcher in (make_matcher(), with_statistics):
        for qid, text in queries.items():
            matcher.add(qid, text)
        batch = matcher.match_many({"id": i, "text": t} for i, t in enumerate(fts5_texts))
        assert {(i, q) for i, qids in enumerate(batch) for q in qids} == expected
    assert len(expected) > 1000  # the queries do match things
    # The per-post path over a slice, and the reference evaluator for a few queries.
    for post in posts[:300]:
        assert matcher.match(post) == {q for row, q in expected if row == post.id}
    for qid in range(30):
        tree = parse(queries[qid])
        assert {p.id for p in posts if evaluate(tree, p)} == {row for row, q in expected if q == qid}


def test_tokenisers_disagree_only_on_documented_cases(real_texts, fts5_texts):
    """unicode61 differs from the contract's NFKD folding on some non-ASCII text (kana voicing marks,
    Greek/Cyrillic accents, compatibility letters such as º or full-width forms, emoji newer than
    Unicode 6.1). Those posts are left out of the comparison; make sure they stay rare and non-ASCII."""
    fts5_set = set(fts5_texts)
    different = [t for t in real_texts if t not in fts5_set]
    assert len(different) < len(real_texts) / 100
    assert all(not t.isascii() for t in different)


VOCAB = ["flood", "floods", "warning", "road", "closed", "rain"]
texts_strategy = st.lists(
    st.lists(st.sampled_from(VOCAB + ["x", "the"]), max_size=10).map(" ".join), min_size=1, max_size=8
)
terms = st.sampled_from(VOCAB).map(Term)
phrases = st.lists(st.sampled_from(VOCAB), min_size=2, max_size=2).map(lambda w: Phrase(tuple(w)))
prefixes = st.sampled_from(["fl*", "flood*", "ro*", "ra*"]).map(Wildcard)
atoms = st.one_of(terms, phrases, prefixes)
nears = st.builds(lambda ops, d: Near(tuple(ops), d), st.lists(atoms, min_size=2, max_size=3), st.integers(0, 3))
fts_trees = st.recursive(
    st.one_of(atoms, nears),
    lambda inner: st.one_of(
        st.lists(inner, min_size=2, max_size=3).map(lambda c: Or(tuple(c))),
        st.lists(st.one_of(inner, inner.map(Not)), min_size=2, max_size=3).map(lambda c: And(tuple(c))),
    ),
    max_leaves=5,
)


@given(texts_strategy, st.lists(fts_trees, min_size=1, max_size=5))
def test_small_texts_match_fts5(make_matcher, texts, trees):
    trees = [t for t in trees if requires_something(t) and to_fts5(t) is not None]
    fts = Fts5Batch(texts)
    matcher = make_matcher()
    for i, tree in enumerate(trees):
        matcher.add(i, tree)
    posts = [prepare_post({"id": i, "text": t}) for i, t in enumerate(texts)]
    batch = matcher.match_many([{"id": i, "text": t} for i, t in enumerate(texts)])
    for i, tree in enumerate(trees):
        expected = set(fts.match(to_fts5(tree)))
        assert {p.id for p in posts if i in matcher.match(p)} == expected, to_fts5(tree)
        assert {p.id for p in posts if i in batch[p.id]} == expected
