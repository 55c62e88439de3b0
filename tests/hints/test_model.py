"""The shipped model: arrays only, loads offline, and the hints stay fast to start."""

import time

import numpy as np

from bridge.hints.model import MODEL_FILE, load
from bridge.hints.vectors import navec_path


def test_model_file_is_plain_arrays():
    with np.load(MODEL_FILE, allow_pickle=False) as data:  # no pickled code can run
        assert {"policy_sparse", "topic_sparse", "centroids"} <= set(data.files)


def test_model_and_embeddings_are_installed_files():
    assert MODEL_FILE.exists() and navec_path().exists()
    model = load()
    assert set(model.policy.classes) == {"normal", "obscene", "threat", "out_of_competence",
                                         "court_appeal", "bypass_law", "informational", "noise"}


def test_hinting_many_messages_is_fast(demo):
    texts = [f"нет горячей воды в доме {n} по улице Ленина" for n in range(300)]
    started = time.perf_counter()
    for text in texts:
        demo.suggest(text)
    assert time.perf_counter() - started < 3.0  # generous: bench/hints.py measures properly
