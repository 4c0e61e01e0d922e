"""Linear models over hashed features, loaded from small .npz artefacts with numpy alone."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .base import Result
from .features import FeatureConfig, Featurizer, SparseRows


class LinearEnricher:
    """Softmax (several labels) or sigmoid (two labels) over `features @ weights + bias`.

    Artefact keys: weights (dim x k, float16), bias (k,), labels, feature_config, version.
    k is 1 for a binary model, whose positive label is labels[1].
    """

    def __init__(self, name: str, path: Path) -> None:
        with np.load(path, allow_pickle=False) as art:
            self.weights = art["weights"].astype(np.float32)
            self.bias = art["bias"].astype(np.float32)
            self.labels = tuple(str(x) for x in art["labels"])
            self.config = FeatureConfig.from_array(art["feature_config"])
            self.version = str(art["version"])
        self.name = name
        self.featurizer = Featurizer(self.config)
        if self.weights.shape[0] != self.config.dim:
            raise ValueError(f"{path}: weights have {self.weights.shape[0]} rows, features {self.config.dim}")

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
