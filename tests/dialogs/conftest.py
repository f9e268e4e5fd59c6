"""The dialogs' tests share the house's shipped settings and a fresh dialog engine per test
(conversations are state: one test's "je pars" must not wait for another's answer)."""

from __future__ import annotations

import pytest

from core.config import Config, load
from dialogs.engine import DialogEngine


@pytest.fixture(scope="session")
def defaults() -> Config:
    """The shipped settings (core/default.toml), loaded once."""
    return load()


@pytest.fixture
def engine(defaults: Config) -> DialogEngine:
    """A dialog engine of its own for the test."""
    return DialogEngine(defaults)
