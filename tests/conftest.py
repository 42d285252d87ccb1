"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
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


def _service_url(variable: str, what: str) -> str:
    url = os.environ.get(variable)
    if not url:
        pytest.skip(f"no {what}: run the suite through scripts/with-services.sh (as `make test` does)")
    return url


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The real redis-server that scripts/with-services.sh started on loopback for this run."""
    return _service_url("JAZZBOT_TEST_REDIS_URL", "redis-server")


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The real PostgreSQL server (an empty `jazzbot` database) that scripts/with-services.sh started."""
    return _service_url("JAZZBOT_TEST_DATABASE_URL", "PostgreSQL server")
