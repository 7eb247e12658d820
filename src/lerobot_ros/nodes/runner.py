"""How every lerobot_ros node process runs: its own signal handling, the executor on a thread, a
clean stop.

rclpy's default signal handling raised from inside spin() at any point and occasionally hung after
SIGTERM; here SIGINT, SIGTERM and SIGHUP (a closed SSH session) only set an event, and the main
thread stops the executor, then the node (torque off, terminal restored, final stop commands).
"""

from __future__ import annotations

import signal
import sys
import threading
from typing import Callable, Protocol

import rclpy
from rclpy.executors import Executor, SingleThreadedExecutor
from rclpy.node import Node

from .spin_thread import spin_in_thread


class RunnableNode(Protocol):
    """A node that :func:`run_node` can run."""

    finished: threading.Event  # set by the node when it must stop on its own (e.g. its terminal closed)

    def start(self) -> None:
        """Start the node's own threads (control loops, readers), once the executor spins."""

    def shutdown(self) -> None:
        """Stop safely; called once, after the executor has stopped."""


def run_node(make_node: Callable[[], Node], name: str, setup_errors: tuple[type[Exception], ...] = (ValueError,),
             args=None, make_executor: Callable[[], Executor] = SingleThreadedExecutor) -> None:
    """Run ``make_node()`` until a signal or ``node.finished``; exit 1 with the reason on a setup error."""
    # Node loops share the GIL with the executor's threads (and a simulated bus): hand it over every
    # 1 ms instead of Python's default 5 ms so a loop waits less for it.
    sys.setswitchinterval(0.001)
    rclpy.init(args=args, signal_handler_options=rclpy.signals.SignalHandlerOptions.NO)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda *_: stop.set())
    try:
        node = make_node()
    except setup_errors as err:
        rclpy.logging.get_logger(name).fatal(str(err))
        rclpy.try_shutdown()
        raise SystemExit(1) from None
    spinning = spin_in_thread(node, executor=make_executor(), name=f"{name}-executor")
    node.start()
    while not (stop.wait(0.1) or node.finished.is_set()):
        pass
    stopped = spinning.stop(timeout_s=2.0)  # an action still executing would hold it: do not wait long
    try:
        node.shutdown()
    finally:
        if stopped:  # else a callback is stuck in the executor: leave the node to the process exit
            node.destroy_node()
        rclpy.try_shutdown()
