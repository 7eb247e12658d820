"""A STAND-IN for a C++ node of another package that cannot be installed here (robot_state_publisher,
move_group, rviz2, joint_state_publisher_gui): no such package is on PyPI, and these tests run with
no system ROS. conftest.py puts this script on the ament index as that package's executable, so
`ros2 launch` starts it exactly as it would start the real node.

It records what launch gave it (command line, resolved node name, every parameter from --params-file
and -p) in $LEROBOT_ROS_STANDIN_DIR/<executable>.json, then spins as a node of that name until SIGINT.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

import rclpy
from rclpy.node import Node


def main(executable: str) -> None:
    rclpy.init(args=sys.argv)
    node = Node(executable, automatically_declare_parameters_from_overrides=True)
    record = {
        "argv": sys.argv[1:],
        "node": node.get_fully_qualified_name(),
        "parameters": {name: p.value for name, p in node._parameters.items() if name != "use_sim_time"},
    }
    out = Path(os.environ["LEROBOT_ROS_STANDIN_DIR"]) / f"{executable}.json"
    out.write_text(json.dumps(record, default=list))
    signal.signal(signal.SIGTERM, lambda *_: rclpy.shutdown())
    try:
        rclpy.spin(node)
    except (KeyboardInterrupt, rclpy.executors.ExternalShutdownException):
        pass
