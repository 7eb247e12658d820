"""The reference side of benchmarks/record_dds.py: `lerobot-ros record` exactly as shipped, except
that its recorder spins on rclpy's MultiThreadedExecutor (4 threads), as it did before issue 23.

    python benchmarks/record_with_rclpy_executor.py <the arguments of lerobot-ros record>

Everything else (node, session, driver, reports) is the shipped code, so the two runs differ only in
the executor; see recorder_node's docstring for why the shipped one is single-threaded.
"""

from __future__ import annotations

import sys

from rclpy.executors import MultiThreadedExecutor

import lerobot_ros.nodes.spin_thread as spin_thread
from lerobot_ros.cli.main import main

_shipped = spin_thread.spin_in_thread


def _with_rclpy_executor(*nodes, executor=None, name: str = "spin"):
    return _shipped(*nodes, executor=MultiThreadedExecutor(num_threads=4), name=name)


if __name__ == "__main__":
    spin_thread.spin_in_thread = _with_rclpy_executor  # record.run imports it from the module when it runs
    sys.exit(main(["record", *sys.argv[1:]]))
