"""Hints for the operator (SPEC §1 step 2): 3.6 checks, policy (3.5, 3.7), department, repeats.

Pure: no I/O except reading the package's own vocabulary lists and model in ``data/``. The
municipality (departments, external bodies) is passed in by the caller, from configuration.
"""

from bridge.hints.bodies import ExternalBody
from bridge.hints.hint import Hint, Hinter, suggest
from bridge.hints.repeat import EarlierCase
from bridge.hints.routing import Department

__all__ = ["Department", "EarlierCase", "ExternalBody", "Hint", "Hinter", "suggest"]
