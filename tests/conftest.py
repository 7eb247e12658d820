"""Test-wide setup: DDS stays on loopback, with a ROS domain id of this run's own.

Set before anything imports rclpy, and inherited by every node process a test starts.
"""

from __future__ import annotations

import os
import pathlib

import pytest
from oracle_helpers import REFERENCE_VENVS, Reference, build_oracle, build_reference
from ros_processes import kill_leftovers

REPO = pathlib.Path(__file__).resolve().parents[1]

os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
# Fast DDS 2.x (Humble, Jazzy) reads FASTRTPS_..., Fast DDS 3.x (Kilted, Lyrical) FASTDDS_...: set both.
for _variable in ("FASTRTPS_DEFAULT_PROFILES_FILE", "FASTDDS_DEFAULT_PROFILES_FILE"):
    os.environ[_variable] = str(REPO / "config" / "fastdds" / "loopback.xml")
os.environ["RMW_IMPLEMENTATION"] = "rmw_fastrtps_cpp"
# A domain of our own, apart from the Makefile's default (61) and from a parallel run's.
os.environ["ROS_DOMAIN_ID"] = str(100 + os.getpid() % 100)


@pytest.fixture(autouse=True)
def normal_scheduling():
    """No test may leave this process on real-time scheduling: every process it starts would inherit
    it (SVT-AV1 run as root does that; see lerobot_ros.dataset.video.undo_realtime_scheduling)."""
    yield
    assert os.sched_getscheduler(0) == os.SCHED_OTHER, "this test left the process on real-time scheduling"


@pytest.fixture(scope="session")
def oracle_python() -> pathlib.Path:
    """Python of the LeRobot 0.6.1 oracle venv (built once, outside the clone)."""
    return build_oracle()


@pytest.fixture(scope="session", params=sorted(REFERENCE_VENVS))
def lerobot_reference(request) -> Reference:
    """Each LeRobot reference in turn (0.4.4, 0.6.1): interop tests using it run against both."""
    return build_reference(request.param)


@pytest.fixture(scope="module", autouse=True)
def no_nodes_outlive_their_module():
    """Node processes a failed test left running end with its module (module-scoped fixtures may
    share a node between the module's tests), before the next module starts its own."""
    yield
    kill_leftovers()
