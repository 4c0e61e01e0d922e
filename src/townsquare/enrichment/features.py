"""Stateless featuriser shared, byte for byte, by training and inference.

Posts become hashed word n-grams (with negation marking), hashed character n-grams, a few
VADER-lexicon scores and, where the config asks, the shipped static subword embedding (embedding.py).
Hashing keeps no vocabulary, so an artefact is only linear weights plus the hyperparameters below.
Hashes are our own (crc32 + integer mixing), never Python's salted hash().
"""

from __future__ import annotations

import html
import re
import zlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import cache
from importlib import resources

import numpy as np

from . import embedding

_URL_RE = re.compile(r"https?://\S+|www\.\S+")
_USER_RE = re.compile(r"@\w+")
_ELONG_RE = re.compile(r"(.)\1{2,}")
# Emoticons first so ":)" stays one token; then words (keeping #, @ and apostrophes); then single
# symbols, which makes every emoji its own token.
_TOKEN_RE = re.compile(r"[:;=][\-'^o]?[()\[\]dpo/\\|*3]+|<3|[#@]?\w+(?:['’]\w+)*|[^\w\s]")
_NEGATORS = frozenset(
    {
        "not",
        "no",
        "never",
        "none",
        "nobody",
        "nothing",
        "neither",
        "nor",
        "nowhere",
        "cannot",
        "cant",
        "dont",
        "doesnt",
        "didnt",
        "isnt",
        "aint",
        "wont",
        "wouldnt",
        "shouldnt",
        "couldnt",
        "wasnt",
        "werent",
        "havent",
        "hasnt",
        "hadnt",
        "without",
    }
)
_SCOPE_END = frozenset(".,!?;:")
_SEP = 0  # code point joining posts in one buffer; "\x00" never survives normalise()

N_DENSE = 6


@dataclass(frozen=True)
class FeatureConfig:
    """Hyperparameters of the featuriser; stored in every artefact next to the weights."""

    n_buckets: int = 1 << 18
    word_min: int = 1
    word_max: int = 2
    char_min: int = 2
    char_max: int = 5
    word_weight: float = 1.0
    char_weight: float = 1.0
    lexicon_weight: float = 1.0
    embedding_dims: int = 0  # 0: no embedding block; else the shipped table's width

    @property
    def dim(self) -> int:
        return self.n_buckets + N_DENSE + self.embedding_dims

    def to_array(self) -> np.ndarray:
        return np.array(list(asdict(self).values()), dtype=np.float64)

    @classmethod
    def from_array(cls, values: np.ndarray) -> FeatureConfig:
        names = list(cls.__dataclass_fields__)
        kinds = {name: type(getattr(cls, name)) for name in names}
        return cls(**{n: kinds[n](v) for n, v in zip(names, values.tolist(), strict=True)})


@dataclass(frozen=True)
class SparseRows:
    """Coordinate-format features: entry k adds val[k] at (doc[k], col[k]); duplicates add up."""

    doc: np.ndarray
    col: np.ndarray
    val: np.ndarray
    n_docs: int


@cache
def _lexicon() -> dict[str, float]:
    # VADER's human-rated valences (-4..4), read from the file its package ships.
    text = resources.files("vaderSentiment").joinpath("vader_lexicon.txt").read_text(encoding="utf-8")
    lex: dict[str, float] = {}
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) >= 2:
            lex[parts[0]] = float(parts[1])
    return lex


def normalise(text: str) -> str:
    """Lower-case, unescape HTML, collapse users/URLs and long letter runs ("soooo" -> "sooo")."""
    if "&" in text:
        text = html.unescape(text)
    text = _URL_RE.sub(" httpurl ", text)
    text = _USER_RE.sub("@user", text)
    text = _ELONG_RE.sub(r"\1\1\1", text.lower())
    return text.replace("\x00", " ")


def tokenise(text: str) -> list[str]:
    """Tokens of a normalised post; words in a negation scope get a "neg_" prefix."""
    out: list[str] = []
    negated = False
    for tok in _TOKEN_RE.findall(text):
        if tok in _SCOPE_END:
            negated = False
            out.append(tok)
            continue
        # only words are negated; emoticons and emoji keep their own polarity
        out.append("neg_" + tok if negated and tok[0].isalnum() else tok)
        bare = tok.replace("'", "").replace("’", "")
        if bare in _NEGATORS or bare.endswith("nt") and tok.endswith(("n't", "n’t")):
            negated = True
    return out


