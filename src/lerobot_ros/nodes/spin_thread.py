"""An rclpy executor spinning on a thread of its own, stopped for good before its nodes are destroyed.

rclpy (Jazzy) lets one thread destroy a node, or shut an executor down, while another thread is
inside that executor's wait on the node's handles. The destruction is then deferred to the spinning
thread, which finishes it when it lets go of the handles. Both ways that went wrong here:

* ``make demo``: the spin thread, building its next wait set, met a handle whose destruction was
  requested, raised ``InvalidHandle`` and ended, so nothing of the process spun any more;
* a test process hung for good: the spin thread was finishing a deferred node destruction inside
  Fast DDS, busy and holding the GIL, so no other thread (not even pytest's timeout) ever ran again.

So the spin loop here checks a stop flag between ``spin_once`` calls, and :meth:`SpinThread.stop`
sets it, hands the executor an empty task (a wake-up alone does not end a ``spin_once`` that has no
work) until the thread has ended, lets callbacks already handed to a MultiThreadedExecutor's worker
threads finish, and only then shuts the executor down. Destroy nodes after ``stop()``.
(``spin_once`` is called without a timeout, as ``Executor.spin`` does: with one, rclpy creates and
destroys a timer on every call, an overhead paid per callback.)
"""

from __future__ import annotations

import threading
import time

from rclpy.executors import Executor, ExternalShutdownException, SingleThreadedExecutor


class SpinThread:
    """``executor`` spun on a daemon thread until :meth:`stop`."""

    WAKE_EVERY_S = 0.1  # stop() hands the executor another empty task this often, until the thread ends

    def __init__(self, executor: Executor, name: str = "spin"):
        self.executor = executor
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._spin, name=name, daemon=True)

    def start(self) -> SpinThread:
        self._thread.start()
        return self

    def _spin(self) -> None:
        context = self.executor.context
        try:
            while not self._stop.is_set() and context.ok():
                self.executor.spin_once()
        except ExternalShutdownException:  # rclpy.shutdown() while spinning: the owner is ending anyway
            pass

    def stop(self, timeout_s: float = 5.0) -> bool:
        """End the spin loop and wait for callbacks in flight; False when that took over ``timeout_s``
        (the executor is then left running rather than shut down under a thread still in it)."""
        deadline = time.monotonic() + timeout_s
        self._stop.set()
        if self._thread.ident is not None:
            while self._thread.is_alive():
                if time.monotonic() > deadline:
                    return False
                self.executor.create_task(_nothing)
                self._thread.join(self.WAKE_EVERY_S)
        # A MultiThreadedExecutor hands callbacks to worker threads and keeps their tasks in
        # _futures (rclpy has no public way to wait for them; Jazzy's Executor.shutdown means to
        # but skips the wait). A SingleThreadedExecutor ran them inline: nothing is in flight.
        while not all(task.done() for task in getattr(self.executor, "_futures", ())):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        self.executor.shutdown(timeout_sec=0)
        return True


def _nothing() -> None:
    """The task that makes a waiting spin_once return."""


def spin_in_thread(*nodes, executor: Executor | None = None, name: str = "spin") -> SpinThread:
    """A started :class:`SpinThread` over ``nodes`` (a SingleThreadedExecutor unless one is given)."""
    executor = executor or SingleThreadedExecutor()
    for node in nodes:
        executor.add_node(node)
    return SpinThread(executor, name=name).start()
