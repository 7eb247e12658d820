"""The serial line: a pseudo-terminal whose slave end the SDK opens like a USB serial adapter.

A background thread reads instruction bytes from the master end and hands them to a callback that
writes the replies back. The port's public path is a symlink we own, pointing at the current
``/dev/pts/N``: unplugging closes the pty (an open SDK port then fails on read/write, as with a
vanished USB device) and removes the symlink (opening it fails); replugging makes a fresh pty and
points the same path at it, so a driver can reconnect by name as it would after a real replug.
"""

from __future__ import annotations

import errno
import os
import select
import shutil
import tempfile
import threading
import tty
from typing import Callable

IDLE_RESET_S = 0.05  # a half-received packet is dropped after this much silence


class PtyLink:
    """Owns the pty pair, the public symlink and the reader thread."""

    def __init__(self, on_bytes: Callable[[bytes], None], on_idle: Callable[[], None]) -> None:
        self._on_bytes = on_bytes
        self._on_idle = on_idle
        self._dir = tempfile.mkdtemp(prefix="lerobot_sim_")
        self.port = os.path.join(self._dir, "ttySIM0")
        self.pty_path: str | None = None
        self._master = -1
        self._slave = -1
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def connected(self) -> bool:
        return self._thread is not None

    def open(self) -> str:
        """Create the pty, point the public path at it and start reading; returns the public path."""
        if self.connected:
            return self.port
        os.makedirs(self._dir, exist_ok=True)  # gone after a previous stop()
        self._master, self._slave = os.openpty()
        tty.setraw(self._master)
        tty.setraw(self._slave)
        os.set_blocking(self._master, False)
        self.pty_path = os.ttyname(self._slave)
        tmp = self.port + ".new"
        os.symlink(self.pty_path, tmp)
        os.replace(tmp, self.port)
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"sim-bus {self.port}", daemon=True)
        self._thread.start()
        return self.port

    def close(self) -> None:
        """Stop reading and destroy the pty; the public path disappears."""
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join()
        self._thread = None
        for fd in (self._master, self._slave):
            os.close(fd)
        self._master = self._slave = -1
        self.pty_path = None
        if os.path.lexists(self.port):
            os.unlink(self.port)

    def dispose(self) -> None:
        self.close()
        shutil.rmtree(self._dir, ignore_errors=True)

    def write(self, data: bytes) -> None:
        """Send bytes to the SDK; if nobody drains the line (port closed) they are lost, as on a wire."""
        view = memoryview(data)
        while view:
            try:
                view = view[os.write(self._master, view):]
            except BlockingIOError:
                return
            except OSError as exc:
                if exc.errno == errno.EIO:
                    return
                raise

    def _run(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self._master], [], [], IDLE_RESET_S)
            if not ready:
                self._on_idle()
                continue
            try:
                data = os.read(self._master, 4096)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError as exc:  # EIO: no slave end open right now
                if exc.errno != errno.EIO:
                    raise
                self._stop.wait(0.01)
                continue
            if data:
                self._on_bytes(data)
