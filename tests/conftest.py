"""Shared test settings: a deterministic hypothesis profile and a seeded generator."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

# Derandomised: the same examples on every run, so a failure reproduces and CI is stable.
settings.register_profile(
    "mlcourse",
    derandomize=True,
    deadline=None,
    max_examples=25,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("mlcourse")


@pytest.fixture
def rng() -> np.random.Generator:
    """A generator seeded the same way in every test."""
    return np.random.default_rng(1234)
