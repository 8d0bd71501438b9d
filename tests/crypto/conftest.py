"""Fixtures for the crypto tests: each suite in turn, and demo CAs in temporary directories."""

from __future__ import annotations

from pathlib import Path

import pytest

from ggzy.crypto import Suite
from tests.crypto.factories import make_ca


@pytest.fixture(params=list(Suite), ids=str)
def suite(request: pytest.FixtureRequest) -> Suite:
    suite: Suite = request.param
    return suite


@pytest.fixture
def gm_ca(tmp_path: Path) -> Path:
    make_ca(tmp_path / "gm-ca", Suite.GM)
    return tmp_path / "gm-ca"


@pytest.fixture
def intl_ca(tmp_path: Path) -> Path:
    make_ca(tmp_path / "intl-ca", Suite.INTL)
    return tmp_path / "intl-ca"


@pytest.fixture
def ca_dir(tmp_path: Path, suite: Suite) -> Path:
    """A demo CA of each suite in turn."""
    make_ca(tmp_path / "ca", suite)
    return tmp_path / "ca"
