from __future__ import annotations

from pathlib import Path

import pytest
from oracle_helpers import build_oracle


@pytest.fixture(scope="session")
def oracle_python() -> Path:
    """Python of the LeRobot 0.6.1 oracle venv (built once, outside the clone)."""
    return build_oracle()
