"""The linear models of the hints, stored as plain arrays and applied with numpy alone.

``training.py`` fits them (scikit-learn, at development time) and writes ``data/model.npz``;
at run time nothing but numpy is needed and nothing is downloaded. A model is one head per
question — which policy (п. 3.5–3.7), which topic (department of the demo configuration) —
each a weight row per used feature bucket, weights for the dense features, and a bias.

The dense features are the sentence vector, the message's similarity to the configured
municipality (``Hinter.context``) and its similarity to the labelled examples: the meaning
vectors of the training messages are kept (``examples``), and a message's nearest example of
each policy and of each topic is a feature of its own — so a rephrasing of a labelled threat
lands near it although it shares no word with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

from bridge.hints.features import Features

MODEL_FILE = Path(__file__).with_name("data") / "model.npz"


@dataclass(frozen=True)
class Head:
    """One multinomial logistic model: classes, sparse weights by bucket, dense weights, bias."""

    classes: tuple[str, ...]
    buckets: np.ndarray  # sorted int64 bucket ids with weights
    sparse: np.ndarray  # (len(buckets), classes) float32
    dense: np.ndarray  # (vector dimensions, classes) float32
    bias: np.ndarray  # (classes,) float32
    vector_scale: float = 1.0
    letters: bool = True  # reads the letter grams too

    def rows(self, features: Features) -> tuple[np.ndarray, np.ndarray]:
        """(weight rows, positions in FEATURES) of the features this head knows."""
        buckets, _ = features.sparse(self.letters)
        where = np.searchsorted(self.buckets, buckets)
        where = np.minimum(where, len(self.buckets) - 1)
        known = self.buckets[where] == buckets
        return where[known], np.flatnonzero(known)

    def probabilities(self, features: Features) -> np.ndarray:
        """Class probabilities for FEATURES."""
        rows, positions = self.rows(features)
        _, counts = features.sparse(self.letters)
        scores = self.bias + counts[positions] @ self.sparse[rows]
        scores = scores + (features.vector * self.vector_scale) @ self.dense
        scores = np.exp(scores - scores.max())
        return scores / scores.sum()

    def evidence(self, features: Features, label: str, limit: int = 3) -> list[str]:
        """The words of the message that pushed most towards LABEL, strongest first."""
        index = self.classes.index(label)
        rows, positions = self.rows(features)
        buckets, _ = features.sparse(self.letters)
        weights = self.sparse[rows]
        push = weights[:, index] - weights.mean(axis=1)
        order = np.argsort(-push)
        shown: list[str] = []
        for i in order:
            word = features.words.get(int(buckets[positions[i]]))
            if push[i] <= 0 or len(shown) >= limit:
                break
            if word and word not in shown and not any(word in s or s in word for s in shown):
                shown.append(word)
        return shown


@dataclass(frozen=True)
class Examples:
    """The meaning vectors of the labelled training messages, with their policy and topic."""

    vectors: np.ndarray  # (n, dimensions) float32, unit rows
    policy: np.ndarray  # (n, policy classes) bool: row i is labelled with that class
    topic: np.ndarray  # (n, topic classes) bool

    @cached_property
    def groups(self) -> tuple[np.ndarray, np.ndarray]:
        """The example rows grouped by class, policy classes then topic classes: (row order,
        start of each class in it) — for one pass of ``np.maximum.reduceat``."""
        rows = [np.flatnonzero(mask[:, c]) for mask in (self.policy, self.topic)
                for c in range(mask.shape[1])]
        starts = np.cumsum([0] + [len(r) for r in rows[:-1]])
        return np.concatenate(rows), starts

    def nearest(self, vector: np.ndarray) -> np.ndarray:
        """The best cosine of VECTOR to an example of each policy, then of each topic."""
        order, starts = self.groups
        if not vector.any():
            return np.zeros(len(starts), dtype=np.float32)
        # einsum, not «@»: a multi-threaded BLAS spends more on waking its threads for this one
        # product than on the product (2.8 ms against 0.4 ms on a busy machine)
        similarities = np.einsum("ij,j->i", self.vectors, vector)
        return np.maximum.reduceat(similarities[order], starts)


@dataclass(frozen=True)
class Model:
    """The heads of the hint model, the topic centroids (mean vector per topic), the examples."""

    policy: Head
    topic: Head
    centroids: dict  # topic → unit vector
    examples: Examples | None = None


def head_arrays(prefix: str, head: Head) -> dict:
    """The arrays of HEAD under names starting with PREFIX."""
    return {f"{prefix}_classes": np.array(head.classes), f"{prefix}_buckets": head.buckets,
            f"{prefix}_sparse": head.sparse.astype(np.float16), f"{prefix}_dense": head.dense,
            f"{prefix}_bias": head.bias, f"{prefix}_scale": np.array([head.vector_scale]),
            f"{prefix}_letters": np.array([head.letters])}


def read_head(data, prefix: str) -> Head:
    """The head stored under PREFIX."""
    return Head(tuple(str(c) for c in data[f"{prefix}_classes"]), data[f"{prefix}_buckets"],
                data[f"{prefix}_sparse"].astype(np.float32), data[f"{prefix}_dense"],
                data[f"{prefix}_bias"], float(data[f"{prefix}_scale"][0]),
                bool(data[f"{prefix}_letters"][0]))


def save(model: Model, path: Path = MODEL_FILE) -> None:
    """Write MODEL as a compressed ``.npz`` (arrays only: no pickled code)."""
    topics = sorted(model.centroids)
    examples = {}
    if model.examples is not None:
        examples = {"example_vectors": model.examples.vectors.astype(np.float16),
                    "example_policy": model.examples.policy, "example_topic": model.examples.topic}
    np.savez_compressed(path, **head_arrays("policy", model.policy),
                        **head_arrays("topic", model.topic), centroid_names=np.array(topics),
                        centroids=np.array([model.centroids[t] for t in topics]), **examples)


@lru_cache(maxsize=4)
def load(path: Path = MODEL_FILE) -> Model | None:
    """The stored model, or None when the file is absent (the rules then work alone)."""
    if not path.exists():
        return None
    with np.load(path, allow_pickle=False) as data:
        names = [str(n) for n in data["centroid_names"]]
        examples = None
        if "example_vectors" in data.files:
            examples = Examples(data["example_vectors"].astype(np.float32),
                                data["example_policy"], data["example_topic"])
        return Model(read_head(data, "policy"), read_head(data, "topic"),
                     dict(zip(names, data["centroids"])), examples)
