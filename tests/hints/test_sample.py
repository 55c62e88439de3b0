"""Quality on the labelled sample (written before the code): the thresholds of the issue."""

from pathlib import Path

import pytest

from bridge.hints.evaluation import measure, parse_row
from bridge.hints.lexicon import DATA_DIR, read_entries
from bridge.hints.obscene import root_pattern
from bridge.hints.routing import DEFAULT_ROUTING

SAMPLE = Path(__file__).with_name("labelled.tsv")
POLICIES = {"normal", "obscene", "threat", "out_of_competence", "court_appeal", "bypass_law",
            "informational", "noise"}


@pytest.fixture(scope="module")
def rows():
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "text\tdepartment\tpolicy"
    return [parse_row(line) for line in lines[1:]]


@pytest.fixture(scope="module")
def scores(rows):
    return measure(rows)


def test_sample_is_large_and_covers_everything(rows):
    assert len(rows) >= 250
    assert {row.policy for row in rows} == POLICIES
    assert {row.department for row in rows} - {None} == set(DEFAULT_ROUTING)


def test_department_accuracy(scores):
    assert scores.department_accuracy >= 0.8


def test_3_6_precision_and_recall(scores):
    assert scores.precision >= 0.9
    assert scores.recall >= 0.85


def test_every_data_file_reads_and_roots_compile():
    names = sorted(path.name for path in DATA_DIR.glob("*.txt"))
    assert len(names) == 11
    assert all(read_entries(name) for name in names)
    assert root_pattern().search("хуй") and not root_pattern().search("страхуй")
