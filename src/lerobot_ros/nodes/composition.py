"""Nodes composed in one process: one rclpy context, the nodes of a stage spinning on one executor thread.

The demo and the evaluation bench run their nodes this way (as a launch file's composable nodes
would): messages still go through DDS, and a stage's nodes come and go together.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node

from .log_bridge import RclpyLogHandler
from .spin_thread import SpinThread


class GraphError(RuntimeError):
    """The graph could not do what it must (a callback that never finished); the message says."""


class Graph:
    """One rclpy context; the nodes of a stage spin on one executor thread and leave it together.

    A stage ends with :meth:`remove_all`, which stops the executor (:class:`SpinThread`: rclpy must
    not destroy a node that another thread is spinning), destroys the nodes, and starts a fresh
    executor for the next stage.
    """

    def __init__(self, parameters: Path):
        # As nodes/runner.py does for one node: the control loops share the GIL with the executor
        # threads (and both simulated buses), so hand it over every 1 ms instead of every 5 ms.
        sys.setswitchinterval(0.001)
        rclpy.init(args=["--ros-args", "--params-file", str(parameters)],
                   signal_handler_options=rclpy.signals.SignalHandlerOptions.NO)
        self.nodes: list[Node] = []
        self._start_spinning()

    def _start_spinning(self) -> None:
        # Single-threaded: Jazzy's MultiThreadedExecutor busy-loops re-submitting queued callbacks
        # (ros2/rclpy#1452, see recorder_node), and no callback of the demo's nodes blocks: the control
        # loops read their command streams on their own threads (nodes/loop_subscription.py) and
        # the stages call the recorder's methods from the main thread, not through its services.
        self._spinning = SpinThread(SingleThreadedExecutor(), name="graph-executor").start()

    def add(self, node: Node) -> Node:
        # Each node routes the core's Python logging to itself when it is created, so the last one
        # would be named on every core message of the process: name them lerobot_ros instead.
        logging.getLogger("lerobot_ros").handlers[:] = [RclpyLogHandler(rclpy.logging.get_logger("lerobot_ros"))]
        self._spinning.executor.add_node(node)
        self.nodes.append(node)
        if hasattr(node, "start"):
            node.start()  # a node's own threads (control loop, ticker) once the executor spins it
        return node

    def remove_all(self) -> None:
        """Stop the executor, then shut down and destroy the nodes, newest first (policy_node before
        the arm it drives), and start a fresh executor for the next stage. A node whose shutdown
        raises (policy_node exits 1 after a model error) is still destroyed, and so are the rest."""
        if not self._spinning.stop():
            raise GraphError("a node's callback did not finish within 5 s; its nodes cannot be destroyed safely")
        failure: BaseException | None = None
        while self.nodes:
            try:
                self._destroy(self.nodes.pop())
            except BaseException as err:  # noqa: BLE001 - re-raised below, once every node is gone
                failure = failure or err
        self._start_spinning()
        if failure is not None:
            raise failure

    @staticmethod
    def _destroy(node: Node) -> None:
        try:
            stop = getattr(node, "shutdown", None) or getattr(node, "close", None)
            if stop is not None:
                stop()
        finally:
            # destroy_node leaves waitables (robot_node's action server) alive, and they hold the
            # node's handle: the next node of the same name would share its /rosout publisher.
            for waitable in list(node.waitables):
                getattr(waitable, "destroy", lambda: None)()
            node.destroy_node()

    def close(self) -> None:
        try:
            self.remove_all()
        finally:
            self._spinning.stop()
            rclpy.try_shutdown()
