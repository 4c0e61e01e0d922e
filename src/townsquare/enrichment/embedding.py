"""Static subword embeddings: a post is the mean of its subword vectors, L2-normalised.

The table is a model2vec distillation of all-MiniLM-L6-v2 (made by `make models`, shipped as
artefacts/embedding.npz with its WordPiece tokenizer). Reading it needs numpy and `tokenizers` only.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer

SHIPPED = Path(str(resources.files("townsquare.enrichment").joinpath("artefacts", "embedding.npz")))


class StaticEmbedding:
    """`encode(texts)` -> (n, dims) float32 rows of unit length (zero for a post with no known subword)."""

    def __init__(self, vectors: np.ndarray, tokenizer_json: str) -> None:
        self.vectors = vectors.astype(np.float32)
        self.tokenizer = Tokenizer.from_str(tokenizer_json)
        self.tokenizer.no_truncation()
        self.unk_id = self.tokenizer.token_to_id("[UNK]")

    @property
    def dims(self) -> int:
        return int(self.vectors.shape[1])

    @classmethod
    def load(cls, path: Path = SHIPPED) -> StaticEmbedding:
        with np.load(path, allow_pickle=False) as art:
            return cls(art["vectors"], str(art["tokenizer"]))

    def save(self, path: Path) -> None:
        np.savez_compressed(path, vectors=self.vectors.astype(np.float16), tokenizer=np.array(self.tokenizer.to_str()))

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch_fast(list(texts), add_special_tokens=False)
        ids = [[i for i in e.ids if i != self.unk_id] for e in encodings]
        counts = np.fromiter((len(x) for x in ids), dtype=np.int64, count=len(ids))
        out = np.zeros((len(ids), self.dims), dtype=np.float32)
        if counts.sum() == 0:
            return out
        flat = np.fromiter((i for x in ids for i in x), dtype=np.int64, count=int(counts.sum()))
        has = counts > 0
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])[has]
        out[has] = np.add.reduceat(self.vectors[flat], starts, axis=0) / counts[has, None]
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)


@cache
def shipped() -> StaticEmbedding:
    """The table every artefact with an embedding block was trained on (loaded once per process)."""
    return StaticEmbedding.load()
