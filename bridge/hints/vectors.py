"""Sentence vectors from the ``navec`` Russian word embeddings that ship inside ``natasha``.

The embeddings (250,000 words, 300 dimensions, news corpus) are a file inside the installed
``natasha`` wheel, so they load offline, once per process (about half a second). A sentence is
the normalised mean of the vectors of its content words; a word the vocabulary lacks is looked
up by its lemma, and skipped when neither is known. Similarity is the dot product of two such
vectors (their cosine).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Iterable

import numpy as np

DIMENSIONS = 300
NAVEC_FILE = "navec_news_v1_1B_250K_300d_100q.tar"
ZERO = np.zeros(DIMENSIONS, dtype=np.float32)


def navec_path() -> Path:
    """Where the installed ``natasha`` keeps its copy of the navec embeddings."""
    import natasha.data

    return Path(natasha.data.__file__).with_name("emb") / NAVEC_FILE


@lru_cache(maxsize=1)
def embeddings():
    """The navec model, loaded on first use, for look-ups only (``lookup_pq``)."""
    from navec import Navec
    from navec.meta import Meta
    from navec.tar import Tar
    from navec.vocab import Vocab

    with Tar(str(navec_path())) as tar:  # the archive's three members, as navec writes them
        meta = Meta.from_file(tar.load("meta.json"))
        Meta.check_protocol(meta.protocol)
        vocab = Vocab.from_file(tar.load("vocab.bin"))
        return Navec(meta, vocab, lookup_pq().from_file(tar.load("pq.bin")))


def lookup_pq() -> type:
    """navec's quantised vectors without what only its ``sim`` reads: ``PQ.precompute`` builds a
    norm per word through a 250,000 × 100 temporary (100 MB) and the centroids' products (26 MB),
    most of the load time and of the process's peak memory; a look-up (``PQ.__getitem__``) needs
    only ``qdims``."""
    from navec.pq import PQ

    class LookupPQ(PQ):
        def precompute(self) -> None:
            self.qdims = np.arange(self.qdim)

    return LookupPQ


@lru_cache(maxsize=200_000)
def word_vector(word: str, lemma: str = "") -> np.ndarray | None:
    """The vector of WORD (or of its LEMMA when the form is unknown), or None."""
    model = embeddings()
    for key in (word, lemma):
        if key and key in model:
            return np.asarray(model[key], dtype=np.float32)
    return None


def sentence_vector(pairs: Iterable[tuple[str, str]]) -> np.ndarray:
    """The unit mean vector of (word, lemma) PAIRS; the zero vector when none is known."""
    found = [vector for vector in (word_vector(w, l) for w, l in pairs) if vector is not None]
    if not found:
        return ZERO
    # np.mean(found, axis=0) and np.linalg.norm(mean), the same operations without their
    # wrappers' checks (a float32 sum divided by an intp count; the root of the dot product)
    mean = np.add.reduce(np.array(found), axis=0)
    np.true_divide(mean, np.intp(len(found)), out=mean, casting="unsafe")
    norm = float(np.sqrt(mean.dot(mean)))
    return (mean / norm).astype(np.float32) if norm else ZERO
