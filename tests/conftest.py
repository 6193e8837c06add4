"""Shared test data: example problem files under tests/data and their derivations."""
from __future__ import annotations

from pathlib import Path

import pytest

from generator import derive_problem, load
from generator import Derivation, Problem

DATA = Path(__file__).parent / "data"
BAD = DATA / "bad"
EXAMPLES = ("bilinear", "delta", "network", "quadratic")


@pytest.fixture(scope="session")
def examples() -> dict[str, tuple[Problem, Derivation]]:
    """Every example problem of tests/data, loaded and derived (verified) in its own layout."""
    out = {}
    for name in EXAMPLES:
        problem = load(DATA / f"{name}.toml")
        out[name] = (problem, derive_problem(problem))
    return out
