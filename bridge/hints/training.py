"""Fit the hint model on the tuning part of the corpus and write ``data/model.npz``.

Run from the repository root (development time only; needs scikit-learn):

    python -m bridge.hints.training            # fit on the training data, write the model
    python -m bridge.hints.training --cv       # 5-fold cross-validation on the training data
    python -m bridge.hints.training --transfer # fit on the older sets, measure on the newest
    python -m bridge.hints.training --repeats  # refit the repeat combination only
    python -m bridge.hints.training --repeat-cv  # 5-fold cross-validation of the repeat pairs
    python -m bridge.hints.training --repeat-transfer [SET]  # repeats: other sets → SET (newest)

The training data are the tuning part of the main corpus and the training-only sets of
``EXTRAS`` (``training_v3`` … ``training_v19``: written later, in other words; ``--transfer
[SET]`` fits on every other set and measures on SET, by default the newest, and back — the
nearest thing to new writers that training may look at). The held-out part of the
corpus (``corpus.is_held_out``) and held-out set v2 are never read here. Each head is a
multinomial logistic regression over the hashed sparse features and the sentence vector
(``features.py``); the rules' findings are features too, so the model learns how far to trust
each rule. The repeat combination (``repeat.py``) is a logistic regression over the four
measures of the training repeat pairs, written to ``data/repeat_weights.txt`` with the document
counts of lemmas in the training messages.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from collections import Counter
from pathlib import Path

import numpy as np

from bridge.hints.corpus import (
    REPEATS_FILE, Labelled, pair_held_out, read_corpus, read_extra_repeats, read_extra_training,
    read_repeats, split,
)
from bridge.hints.features import BUCKETS, extract
from bridge.hints.model import Examples, Head, Model, save
from bridge.hints.routing import NO_TOPIC
from bridge.hints.text import prepare

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "hints" / "corpus"
LEGACY = ROOT / "tests" / "hints" / "labelled.tsv"
EXTRAS = (CORPUS / "training_v3", CORPUS / "training_v4", CORPUS / "training_v5",
          CORPUS / "training_v6", CORPUS / "training_v7", CORPUS / "training_v8",
          CORPUS / "training_v9", CORPUS / "training_v10", CORPUS / "training_v11",
          CORPUS / "training_v12", CORPUS / "training_v13", CORPUS / "training_v14",
          CORPUS / "training_v16", CORPUS / "training_v17", CORPUS / "training_v18",
          CORPUS / "training_v19")
# --transfer: fit on everything older, measure on the newest set of messages (and back); a set of
# repeat pairs only (v12) has no messages to measure on.
NEWEST = [folder for folder in EXTRAS if any(path.name != REPEATS_FILE
                                             for path in folder.glob("*.txt"))][-1]
# --repeat-transfer: the same question for the repeat pairs, by default on the newest set of pairs.
NEWEST_PAIRS = [folder for folder in EXTRAS if (folder / REPEATS_FILE).exists()][-1]
VECTOR_SCALE = 3.0
POLICY_C = 4.0
AUGMENT = True
TOPIC_LETTERS = False  # topics read words, not letters (letters helped only the policy head)
TOPIC_C = 4.0
ANCHOR_WEIGHT = 1.0  # the demo profile beside the topic's mean message (anchored)
REPEAT_C = 10.0  # chosen by --repeat-cv on the training pairs
# Session 6 tried 0.4 (the best worst of precision and recall over --repeat-transfer and
# --repeat-cv); the held-out floor of tests/hints/test_corpus.py failed on precision, so the
# threshold of session 5 stays rather than one picked by a held-out figure. Session 7 (with the
# done and follow-up measures) chose 0.55 by --repeat-transfer on v19, v12 and v8 and
# --repeat-cv: precision rose on all four and recall fell by one pair at most against 0.5.
REPEAT_THRESHOLD = 0.55
DATA = Path(__file__).with_name("data")


LATIN = {"а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "yo", "ж": "zh",
         "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p",
         "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "h", "ц": "ts", "ч": "ch",
         "ш": "sh", "щ": "sch", "ъ": "", "ы": "y", "ь": "'", "э": "e", "ю": "yu", "я": "ya"}


def noisy(text: str, rng: random.Random) -> str:
    """A copy of TEXT as a hastier writer would type it: no punctuation and capitals, a typo or
    two, or Latin letters — training data only, so the model does not lean on tidy spelling."""
    kind = rng.random()
    if kind < 0.15:
        return "".join(LATIN.get(char, char) for char in text.lower())
    words = re.sub(r"[,.!?;:«»\"()—-]+", " ", text.lower()).split()
    for _ in range(2):
        index = rng.randrange(len(words)) if words else 0
        if words and len(words[index]) > 4:
            word = words[index]
            cut = rng.randrange(1, len(word) - 1)
            words[index] = word[:cut] + word[cut + 1:] if kind < 0.6 else word[:cut] + word[cut] + word[cut:]
    return " ".join(words)


def augmented(rows: list[Labelled], seed: int = 13) -> tuple[list[Labelled], list[int]]:
    """ROWS and one noisy copy of each, and for every row the index of the message it copies."""
    rng = random.Random(seed)
    copies = [(Labelled(noisy(row.text, rng), row.department, row.policy, row.source), index)
              for index, row in enumerate(rows) if row.text.strip()]
    return rows + [copy for copy, _ in copies], list(range(len(rows))) + [i for _, i in copies]


def training_sets() -> list[tuple[Path, list[Labelled]]]:
    """(folder, messages) of every training set: the tuning part of the main corpus, then each
    training-only set of EXTRAS — never a held-out part. A line of a later set equal to an
    earlier one is read once."""
    main = read_corpus(CORPUS, [LEGACY])
    taken, sets = list(main), [(CORPUS, split(main)[0])]
    for folder in EXTRAS:
        rows = read_extra_training(folder, taken)
        taken += rows
        sets.append((folder, rows))
    return sets


def training_parts() -> tuple[list[Labelled], list[Labelled]]:
    """(the tuning part of the main corpus, the training-only sets of EXTRAS)."""
    sets = training_sets()
    return sets[0][1], [row for _, rows in sets[1:] for row in rows]


def transfer_parts(target: Path = NEWEST) -> tuple[list[Labelled], list[Labelled]]:
    """(every other training set, TARGET — by default NEWEST): written by other hands at other
    times, the nearest thing to new writers that training may look at."""
    sets = training_sets()
    return ([row for folder, rows in sets if folder != target for row in rows],
            [row for folder, rows in sets if folder == target for row in rows])


def tuning_rows() -> list[Labelled]:
    """Every training message (never a held-out one)."""
    tuning, extra = training_parts()
    return tuning + extra


def pair_sets() -> list[tuple[Path, list]]:
    """(folder, repeat pairs) of every training set: the tuning part of the main corpus's pairs,
    then each set of EXTRAS that has pairs; a pair of a later set equal to an earlier one is read
    once."""
    main = read_repeats(CORPUS)
    taken, sets = list(main), [(CORPUS, split(main, pair_held_out)[0])]
    for folder in (f for f in EXTRAS if (f / REPEATS_FILE).exists()):  # v5 has no pairs
        pairs = read_extra_repeats(folder, taken)
        taken += pairs
        sets.append((folder, pairs))
    return sets


def tuning_pairs() -> list:
    """Every training repeat pair (never a held-out one)."""
    return [pair for _, pairs in pair_sets() for pair in pairs]


def prepared(rows: list[Labelled], use_rules: bool = True) -> list:
    """(message, flags, dense context) of every row, read as ``Hinter.context`` reads it, with
    the demo municipality (the corpus is labelled with its department codes)."""
    from bridge.hints.evaluation import demo_municipality
    from bridge.hints.hint import Hinter

    hinter = Hinter(*demo_municipality(), model=None)
    result = []
    for row in rows:
        message = prepare(row.text)
        flags, dense = hinter.context(message, hinter.verdicts(message))
        result.append((message, flags if use_rules else (), dense))
    return result


def one_hot(labels: list[str]) -> tuple[list[str], np.ndarray]:
    """The sorted classes of LABELS and a (rows, classes) boolean matrix."""
    classes = sorted(set(labels))
    return classes, np.array([[label == c for c in classes] for label in labels], dtype=bool)


def nearest_examples(vectors: np.ndarray, groups: list[int], masks: list[np.ndarray],
                     bank: int) -> np.ndarray:
    """For every training row, its best cosine to an example of each class among the first BANK
    rows (the messages as written; their noisy copies are not examples) — leaving out the row
    itself and the message it copies (a message is never its own nearest example)."""
    similarities = vectors @ vectors[:bank].T
    group = np.array(groups)
    similarities[group[:, None] == group[None, :bank]] = -1.0
    columns = [np.where(mask[:bank, c][None, :], similarities, -1.0).max(axis=1)
               for mask in masks for c in range(mask.shape[1])]
    return np.stack(columns, axis=1).astype(np.float32)


def matrix(features: list, letters: bool, scale: float = VECTOR_SCALE):
    """A sparse design matrix: hashed buckets, then the scaled sentence vector."""
    from scipy import sparse

    rows, cols, values = [], [], []
    for i, item in enumerate(features):
        buckets, counts = item.sparse(letters)
        rows += [i] * len(buckets)
        cols += buckets.tolist()
        values += counts.tolist()
        rows += [i] * len(item.vector)
        cols += range(BUCKETS, BUCKETS + len(item.vector))
        values += (item.vector * scale).tolist()
    width = BUCKETS + len(features[0].vector)
    return sparse.csr_matrix((values, (rows, cols)), shape=(len(features), width), dtype=np.float32)


def fit_head(features: list, labels: list[str], c: float, letters: bool) -> Head:
    """Fit one multinomial logistic head and keep the weights of used buckets only."""
    from sklearn.linear_model import LogisticRegression

    classifier = LogisticRegression(C=c, max_iter=3000, class_weight="balanced")
    classifier.fit(matrix(features, letters), labels)
    weights = classifier.coef_.T.astype(np.float32)  # (features, classes)
    if weights.shape[1] == 1:  # two classes: sklearn keeps one column
        weights = np.hstack([-weights / 2, weights / 2])
    used = np.flatnonzero(np.abs(weights[:BUCKETS]).max(axis=1) > 0)
    bias = classifier.intercept_.astype(np.float32)
    return Head(tuple(str(c) for c in classifier.classes_), used.astype(np.int64),
                weights[used], weights[BUCKETS:], bias, VECTOR_SCALE, letters)


def topic_of(row: Labelled) -> str:
    return row.department or NO_TOPIC


def fit(rows: list[Labelled], use_rules: bool = True) -> Model:
    """Fit both heads, the topic centroids and the examples on ROWS (and their noisy copies, if
    AUGMENT)."""
    groups = list(range(len(rows)))
    bank = len(rows)
    if AUGMENT:
        rows, groups = augmented(rows)
    read = prepared(rows, use_rules)
    vectors = np.array([message.vector for message, _, _ in read], dtype=np.float32)
    _, policy_mask = one_hot([row.policy for row in rows])
    _, topic_mask = one_hot([topic_of(row) for row in rows])
    near = nearest_examples(vectors, groups, [policy_mask, topic_mask], bank)
    features = [extract(message, flags, np.concatenate([dense, near[i]]))
                for i, (message, flags, dense) in enumerate(read)]
    policy = fit_head(features, [row.policy for row in rows], POLICY_C, letters=True)
    topic = fit_head(features, [topic_of(row) for row in rows], TOPIC_C, letters=TOPIC_LETTERS)
    centroids = {}
    for name in sorted({topic_of(row) for row in rows}):
        chosen = vectors[[topic_of(row) == name for row in rows]]
        mean = np.mean(chosen, axis=0)
        centroids[name] = (mean / (np.linalg.norm(mean) or 1.0)).astype(np.float32)
    examples = Examples(vectors[:bank], policy_mask[:bank], topic_mask[:bank])
    return Model(policy, topic, anchored(centroids), examples)


def anchored(centroids: dict, weight: float | None = None) -> dict:
    """The topics' vectors that another municipality's departments are matched to
    (``routing.assign_topics``): the mean of the topic's messages, pulled towards the profile of
    the demo department it stands for (name, description, keywords) — a department's profile
    is a description, so it is compared with one (the mean of the culture messages alone lies
    nearer «школы, детские сады» than «спортивные секции, бассейны»: children do sports)."""
    from bridge.hints.evaluation import demo_municipality
    from bridge.hints.routing import Router

    weight = ANCHOR_WEIGHT if weight is None else weight
    profiles = {p.department.code: p.vector for p in Router.build(demo_municipality()[0]).profiles}
    result = {}
    for topic, centroid in centroids.items():
        vector = centroid + weight * profiles[topic] if topic in profiles else centroid
        result[topic] = (vector / (np.linalg.norm(vector) or 1.0)).astype(np.float32)
    return result


def lemma_counts(rows: list[Labelled]) -> Counter:
    """In how many of ROWS each content lemma occurs (the rarity ``repeat.py`` weighs words by)."""
    from bridge.hints.repeat import content_lemmas

    counts: Counter = Counter()
    for row in rows:
        counts.update(content_lemmas(prepare(row.text)))
    return counts


def repeat_design(pairs: list, model) -> tuple[np.ndarray, np.ndarray]:
    """The measures (rows) and labels of the PAIRS that name no conflicting numbers (those are
    no repeat by rule, whatever the model says)."""
    from bridge.hints.repeat import measures, numbers

    values, labels = [], []
    for pair in pairs:
        new, old = prepare(pair.new), prepare(pair.earlier)
        if numbers(new) and numbers(old) and not numbers(new) & numbers(old):
            continue
        values.append(measures(new, old, model))
        labels.append(pair.repeat)
    return np.array(values, dtype=float), np.array(labels, dtype=bool)


def fit_repeats(pairs: list, rows: list[Labelled]):
    """The repeat combination fitted on PAIRS, weighing words by their counts in ROWS."""
    from sklearn.linear_model import LogisticRegression

    from bridge.hints.repeat import MEASURES, RepeatModel

    counts = lemma_counts(rows)
    unfitted = RepeatModel((0.0,) * len(MEASURES), 0.0, REPEAT_THRESHOLD, len(rows), dict(counts))
    values, labels = repeat_design(pairs, unfitted)
    classifier = LogisticRegression(C=REPEAT_C, max_iter=3000).fit(values, labels)
    return RepeatModel(tuple(float(w) for w in classifier.coef_[0]),
                       float(classifier.intercept_[0]), REPEAT_THRESHOLD, len(rows), dict(counts))


def save_repeats(model, path: Path = DATA / "repeat_weights.txt") -> None:
    """Write the repeat combination MODEL as a reviewable text file (``repeat.shipped_model``)."""
    from bridge.hints.repeat import MEASURES

    lines = ["# The repeat combination of repeat.py, written by python -m bridge.hints.training",
             "# --repeats: a logistic regression over the measures of the training repeat pairs,",
             "# and in how many training messages each content lemma occurs (its rarity).",
             "[model]"]
    lines += [f"{name} = {weight:.6f}" for name, weight in zip(MEASURES, model.weights)]
    lines += [f"bias = {model.bias:.6f}", f"threshold = {model.threshold}",
              f"messages = {model.messages}", "[counts]"]
    lines += [f"{lemma} {count}" for lemma, count in sorted(model.counts.items())
              if "#" not in lemma and "=" not in lemma]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def repeat_cv(pairs: list, rows: list[Labelled], k: int = 5) -> None:
    """Print the precision and recall of the repeat combination over K folds of PAIRS, at a few
    thresholds, beside the shipped combination's on the same pairs."""
    from dataclasses import replace

    from bridge.hints.repeat import repeat_score, shipped_model

    found: list[tuple[bool, float]] = []
    for train, test in folds(pairs, k):
        model = fit_repeats(train, rows)
        for pair in test:
            found.append((pair.repeat, repeat_score(prepare(pair.new), prepare(pair.earlier),
                                                    replace(model, threshold=0.0))))
    shipped = [(pair.repeat, repeat_score(prepare(pair.new), prepare(pair.earlier)) > 0)
               for pair in pairs]
    print(f"repeat pairs: {len(pairs)}, of which repeats {sum(p.repeat for p in pairs)}")
    for threshold in (0.4, 0.45, 0.5, 0.55, 0.6, 0.7):
        print(f"  threshold {threshold}: " + precision_recall(
            [(label, score >= threshold and score > 0) for label, score in found]))
    print("  shipped weights (fitted on all these pairs): " + precision_recall(shipped))


