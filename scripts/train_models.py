"""Train the sentiment, complaint and offensive artefacts (make models).

Deterministic: the featuriser is stateless, lbfgs logistic regression has no randomness and the
cross-validation folds are seeded. Reads ../shared/data (or $TOWNSQUARE_SHARED_DATA), prints the
validation figures used for model selection and writes src/townsquare/enrichment/artefacts/*.npz.
"""

from __future__ import annotations

import hashlib
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score, recall_score
from sklearn.model_selection import StratifiedKFold

sys.path.insert(0, str(Path(__file__).resolve().parent))
import enrichment_data as data  # noqa: E402

from townsquare.enrichment.features import FeatureConfig, Featurizer  # noqa: E402
from townsquare.enrichment.linear import LinearEnricher, stack_upstream  # noqa: E402

ARTEFACTS = data.REPO / "src" / "townsquare" / "enrichment" / "artefacts"
MODEL_VERSION = "1"
SEED = 20240601
COMPLAINT_CLASSES = ("complaint", "not_complaint")  # LogisticRegression.classes_ order (sorted)
CONFIG = FeatureConfig()  # one config for all three, so enrich_all featurises once
UPSTREAM_SCALE = 0.2  # sentiment log-probabilities feeding complaint, scaled like the other dense features


def matrix(texts: Sequence[str], upstream: LinearEnricher | None = None) -> sp.csr_matrix:
    rows = Featurizer(CONFIG).transform(texts)
    dim = CONFIG.dim
    if upstream is not None:
        rows = stack_upstream(rows, upstream, UPSTREAM_SCALE)
        dim += len(upstream.labels)
    return sp.csr_matrix((rows.val, (rows.doc, rows.col)), shape=(rows.n_docs, dim))


def shipped_sentiment() -> LinearEnricher:
    return LinearEnricher("sentiment", ARTEFACTS / "sentiment.npz")


def fit(x: sp.csr_matrix, y: Sequence[str], c: float, class_weight: str | None) -> LogisticRegression:
    # liblinear is much faster on sparse two-class problems; lbfgs fits the 3-class softmax
    solver = "liblinear" if len(set(y)) == 2 else "lbfgs"
    model = LogisticRegression(
        C=c, class_weight=class_weight, solver=solver, max_iter=1000, random_state=SEED
    )
    return model.fit(x, y)  # random_state: liblinear shuffles; seeded, reruns give the same weights


def best_threshold(gold: Sequence[str], p1: np.ndarray, classes: Sequence[str]) -> tuple[float, float]:
    """(macro-F1, threshold on P(classes[1])) maximising macro-F1 — the operating point of a binary model."""
    gold = np.asarray(gold)
    best = (-1.0, 0.5)
    for t in np.round(np.arange(0.2, 0.801, 0.025), 3):
        pred = np.where(p1 >= t, classes[1], classes[0])
        best = max(best, (f1_score(gold, pred, average="macro"), float(t)))
    return best


def save(
    task: str,
    model: LogisticRegression,
    selection: dict[str, object],
    threshold: float = 0.5,
    upstream: str = "",
) -> Path:
    weights = model.coef_.T.astype(np.float16)  # float16 halves the artefact at no measurable cost
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


def train_sentiment() -> None:
    val_texts, val_labels = data.sentiment_val()
    texts, labels, stats = data.sentiment_train(exclude=val_texts)
    print(f"sentiment: SemEval 2013-2016 {stats} (val = TweetEval validation, {len(val_texts)})")
    x, xv = matrix(texts), matrix(val_texts)
    best = None
    for c in (0.5, 1.0, 2.0):
        t0 = time.time()
        model = fit(x, labels, c, "balanced")
        score = recall_score(val_labels, model.predict(xv), average="macro")
        print(f"  C={c:<4} class_weight=balanced  val macro-recall {score:.4f}  ({time.time() - t0:.0f}s)")
        if best is None or score > best[0]:
            best = (score, c, model)
    score, c, model = best
    print(f"  selected C={c}: val macro-recall {score:.4f}")
    save("sentiment", model, {"C": c, "val_macro_recall": round(score, 4)})


def complaint_oof(
    texts: Sequence[str],
    labels: Sequence[str],
    domains: Sequence[str],
    c: float,
    cw: str | None,
    upstream: LinearEnricher | None,
) -> np.ndarray:
    """Out-of-fold P(not_complaint), folds stratified by label x domain as the published split was.

    The upstream sentiment model never saw complaint data, so stacking on it leaks nothing.
    """
    x = matrix(texts, upstream)
    strata = [f"{lab}/{dom}" for lab, dom in zip(labels, domains, strict=True)]
    p1 = np.empty(len(labels))
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=SEED)
    y = np.asarray(labels)
    for train, test in folds.split(np.zeros(len(y)), strata):
        p1[test] = fit(x[train], y[train], c, cw).predict_proba(x[test])[:, 1]
    return p1


def train_complaint() -> None:
    texts, labels, domains = data.complaints()
    print(f"complaint: complaints/train.csv {len(texts)} tweets, 5-fold CV (seed {SEED})")
    best = None
    sentiment = shipped_sentiment()
    cw = None  # balanced weights were no better in CV once the threshold is tuned
    for stacked in (False, True):
        for c in (10.0, 30.0):
            p1 = complaint_oof(texts, labels, domains, c, cw, sentiment if stacked else None)
            score, t = best_threshold(labels, p1, COMPLAINT_CLASSES)
            print(f"  sentiment-stacked={stacked!s:<5} C={c:<4}  CV macro-F1 {score:.4f} (threshold {t})")
            if best is None or score > best[0]:
                best = (score, c, stacked, t)
    score, c, stacked, t = best
    print(f"  selected stacked={stacked} C={c} threshold={t}: CV macro-F1 {score:.4f}; refit on all")
    model = fit(matrix(texts, sentiment if stacked else None), labels, c, cw)
    selection = {
        "C": c,
        "class_weight": cw,
        "stacked": stacked,
        "threshold": t,
        "cv_macro_f1": round(score, 4),
    }
    save("complaint", model, selection, t, upstream="sentiment" if stacked else "")


def train_offensive() -> None:
    texts, labels = data.offensive("train")
    val_texts, val_labels = data.offensive("val")
    extra_texts, extra_labels = data.davidson()
    print(f"offensive: TweetEval train {len(texts)}, val {len(val_texts)}; Davidson {len(extra_texts)}")
    x, xv, xe = matrix(texts), matrix(val_texts), matrix(extra_texts)
    best = None
    for use_davidson in (False, True):
        xt = sp.vstack([x, xe]) if use_davidson else x
        yt = [*labels, *extra_labels] if use_davidson else labels
        for c in (1.0, 3.0, 10.0):
            model = fit(xt, yt, c, None)
            score, t = best_threshold(val_labels, model.predict_proba(xv)[:, 1], model.classes_)
            print(f"  davidson={use_davidson!s:<5} C={c:<4}  val macro-F1 {score:.4f} (threshold {t})")
            if best is None or score > best[0]:
                best = (score, use_davidson, c, t, model)
    score, use_davidson, c, t, model = best
    print(f"  selected davidson={use_davidson} C={c} threshold={t}: val macro-F1 {score:.4f}")
    selection = {"C": c, "davidson": use_davidson, "threshold": t, "val_macro_f1": round(score, 4)}
    save("offensive", model, selection, t)


TASKS = {"sentiment": train_sentiment, "complaint": train_complaint, "offensive": train_offensive}


def main(argv: list[str]) -> int:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    for task in argv or TASKS:
        TASKS[task]()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
