"""The corpus and the hint figures, measured on the held-out part only.

The floors below guard what the shipped hints reach on the held-out part of the main corpus
(``bench/hints.py`` prints the figures, and those of held-out set v2, which no test measures).
Issue 13 asks for 3.6 precision and recall ≥ 0.95, department ≥ 0.90 and each 3.7 reason
≥ 0.85. After session 3 the department and every 3.7 reason (bypass law 0.929/0.867) meet it;
3.6 recall (0.955/0.933) and repeat recall (11 of 13) do not quite, and the floors say so
rather than pretend.
"""

from collections import Counter
from pathlib import Path

import pytest

from bridge.hints.corpus import (
    HELD_OUT_PERCENT, is_held_out, pair_held_out, read_corpus, read_repeats, split,
)
from bridge.hints.evaluation import demo_municipality, measure, measure_repeats
from bridge.hints.precedence import NOT_PROCESSED, POLICIES

CORPUS = Path(__file__).with_name("corpus")
LEGACY = Path(__file__).with_name("labelled.tsv")


@pytest.fixture(scope="module")
def rows():
    return read_corpus(CORPUS, [LEGACY])


@pytest.fixture(scope="module")
def scores(rows, demo):
    held = split(rows)[1]
    pairs = split(read_repeats(CORPUS), pair_held_out)[1]
    return measure_repeats(pairs, demo, measure(held, demo))


def test_corpus_is_large_and_covers_everything(rows):
    assert len(rows) >= 1500  # the older labelled.tsv folded in
    assert {row.policy for row in rows} == set(POLICIES)
    codes = {department.code for department in demo_municipality()[0]}
    assert {row.department for row in rows} - {None} == codes
    counts = Counter(row.policy for row in split(rows)[1])
    assert min(counts.values()) >= 25  # every policy is measured on enough held-out messages


def test_split_holds_out_at_least_a_third(rows):
    held = split(rows)[1]
    assert HELD_OUT_PERCENT >= 34 and len(held) >= len(rows) / 3
    assert is_held_out("  Нет  ОТОПЛЕНИЯ ") == is_held_out("нет отопления")  # text alone decides


def test_3_6_precision_and_recall(scores):
    precision, recall = scores.precision_recall(NOT_PROCESSED)
    assert precision >= 0.92 and recall >= 0.92  # issue 13: 0.95 and 0.95


def test_department_accuracy(scores):
    assert scores.department_accuracy >= 0.90


@pytest.mark.parametrize(("policy", "floor"), [("court_appeal", 0.85), ("bypass_law", 0.80),
                                               ("out_of_competence", 0.85)])
def test_each_3_7_reason(scores, policy, floor):
    precision, recall = scores.precision_recall({policy})
    assert precision >= floor and recall >= floor  # issue 13: 0.85


def test_repeats(scores):
    precision, recall = scores.repeat_precision_recall()
    assert precision >= 0.84 and recall >= 0.84  # issue 13: 0.85; 13 repeats held out


V2 = CORPUS / "heldout_v2"


def test_held_out_v2_is_large_and_covers_everything():
    rows, pairs = read_corpus(V2), read_repeats(V2)
    assert len(rows) >= 500 and sum(pair.repeat for pair in pairs) >= 40
    assert {row.policy for row in rows} == set(POLICIES)
    codes = {department.code for department in demo_municipality()[0]}
    assert {row.department for row in rows} - {None} == codes


def test_training_never_reads_a_held_out_message(rows):
    from bridge.hints.corpus import split_key
    from bridge.hints.training import tuning_pairs, tuning_rows

    held = {split_key(row.text) for row in split(rows)[1] + read_corpus(V2)}
    assert not held & {split_key(row.text) for row in tuning_rows()}
    held_pairs = split(read_repeats(CORPUS), pair_held_out)[1] + read_repeats(V2)
    assert not {(p.earlier, p.new) for p in held_pairs} & {(p.earlier, p.new)
                                                           for p in tuning_pairs()}
