"""Parameter declarations without ROS (node_params/param.py): which changes a running node accepts."""

from __future__ import annotations

import pytest

from lerobot_ros.node_params import robot_node
from lerobot_ros.node_params.param import Param, changed_values, markdown_table

PARAMS = [Param("port", "sim", "Serial port"),
          Param("rate_hz", 1.0, "Rate", min=0.1, max=10.0, read_only=False),
          Param("mode", "arm", "Mode", choices=("arm", "base"), read_only=False)]


def test_a_settable_parameter_is_validated_like_a_declared_one():
    assert changed_values(PARAMS, {"rate_hz": 5}) == {"rate_hz": 5.0}
    assert changed_values(PARAMS, {"mode": "base", "rate_hz": 0.5}) == {"mode": "base", "rate_hz": 0.5}
    with pytest.raises(ValueError, match="rate_hz=20.0 is above its maximum 10.0"):
        changed_values(PARAMS, {"rate_hz": 20.0})
    with pytest.raises(ValueError, match="mode='wheels': choose one of arm, base"):
        changed_values(PARAMS, {"mode": "wheels"})


def test_read_once_and_unknown_parameters_are_refused_by_name():
    with pytest.raises(ValueError, match="parameter port is read once at start-up: restart the node"):
        changed_values(PARAMS, {"port": "/dev/ttyACM0"})
    with pytest.raises(ValueError, match="parameter speed is not one of this node's"):
        changed_values(PARAMS, {"speed": 1.0})


def test_the_docs_table_says_which_parameters_take_effect_when_set():
    rows = {row.split("|")[1].strip(" `"): row for row in markdown_table(PARAMS).splitlines()[2:]}
    assert "Takes effect when set" in rows["rate_hz"] and "Takes effect when set" not in rows["port"]


def test_robot_node_settable_parameters_are_the_ones_it_applies():
    settable = {p.name for p in robot_node.PARAMS if not p.read_only}
    assert settable == {"command_timeout_s", "goal_position_tolerance_rad", "path_position_tolerance_rad",
                        "goal_time_tolerance_s", "diagnostics_rate_hz"}
