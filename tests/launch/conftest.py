"""`ros2 launch` against a colcon-installed lerobot_ros, as a user's workspace has it.

The session's workspace is a copy of this repository built with `colcon build` (the venv, or a
sourced ROS 2, as underlay); every launch runs as `source install/setup.bash && ros2 launch
lerobot_ros <file>` in a process group of its own, tagged with an environment variable so that any
process it leaves behind is found (tests assert there is none).

Nodes of packages that cannot be installed here are STAND-INS (standin.py), put on the ament index
under their real package and executable names; a test can leave any of them out to see launch
without that package.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psutil
import pytest

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
STANDIN = Path(__file__).with_name("standin.py")
# package -> executable of the other packages' nodes our launch files start (all stand-ins here)
STANDINS = {
    "robot_state_publisher": "robot_state_publisher",
    "moveit_ros_move_group": "move_group",
    "rviz2": "rviz2",
    "joint_state_publisher_gui": "joint_state_publisher_gui",
}


def _ros2_missing() -> str:
    """Why `ros2 launch` cannot run here, or ''."""
    if not (shutil.which("ros2", path=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}")
            and importlib.util.find_spec("ros2launch") and importlib.util.find_spec("launch_ros")):
        return ("no ros2 launch: source a ROS 2 install, or bootstrap the venv with the launch/ros2cli "
                "wheels (scripts/bootstrap_venv.sh reads ROS2_PYTHON_WHEELS)")
    if shutil.which("colcon", path=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}") is None:
        return "no colcon (pip install colcon-common-extensions colcon-ros)"
    return ""


def _base_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("_ROS_WHEELS_BOOTSTRAP_COMPLETE", None)  # the venv's interpreters compute LD_LIBRARY_PATH afresh
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    if not env.get("ROS_DISTRO"):  # the PyPI ROS wheels in the venv are the underlay
        env["AMENT_PREFIX_PATH"] = str(VENV_BIN.parent)
        env["CMAKE_PREFIX_PATH"] = str(VENV_BIN.parent)
    return env


@pytest.fixture(scope="session")
def workspace(tmp_path_factory) -> Path:
    """A colcon workspace with lerobot_ros built and installed (not --symlink-install), or the one
    LEROBOT_ROS_LAUNCH_WORKSPACE names (scripts/colcon_check.sh: a fresh clone built as docs/building.md says)."""
    reason = _ros2_missing()
    if reason:
        pytest.skip(reason)
    if os.environ.get("LEROBOT_ROS_LAUNCH_WORKSPACE"):
        return Path(os.environ["LEROBOT_ROS_LAUNCH_WORKSPACE"])
    ws = tmp_path_factory.mktemp("colcon_ws")
    src = ws / "src" / "lerobot_ros"
    skip = {".venv", ".git", "build", "install", "log", "outputs", "demo_output", "__pycache__", ".pytest_cache"}
    shutil.copytree(REPO, src, ignore=lambda d, names: [n for n in names if n in skip or n.endswith(".egg-info")])
    result = subprocess.run(["colcon", "build", "--packages-select", "lerobot_ros"], cwd=ws, env=_base_env(),
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"colcon build failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return ws


@pytest.fixture(scope="session")
def standins(tmp_path_factory) -> dict[str, Path]:
    """package -> an install prefix holding only that package's stand-in executable."""
    root = tmp_path_factory.mktemp("standins")
    prefixes = {}
    for package, executable in STANDINS.items():
        prefix = root / package
        (prefix / "share" / "ament_index" / "resource_index" / "packages").mkdir(parents=True)
        (prefix / "share" / "ament_index" / "resource_index" / "packages" / package).write_text("")
        (prefix / "share" / package).mkdir(parents=True)
        (prefix / "share" / package / "package.xml").write_text(
            f'<package format="3"><name>{package}</name><version>0.0.0</version>'
            f'<description>lerobot_ros test stand-in</description></package>\n')
        exe = prefix / "lib" / package / executable
        exe.parent.mkdir(parents=True)
        exe.write_text(f"#!{sys.executable}\nimport sys\nsys.path.insert(0, {str(STANDIN.parent)!r})\n"
                       f"import standin\nstandin.main({executable!r})\n")
        exe.chmod(0o755)
        prefixes[package] = prefix
    return prefixes