def _mix(h: np.ndarray) -> np.ndarray:
    # splitmix64 finaliser: spreads polynomial/crc hashes evenly over the buckets.
    with np.errstate(over="ignore"):
        h = (h ^ (h >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        h = (h ^ (h >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return h ^ (h >> np.uint64(31))


def _lexicon_scores(tokens: list[str], lex: dict[str, float]) -> list[float]:
    pos = neg = 0.0
    top = low = 0.0
    for tok in tokens:
        negated = tok.startswith("neg_")
        v = lex.get(tok[4:] if negated else tok)
        if v is None:
            continue
        if negated:
            v *= -0.74  # VADER's own negation damping
        if v > 0:
            pos += v
            top = max(top, v)
        else:
            neg += v
            low = min(low, v)
    total = pos + neg
    # last: post length, so short and long posts can be told apart
    compound = total / np.sqrt(total * total + 15.0)
    return [pos / 4.0, neg / 4.0, top / 4.0, low / 4.0, compound, np.log1p(len(tokens)) / 4.0]


class Featurizer:
    """Turns a batch of posts into `SparseRows` over `config.dim` columns."""

    def __init__(self, config: FeatureConfig | None = None) -> None:
        self.config = config or FeatureConfig()

    def transform(self, texts: Sequence[str]) -> SparseRows:
        cfg = self.config
        norm = [normalise(t) for t in texts]
        lex = _lexicon()
        word_docs: list[int] = []
        word_hashes: list[int] = []
        dense: list[list[float]] = []
        for i, text in enumerate(norm):
            tokens = tokenise(text)
            word_hashes.extend(zlib.crc32(t.encode("utf-8")) for t in tokens)
            word_docs.extend([i] * len(tokens))
            dense.append(_lexicon_scores(tokens, lex))
        w_doc, w_col = self._ngrams(
            np.array(word_docs, dtype=np.int64),
            np.array(word_hashes, dtype=np.uint64),
            cfg.word_min,
            cfg.word_max,
            salt=0x51ED270B,
        )
        c_doc, c_col = self._char_ngrams(norm)
        n = len(texts)
        d_val = np.asarray(dense, dtype=np.float32).reshape(n, N_DENSE) * cfg.lexicon_weight
        if cfg.embedding_dims:
            table = embedding.shipped()
            if table.dims != cfg.embedding_dims:
                raise ValueError(f"the shipped embedding has {table.dims} dims, the config {cfg.embedding_dims}")
            d_val = np.hstack([d_val, table.encode(norm)])
        width = d_val.shape[1]
        d_doc = np.repeat(np.arange(n, dtype=np.int64), width)
        d_col = np.tile(np.arange(cfg.n_buckets, cfg.n_buckets + width, dtype=np.int64), n)
        d_val = d_val.reshape(-1)
        return SparseRows(
            doc=np.concatenate([w_doc, c_doc, d_doc]),
            col=np.concatenate([w_col, c_col, d_col]),
            val=np.concatenate([self._scale(w_doc, n, cfg.word_weight), self._scale(c_doc, n, cfg.char_weight), d_val]),
            n_docs=n,
        )

    def _ngrams(
        self, docs: np.ndarray, hashes: np.ndarray, lo: int, hi: int, salt: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """All n-grams (lo <= n <= hi) of a flat sequence that do not cross a post boundary."""
        out_doc, out_col = [], []
        h = np.zeros(0, dtype=np.uint64)
        with np.errstate(over="ignore"):
            for n in range(1, hi + 1):
                m = len(hashes) - n + 1
                if m <= 0:
                    break
                # polynomial rolling hash of the window [i, i+n)
                h = hashes[:m].copy() if n == 1 else h[:m] * np.uint64(1000003) + hashes[n - 1 : n - 1 + m]
                if n < lo:
                    continue
                ok = docs[:m] == docs[n - 1 : n - 1 + m]
                mixed = _mix(h[ok] ^ np.uint64(salt * 131 + n))
                out_doc.append(docs[:m][ok])
                out_col.append((mixed % np.uint64(self.config.n_buckets)).astype(np.int64))
        if not out_doc:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        return np.concatenate(out_doc), np.concatenate(out_col)

    def _char_ngrams(self, norm: list[str]) -> tuple[np.ndarray, np.ndarray]:
        # One buffer for the whole batch: padding spaces mark word edges at post start/end.
        joined = "\x00".join(" " + t + " " for t in norm)
        codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        is_sep = codes == _SEP
        docs = np.cumsum(is_sep)
        keep = ~is_sep
        return self._ngrams(docs[keep], codes[keep], self.config.char_min, self.config.char_max, 0x2545F491)

    @staticmethod
    def _scale(doc: np.ndarray, n_docs: int, weight: float) -> np.ndarray:
        """Each n-gram of a post weighs weight/sqrt(count): the block's L2 norm is about `weight`."""
        counts = np.bincount(doc, minlength=n_docs).astype(np.float32)
        return (weight / np.sqrt(np.maximum(counts, 1.0)))[doc]
