from __future__ import annotations

import pytest
import rclpy


@pytest.fixture(scope="module")
def ros():
    """rclpy initialised for this test module (the loopback DDS environment is set by tests/conftest.py)."""
    rclpy.init()
    yield
    rclpy.shutdown()
