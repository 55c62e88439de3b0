"""Hints for the operator (SPEC §1 step 2): 3.6 checks, policy (3.5, 3.7), department, repeats.

Pure: no I/O except reading the package's own vocabulary lists in ``data/``.
"""

from bridge.hints.hint import Hint, suggest
from bridge.hints.repeat import EarlierCase
from bridge.hints.routing import DEFAULT_ROUTING

__all__ = ["DEFAULT_ROUTING", "EarlierCase", "Hint", "suggest"]
