"""The features the hint model reads from a prepared message: words, word pairs, letters, meaning.

Sparse features are strings hashed into a fixed number of buckets (CRC-32, stable across runs
and machines): the lemma of every word (``w:``), every pair of neighbouring lemmas (``b:``),
the letter 3- to 5-grams of every raw token as written (``c:``; they read typos, masks and
look-alikes: «х*йня», «пи3дец», «кагда»), and the findings of the hand-written rules (``r:``).
The dense features are the message's sentence vector (``text.Message.vector``) and, after it,
the similarities the caller passes (``Hinter.dense``). Word features
carry the words they came from, so a hint can say which words made it.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from bridge.hints.text import Message, read_word

BUCKETS = 1 << 18
RAW_TOKEN_RE = re.compile(r"[^\s,.!?;:()«»\"]+")
MAX_TOKEN = 24  # longer tokens (links, hashes) give letter n-grams of their start only
LETTER_SIZES = (3, 4, 5)


@dataclass(frozen=True)
class Features:
    """Hashed sparse features (bucket → count), their readable words, and the sentence vector."""

    buckets: np.ndarray  # int64, unique
    counts: np.ndarray  # float32, parallel to buckets
    words: dict  # bucket → the words of the message it stands for (word features only)
    vector: np.ndarray
    word_buckets: np.ndarray | None = None  # the same without the letter grams
    word_counts: np.ndarray | None = None

    def sparse(self, letters: bool) -> tuple[np.ndarray, np.ndarray]:
        """(buckets, counts) with or without the letter grams."""
        return (self.buckets, self.counts) if letters else (self.word_buckets, self.word_counts)


@lru_cache(maxsize=500_000)
def bucket(feature: str) -> int:
    """The bucket of one feature string."""
    return zlib.crc32(feature.encode("utf-8")) % BUCKETS


# CRC-32 goes on from a prefix's value: crc32(b, crc32(a)) == crc32(a + b)
LETTER_PREFIX = zlib.crc32(b"c:")
REPEATED_RE = re.compile(r"(.)\1{2,}")


@lru_cache(maxsize=100_000)
def token_buckets(token: str) -> np.ndarray:
    """The buckets of one raw token's letter grams (tokens repeat: computed once each), as
    ``bucket("c:" + gram)`` would give them; int64, read-only (shared by the cache)."""
    found = np.array([zlib.crc32(gram.encode("utf-8"), LETTER_PREFIX) % BUCKETS
                      for gram in letter_grams(read_word(token))], dtype=np.int64)
    found.flags.writeable = False
    return found


def letter_grams(token: str) -> list[str]:
    """The letter 3- to 5-grams of TOKEN framed by «<» and «>», repeated letters squeezed."""
    token = REPEATED_RE.sub(r"\1\1", token[:MAX_TOKEN])
    framed = f"<{token}>"
    return [framed[i:i + n] for n in LETTER_SIZES for i in range(len(framed) - n + 1)]


def named_features(message: Message, flags: tuple[str, ...]) -> list[tuple[str, str]]:
    """(feature, words it stands for) pairs of MESSAGE, letter grams aside (``token_buckets``);
    FLAGS are the rules' findings."""
    lemmas, words, content = message.lemmas, message.words, set(message.content)
    shown = [word if i in content and len(word) > 2 else "" for i, word in enumerate(words)]
    named = [("w:" + lemma, word) for lemma, word in zip(lemmas, shown)]
    named += [(f"b:{lemmas[i]} {lemmas[i + 1]}",
               f"{words[i]} {words[i + 1]}" if shown[i] and shown[i + 1] else "")
              for i in range(len(words) - 1)]
    named += [("r:" + flag, "") for flag in flags]
    if not message.words:
        named.append(("r:no_words", ""))
    elif len(message.words) <= 3:
        named.append(("r:short", ""))
    if "?" in message.text:
        named.append(("r:question_mark", ""))
    return named


def extract(message: Message, flags: tuple[str, ...] = (),
            dense: np.ndarray | None = None) -> Features:
    """The features of MESSAGE; DENSE values (similarities) follow its sentence vector."""
    named = named_features(message, flags)
    keys = [bucket(feature) for feature, _ in named]
    words = {key: shown for key, (_, shown) in zip(keys, named) if shown}
    word_array = np.array(keys, dtype=np.int64)
    word_keys, word_counts = counted(word_array)
    grams = [token_buckets(token) for token in RAW_TOKEN_RE.findall(message.folded)]
    all_keys, all_counts = counted(np.concatenate([word_array, *grams]))
    vector = message.vector if dense is None else np.concatenate([message.vector, dense])
    return Features(all_keys, all_counts, words, vector, word_keys, word_counts)


def counted(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique sorted buckets and their log-scaled counts (a word said three times is not three
    times the evidence)."""
    ordered = np.sort(keys)  # what np.unique(return_counts=True) does, without its checks
    first = np.empty(len(ordered), dtype=bool)
    first[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    counts = np.diff(np.append(starts, len(ordered)))
    return ordered[first], np.log1p(counts).astype(np.float32)