class Launch:
    """One `ros2 launch lerobot_ros FILE ARGS` in its own process group; its output goes to a log file."""

    def __init__(self, workspace: Path, standin_prefixes: list[Path], tmp_path: Path, file: str, *args: str):
        self.token = uuid.uuid4().hex
        self.standin_dir = tmp_path / "standins"
        self.standin_dir.mkdir(exist_ok=True)
        self.log_path = tmp_path / f"{file}.log"
        env = _base_env()
        env["AMENT_PREFIX_PATH"] = os.pathsep.join([*map(str, standin_prefixes), env.get("AMENT_PREFIX_PATH", "")])
        env.update(LEROBOT_ROS_LAUNCH_TEST=self.token, LEROBOT_ROS_STANDIN_DIR=str(self.standin_dir),
                   PYTHONUNBUFFERED="1", RCUTILS_COLORIZED_OUTPUT="0")
        self.env = env
        script = 'source "$0/install/setup.bash" && exec ros2 launch lerobot_ros "$@"'
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen(["bash", "-c", script, str(workspace), file, *args], env=env, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True, cwd=tmp_path)

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_log(self, text: str, timeout: float = 40.0, count: int = 1) -> None:
        deadline = time.monotonic() + timeout
        while self.log.count(text) < count:
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise AssertionError(f"{text!r} not in the launch output (rc={self.proc.poll()}):\n{self.log[-4000:]}")
            time.sleep(0.1)

    def standin(self, executable: str, timeout: float = 30.0) -> dict:
        """What the stand-in `executable` was started with (waits for it)."""
        path = self.standin_dir / f"{executable}.json"
        deadline = time.monotonic() + timeout
        while not path.exists():
            if time.monotonic() > deadline:
                raise AssertionError(f"stand-in {executable} never started:\n{self.log[-4000:]}")
            time.sleep(0.1)
        return json.loads(path.read_text())

    def processes(self) -> list[psutil.Process]:
        """Every live process this launch started (they carry its token in their environment)."""
        found = []
        for proc in psutil.process_iter():
            try:
                if proc.environ().get("LEROBOT_ROS_LAUNCH_TEST") == self.token and proc.status() != "zombie":
                    found.append(proc)
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                pass
        return found

    def stop(self, timeout: float = 30.0) -> int:
        """Ctrl-C, as a user stops `ros2 launch`; returns its exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(timeout)

    def ros2(self, *args: str, timeout: float = 30.0) -> subprocess.CompletedProcess:
        """A `ros2` command in the launch's environment (its processes are not counted as the launch's).
        Tried up to 5 times, a second apart, while it answers "Node not found": with --no-daemon the
        command discovers the graph afresh and may give up before it saw a node still starting."""
        env = dict(self.env, LEROBOT_ROS_LAUNCH_TEST=f"{self.token}-cli")
        for _ in range(5):
            result = subprocess.run(["ros2", *args], env=env, capture_output=True, text=True, timeout=timeout)
            if "Node not found" not in result.stderr:
                break
            time.sleep(1.0)
        return result

    def kill(self) -> None:
        for proc in self.processes():
            proc.kill()


@pytest.fixture
def launch(workspace, standins, tmp_path):
    """launch(file, *args, without=()) starts `ros2 launch`; every launch is killed at the end of the test."""
    started: list[Launch] = []

    def start(file: str, *args: str, without: tuple[str, ...] = ()) -> Launch:
        prefixes = [prefix for package, prefix in standins.items() if package not in without]
        started.append(Launch(workspace, prefixes, tmp_path, file, *args))
        return started[-1]

    yield start
    for item in started:
        if item.proc.poll() is None:
            os.killpg(item.proc.pid, signal.SIGKILL)
            item.proc.wait(10)
        item.kill()

