"""Linear models over hashed features, loaded from small .npz artefacts with numpy alone."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from .base import Result
from .features import FeatureConfig, Featurizer, SparseRows


class LinearEnricher:
    """Softmax (several labels) or sigmoid (two labels) over `features @ weights + bias`.

    Artefact keys: weights (dim x k, float16), bias (k,), labels, feature_config, version; k is 1 for
    a binary model, whose positive label is labels[1]. Optional `upstream` (a task name) and
    `upstream_scale`: that model's log-probabilities are appended as extra features (stacking).
    """

    def __init__(self, name: str, path: Path, resolve: Callable[[str], object] | None = None) -> None:
        with np.load(path, allow_pickle=False) as art:
            self.weights = art["weights"].astype(np.float32)
            self.bias = art["bias"].astype(np.float32)
            self.labels = tuple(str(x) for x in art["labels"])
            self.config = FeatureConfig.from_array(art["feature_config"])
            self.version = str(art["version"])
            upstream = str(art["upstream"]) if "upstream" in art else ""
            self.upstream_scale = float(art["upstream_scale"]) if upstream else 0.0
        self.name = name
        self.featurizer = Featurizer(self.config)
        self.upstream: LinearEnricher | None = None
        if upstream:
            if resolve is None:
                raise ValueError(f"{path} stacks on {upstream!r}: pass resolve= to load it")
            found = resolve(upstream)
            if not isinstance(found, LinearEnricher) or found.config != self.config:
                raise ValueError(f"{path}: upstream {upstream!r} must be linear with the same features")
            self.upstream = found
        expected = self.config.dim + (len(self.upstream.labels) if self.upstream else 0)
        if self.weights.shape[0] != expected:
            raise ValueError(f"{path}: weights have {self.weights.shape[0]} rows, features {expected}")

    def enrich_batch(self, texts: Sequence[str]) -> list[Result]:
        return self.enrich_features(self.featurizer.transform(texts))

    def enrich_features(self, rows: SparseRows) -> list[Result]:
        """Score features already computed (enrich_all shares them between models)."""
        probs = self.predict_proba(rows)
        best = probs.argmax(axis=1)
        return [
            Result(self.labels[b], float(p[b]), self.name, self.version)
            for b, p in zip(best.tolist(), probs, strict=True)
        ]

    def predict_proba(self, rows: SparseRows) -> np.ndarray:
        """Class probabilities, one row per post, columns in `labels` order."""
        if self.upstream is not None:
            rows = stack_upstream(rows, self.upstream, self.upstream_scale)
        k = self.weights.shape[1]
        contrib = self.weights[rows.col] * rows.val[:, None]
        z = np.empty((rows.n_docs, k), dtype=np.float64)
        for j in range(k):
            z[:, j] = np.bincount(rows.doc, weights=contrib[:, j], minlength=rows.n_docs)
        z += self.bias
        if k == 1:
            p1 = 1.0 / (1.0 + np.exp(-z[:, 0]))
            return np.stack([1.0 - p1, p1], axis=1)
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)


def stack_upstream(rows: SparseRows, upstream: LinearEnricher, scale: float) -> SparseRows:
    """`rows` plus the upstream model's scaled log-probabilities as columns dim, dim+1, ...

    Used identically by training and inference (e.g. sentiment feeding complaint).
    """
    p = upstream.predict_proba(rows)
    n, k = p.shape
    dim = upstream.config.dim
    return SparseRows(
        doc=np.concatenate([rows.doc, np.repeat(np.arange(n, dtype=np.int64), k)]),
        col=np.concatenate([rows.col, np.tile(np.arange(dim, dim + k, dtype=np.int64), n)]),
        val=np.concatenate([rows.val, (np.log(p + 1e-6) * scale).astype(np.float32).reshape(-1)]),
        n_docs=n,
    )
