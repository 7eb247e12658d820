"""Start lerobot_ros nodes as separate processes, the way `ros2 run` would, for integration tests."""

from __future__ import annotations

import atexit
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml


def write_params(path: Path, node_name: str, params: dict) -> Path:
    path.write_text(yaml.safe_dump({node_name: {"ros__parameters": params}}))
    return path


_LIVE: list["NodeProcess"] = []


@atexit.register
def kill_leftovers() -> None:
    """A test that failed before stopping its nodes must not leave them running: they would answer the
    next tests' services and publish into their topics (every test of a run shares one ROS domain)."""
    for node in _LIVE:
        if node.alive():
            os.killpg(node.proc.pid, signal.SIGKILL)
            node.proc.wait(5)
    _LIVE.clear()


class NodeProcess:
    """A node run as ``python -m <module> --ros-args -r __node:=<name> --params-file <file>``."""

    def __init__(self, module: str, node_name: str, params: dict | Path, tmp_path: Path,
                 extra_args: list[str] | None = None, stdin: int | None = None, env: dict[str, str] | None = None):
        """``params``: a dict written to a parameter file, or an existing parameter file; ``stdin``: a file
        descriptor for the node's standard input (e.g. a pseudo-terminal's slave side), else inherited;
        ``env``: variables set for the node on top of this process's environment."""
        if isinstance(params, Path):
            params_file = params
        else:
            params_file = write_params(tmp_path / f"{node_name}.params.yaml", node_name, params)
        self.log_path = tmp_path / f"{node_name}.log"
        self._log = open(self.log_path, "wb")
        cmd = [sys.executable, "-m", module, "--ros-args", "-r", f"__node:={node_name}",
               "--params-file", str(params_file), *(extra_args or [])]
        self.proc = subprocess.Popen(cmd, stdin=stdin, stdout=self._log, stderr=subprocess.STDOUT,
                                     env={**os.environ, **(env or {})}, start_new_session=True)
        _LIVE.append(self)

    def log(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, sig: int = signal.SIGINT, timeout: float = 10.0) -> int:
        if self.proc.poll() is None:
            # The PyPI ROS wheels re-execute the interpreter once at start-up, so signal the group.
            os.killpg(self.proc.pid, sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self._log.close()
        return self.proc.returncode


def wait_for(predicate, timeout: float, interval: float = 0.02, spin=None) -> bool:
    """Poll ``predicate`` (spinning ``spin()`` between polls if given) until true or timed out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if spin is not None:
            spin()
        if predicate():
            return True
        if spin is None:
            time.sleep(interval)
    return predicate()