def repeat_transfer(target: Path = NEWEST_PAIRS) -> None:
    """Print the precision and recall of the repeat combination fitted on the pairs (and the
    messages) of every other set, measured on TARGET's pairs, and back. Words are weighed by
    their counts in the fitting side's messages; a set of pairs only (v12) has none, so the way
    back weighs them by the other sets' messages (counts of words, no labels)."""
    from dataclasses import replace

    from bridge.hints.repeat import repeat_score

    older_rows, newest_rows = transfer_parts(target)
    sets = pair_sets()
    older = [pair for folder, pairs in sets if folder != target for pair in pairs]
    newest = [pair for folder, pairs in sets if folder == target for pair in pairs]
    for train, rows, test, title in ((older, older_rows, newest, f"other sets → {target.name}"),
                                     (newest, newest_rows or older_rows, older,
                                      f"{target.name} → other sets")):
        model = replace(fit_repeats(train, rows), threshold=0.0)
        found = [(pair.repeat, repeat_score(prepare(pair.new), prepare(pair.earlier), model))
                 for pair in test]
        print(f"== repeats, {title}: {len(test)} pairs, of which repeats "
              f"{sum(p.repeat for p in test)}")
        for threshold in (0.4, 0.45, 0.5, 0.55, 0.6):
            print(f"  threshold {threshold}: " + precision_recall(
                [(label, score >= threshold and score > 0) for label, score in found]))


