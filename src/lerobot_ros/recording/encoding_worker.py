"""The recorder's background writer: one thread that feeds a ``DatasetWriter`` from a bounded queue.

Encoding a camera frame takes milliseconds to tens of milliseconds; the recording thread must not
wait for it, or its ticks would come late. So frames go into a queue that holds at most
``max_frames`` of them. ``offer`` never blocks: when the queue is full it refuses the frame and the
caller counts it as dropped (exactly: a frame is either queued, then written, or refused).

Control items (save, clear) do not count against the bound and are never refused: they run in
order after the frames queued before them, so a save writes exactly the frames offered before it.
Frames are added on this one thread only; a session's save detaches the episode here
(``take_episode``) and commits it on its own commit thread (the writer allows that), so a commit
never holds the next episode's frames up.

The thread runs at a lower CPU priority (``nice``, added to the process's): the encoder threads
FFmpeg starts inherit it, so on a small computer the video encoder takes the cores that robot_node's
and teleop_node's loops leave, instead of delaying their ticks (docs/benchmarks.md, "Rates under
load"). Frames are still never lost silently: a starved encoder fills the queue and drops, counted.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass

from ..dataset import DatasetWriter, LanguageRow

_log = logging.getLogger(__name__)


def lower_this_thread(increment: int) -> None:
    """Add ``increment`` to the calling thread's nice value (Linux: per thread; threads it starts inherit it).

    Raising one's own nice value needs no privilege. Where the platform has no per-thread nice, the
    thread keeps its priority and a warning says so.
    """
    if increment <= 0:
        return
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + increment))
    except (AttributeError, OSError) as err:
        _log.warning("the encoder thread keeps its CPU priority (%s)", err)


@dataclass(frozen=True)
class _Frame:
    values: dict
    task: str
    events: tuple[LanguageRow, ...]


@dataclass(frozen=True)
class _Call:
    """Run ``action(writer)`` on the worker thread and resolve ``future`` with its result."""

    action: Callable[[DatasetWriter], object]
    future: Future


class EncodingWorker:
    def __init__(self, writer: DatasetWriter, max_frames: int, nice: int = 0):
        if max_frames < 1:
            raise ValueError(f"the encoding queue must hold at least one frame, got {max_frames}")
        if not 0 <= nice <= 19:
            raise ValueError(f"the encoder's nice increment must be within 0..19, got {nice}")
        self.nice = nice
        self.writer = writer
        self.max_frames = max_frames
        self._items: deque[_Frame | _Call] = deque()
        self._frames = 0  # frames in _items
        self._cond = threading.Condition()
        self._closed = False
        self.error: Exception | None = None  # the first add_frame failure, until the next call clears it
        self._thread = threading.Thread(target=self._run, name="recorder-encoder", daemon=True)
        self._thread.start()

    @property
    def queued_frames(self) -> int:
        with self._cond:
            return self._frames

    def offer(self, values: dict, task: str, events: Sequence[LanguageRow] = ()) -> bool:
        """Queue a frame for ``writer.add_frame``; False (the frame is dropped) when the queue is full."""
        with self._cond:
            if self._closed:
                raise RuntimeError("the encoding worker is closed")
            if self._frames >= self.max_frames:
                return False
            self._items.append(_Frame(values, task, tuple(events)))
            self._frames += 1
            self._cond.notify()
            return True

    def call(self, action: Callable[[DatasetWriter], object]) -> Future:
        """Run ``action(writer)`` after every frame queued so far; never refused."""
        future: Future = Future()
        with self._cond:
            if self._closed:
                raise RuntimeError("the encoding worker is closed")
            self._items.append(_Call(action, future))
            self._cond.notify()
        return future

    def close(self, timeout_s: float = 60.0) -> None:
        """Finish what is queued, then stop the thread."""
        with self._cond:
            self._closed = True
            self._cond.notify()
        self._thread.join(timeout_s)

    def _run(self) -> None:
        lower_this_thread(self.nice)
        while True:
            with self._cond:
                while not self._items and not self._closed:
                    self._cond.wait()
                if not self._items:
                    return
                item = self._items.popleft()
                if isinstance(item, _Frame):
                    self._frames -= 1
            if isinstance(item, _Frame):
                if self.error is None:  # after a failure the episode is lost; the next call reports it
                    try:
                        self.writer.add_frame(item.values, item.task, item.events)
                    except Exception as err:  # noqa: BLE001 - handed to the caller of the next call
                        self.error = err
                continue
            try:
                item.future.set_result(item.action(self.writer))
            except Exception as err:  # noqa: BLE001 - re-raised by future.result() in the caller
                item.future.set_exception(err)
