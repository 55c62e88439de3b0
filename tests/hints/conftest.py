"""Shared fixtures: the demo municipality's hinter (departments and bodies from the demo config)."""

import pytest

from bridge.hints import Hinter
from bridge.hints.evaluation import demo_municipality


@pytest.fixture(scope="session")
def demo():
    departments, bodies = demo_municipality()
    return Hinter(departments, bodies)


@pytest.fixture(scope="session")
def rules_only():
    departments, bodies = demo_municipality()
    return Hinter(departments, bodies, use_model=False)