def precision_recall(found: list[tuple[bool, bool]]) -> str:
    true = sum(1 for label, hinted in found if label and hinted)
    hinted = sum(1 for _, h in found if h)
    labelled = sum(1 for label, _ in found if label)
    return (f"precision {true / hinted if hinted else 1.0:.3f} "
            f"recall {true / labelled if labelled else 1.0:.3f}")


def folds(rows: list, k: int = 5):
    """K (train, test) folds of ROWS, by position (the corpus order mixes files)."""
    for index in range(k):
        yield ([r for i, r in enumerate(rows) if i % k != index],
               [r for i, r in enumerate(rows) if i % k == index])


def confusions(scores, limit: int = 10) -> list[str]:
    """The most frequent department errors of SCORES (training data only), and the policy
    errors, as readable lines."""
    departments = sorted(((n, lab, hin) for (lab, hin), n in scores.department.items()
                          if lab != hin), reverse=True)[:limit]
    policies = sorted(((n, lab, hin) for (lab, hin), n in scores.policy.items()
                       if lab != hin), reverse=True)[:limit]
    return (["department errors: " + ", ".join(f"{l}→{h} {n}" for n, l, h in departments),
             "policy errors: " + ", ".join(f"{l}→{h} {n}" for n, l, h in policies)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cv", action="store_true", help="cross-validate on the tuning part")
    parser.add_argument("--transfer", nargs="?", const=NEWEST.name, metavar="SET",
                        help="fit on the other sets, measure on SET (the newest), and back")
    parser.add_argument("--no-rules", action="store_true", help="leave the rules' flags out")
    parser.add_argument("--repeats", action="store_true", help="refit the repeat combination only")
    parser.add_argument("--repeat-cv", action="store_true", help="cross-validate the repeats")
    parser.add_argument("--repeat-transfer", nargs="?", const=NEWEST_PAIRS.name, metavar="SET",
                        help="the repeats fitted on the other sets, measured on SET (the newest)")
    args = parser.parse_args(argv)
    rows = tuning_rows()
    if args.repeat_cv:
        repeat_cv(tuning_pairs(), rows)
        return 0
    if args.repeat_transfer:
        repeat_transfer(CORPUS / args.repeat_transfer)
        return 0
    if args.repeats:
        save_repeats(fit_repeats(tuning_pairs(), rows))
        print("repeat weights written")
        return 0
    print(f"training data: {len(rows)} messages; {Counter(r.policy for r in rows)}")
    if args.cv or args.transfer:
        from bridge.hints.evaluation import measure_with_model

        if args.transfer:
            target = CORPUS / args.transfer
            older, newest = transfer_parts(target)
            runs = [(older, newest, f"other sets → {target.name}")]
            if len({row.policy for row in newest}) > 1:  # v16 is all «normal»: no policy head
                runs.append((newest, older, f"{target.name} → other sets"))
        else:
            runs = [(train, test, f"fold {i}") for i, (train, test) in enumerate(folds(rows))]
        predictions = []
        for train, test, title in runs:
            predictions.append(measure_with_model(test, fit(train, not args.no_rules)))
            if args.transfer:
                print(f"== {title}")
                print("\n".join(predictions[-1].report() + confusions(predictions[-1])))
        if args.cv:
            merged = predictions[0].merge(predictions[1:])
            for line in merged.report() + confusions(merged):
                print(line)
        return 0
    save(fit(rows, not args.no_rules))
    save_repeats(fit_repeats(tuning_pairs(), rows))
    print("model and repeat weights written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
