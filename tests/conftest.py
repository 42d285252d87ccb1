"""Fixtures shared by the whole suite."""

from __future__ import annotations

from pathlib import Path

import pytest

from model.compose import Composer
from model.paths import shared_data_dir


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data``; tests that need it skip cleanly when it is absent."""
    path = shared_data_dir()
    if not path.is_dir():
        pytest.skip(f"shared data not found at {path}")
    return path


@pytest.fixture(scope="session")
def composer() -> Composer:
    """The shipped model, loaded once (it is immutable and thread-safe)."""
    return Composer.load()
